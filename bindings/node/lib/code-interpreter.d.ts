// Types of require('libe2b/code-interpreter'): the @e2b/code-interpreter SDK's shapes.
import * as base from './index';
export * from './index';

export declare class OutputMessage {
  readonly line: string;
  /** Unix microseconds (the server's). */
  readonly timestamp: number;
  readonly error: boolean;
}

export declare class ExecutionError {
  readonly name: string;
  readonly value: string;
  readonly traceback: string;
}

export declare class Result {
  readonly isMainResult: boolean;
  readonly text?: string;
  readonly html?: string;
  readonly markdown?: string;
  readonly svg?: string;
  /** base64 */
  readonly png?: string;
  readonly jpeg?: string;
  readonly pdf?: string;
  readonly latex?: string;
  readonly json?: string;
  readonly javascript?: string;
  readonly data?: Record<string, unknown>;
  readonly chart?: Record<string, unknown>;
  readonly extra?: Record<string, unknown>;
  formats(): string[];
  toJSON(): Record<string, unknown>;
}

export declare class Execution {
  readonly results: Result[];
  readonly logs: { stdout: string[]; stderr: string[] };
  readonly error?: ExecutionError;
  readonly executionCount?: number;
  readonly text: string | undefined;
  toJSON(): Record<string, unknown>;
}

export interface Context {
  id: string;
  language: string;
  cwd: string;
}

export interface RunCodeOpts extends base.RequestOpts {
  language?: 'python' | 'javascript' | 'js' | 'typescript' | 'ts' | 'bash' | string;
  context?: Context | string;
  envs?: Record<string, string>;
  /** Whole execution; unset = 60000; 0 = no limit. */
  timeoutMs?: number;
  requestTimeoutMs?: number;
  onStdout?: (msg: OutputMessage) => unknown;
  onStderr?: (msg: OutputMessage) => unknown;
  onResult?: (result: Result) => unknown;
  onError?: (error: ExecutionError) => unknown;
}

/** A failed run (timeout, cancel, a throwing callback) rejects with an error carrying the partial execution. */
export type WithExecution<E extends Error = Error> = E & { execution: Execution };

export declare class Sandbox extends base.Sandbox {
  runCode(code: string, opts?: RunCodeOpts): Promise<Execution>;
  createCodeContext(opts?: base.RequestOpts & { language?: string; cwd?: string }): Promise<Context>;
  listCodeContexts(opts?: base.RequestOpts): Promise<Context[]>;
  restartCodeContext(context: Context | string, opts?: base.RequestOpts): Promise<void>;
  removeCodeContext(context: Context | string, opts?: base.RequestOpts): Promise<void>;
}
