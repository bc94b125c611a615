// Types of the libe2b Node binding; names and shapes follow the official `e2b` SDK.

export interface ConnectionOpts {
  /** Defaults to E2B_API_KEY. */
  apiKey?: string;
  /** Defaults to E2B_DOMAIN, else e2b.app. */
  domain?: string;
  /** Defaults to E2B_API_URL. */
  apiUrl?: string;
  /** Defaults to E2B_SANDBOX_URL. */
  sandboxUrl?: string;
  /** Per HTTP request; 0 = 60000, < 0 = none. */
  requestTimeoutMs?: number;
  /** "" = no proxy; unset = libcurl's environment handling. */
  proxy?: string;
  signal?: AbortSignal;
}

export interface SandboxOpts extends ConnectionOpts {
  template?: string;
  timeoutMs?: number;
  metadata?: Record<string, string>;
  envs?: Record<string, string>;
  secure?: boolean;
  allowInternetAccess?: boolean;
  autoPause?: boolean;
}

export interface SandboxConnectOpts extends ConnectionOpts {
  timeoutMs?: number;
}

export interface SandboxInfo {
  sandboxId: string;
  templateId: string;
  name?: string;
  metadata: Record<string, string>;
  state: 'running' | 'paused';
  envdVersion: string;
  startedAt: Date;
  endAt: Date;
  cpuCount: number;
  memoryMB: number;
  diskSizeMB: number;
}

export interface SandboxListOpts extends ConnectionOpts {
  query?: { state?: Array<'running' | 'paused'>; metadata?: Record<string, string> };
  /** 1..100 per page. */
  limit?: number;
  nextToken?: string;
}

export declare class SandboxPaginator {
  readonly hasNext: boolean;
  readonly nextToken: string | undefined;
  nextItems(): Promise<SandboxInfo[]>;
}

export interface RequestOpts {
  signal?: AbortSignal;
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  error?: string;
}

export interface CommandStartOpts extends RequestOpts {
  cwd?: string;
  user?: string;
  envs?: Record<string, string>;
  /** Process lifetime in ms; unset = 60000; 0 = no limit (as in the SDK). */
  timeoutMs?: number;
  tag?: string;
  /** Keep stdin open for sendStdin. */
  stdin?: boolean;
  onStdout?: (data: string) => void;
  onStderr?: (data: string) => void;
}

export interface CommandChunk {
  stream: 'stdout' | 'stderr';
  data: Uint8Array;
}

export declare class CommandHandle implements AsyncIterable<CommandChunk> {
  readonly pid: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | undefined;
  readonly error: string | undefined;
  /** Resolves on exit 0; rejects with CommandExitError otherwise. */
  wait(): Promise<CommandResult>;
  kill(): Promise<boolean>;
  sendStdin(data: string | Uint8Array, opts?: RequestOpts): Promise<void>;
  closeStdin(opts?: RequestOpts): Promise<void>;
  /** Stops receiving output; the process keeps running. */
  disconnect(): Promise<void>;
  [Symbol.asyncIterator](): AsyncIterator<CommandChunk>;
}

export interface ProcessInfo {
  pid: number;
  tag?: string;
  cmd: string;
  args: string[];
}

export declare class Commands {
  run(cmd: string, opts: CommandStartOpts & { background: true }): Promise<CommandHandle>;
  run(cmd: string, opts?: CommandStartOpts & { background?: false }): Promise<CommandResult>;
  connect(pid: number, opts?: RequestOpts & { onStdout?: (d: string) => void; onStderr?: (d: string) => void }): Promise<CommandHandle>;
  list(opts?: RequestOpts): Promise<ProcessInfo[]>;
  kill(pid: number, opts?: RequestOpts): Promise<boolean>;
  sendStdin(pid: number, data: string | Uint8Array, opts?: RequestOpts): Promise<void>;
  closeStdin(pid: number, opts?: RequestOpts): Promise<void>;
}

export interface PtyCreateOpts extends RequestOpts {
  cols?: number;
  rows?: number;
  onData?: (data: Uint8Array) => void;
  cwd?: string;
  user?: string;
  envs?: Record<string, string>;
  timeoutMs?: number;
  tag?: string;
}

export declare class Pty extends Commands {
  create(opts?: PtyCreateOpts): Promise<CommandHandle>;
  connect(pid: number, opts?: RequestOpts & { onData?: (data: Uint8Array) => void }): Promise<CommandHandle>;
  sendInput(pid: number, data: string | Uint8Array, opts?: RequestOpts): Promise<void>;
  resize(pid: number, size: { cols: number; rows: number }, opts?: RequestOpts): Promise<void>;
}

export declare const FileType: { readonly FILE: 'file'; readonly DIR: 'dir'; readonly SYMLINK: 'symlink' };
export type FileTypeValue = 'file' | 'dir' | 'symlink';

export interface EntryInfo {
  name: string;
  type: FileTypeValue;
  path: string;
  size: number;
  mode: number;
  permissions: string;
  owner: string;
  group: string;
  modifiedTime: Date;
  symlinkTarget?: string;
}

export interface WriteInfo {
  name: string;
  type?: FileTypeValue;
  path: string;
}

export interface WriteEntry {
  path: string;
  data: string | ArrayBuffer | ArrayBufferView | Blob;
}

export interface FilesystemOpts extends RequestOpts {
  user?: string;
  requestTimeoutMs?: number;
}

export declare const FilesystemEventType: {
  readonly CREATE: 'create'; readonly WRITE: 'write'; readonly REMOVE: 'remove'; readonly RENAME: 'rename'; readonly CHMOD: 'chmod';
};
export interface FilesystemEvent {
  name: string;
  type: 'create' | 'write' | 'remove' | 'rename' | 'chmod' | undefined;
}

export interface WatchOpts extends RequestOpts {
  user?: string;
  recursive?: boolean;
  /** Lifetime of the watch; unset = until stopped. */
  timeoutMs?: number;
  onExit?: (err?: Error) => void;
}

export declare class WatchHandle implements AsyncIterable<FilesystemEvent> {
  stop(): Promise<void>;
  /** Only for watches started without an onEvent callback. */
  [Symbol.asyncIterator](): AsyncIterator<FilesystemEvent>;
}

export type WriteData = string | ArrayBuffer | ArrayBufferView | Blob | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array | string>;

export declare class Filesystem {
  read(path: string, opts?: FilesystemOpts & { format?: 'text' }): Promise<string>;
  read(path: string, opts: FilesystemOpts & { format: 'bytes' }): Promise<Uint8Array>;
  read(path: string, opts: FilesystemOpts & { format: 'blob' }): Promise<Blob>;
  read(path: string, opts: FilesystemOpts & { format: 'stream' }): Promise<ReadableStream<Uint8Array>>;
  /** Streams (ReadableStream/AsyncIterable) upload chunked; `size` sets Content-Length. */
  write(path: string, data: WriteData, opts?: FilesystemOpts & { size?: number }): Promise<WriteInfo>;
  write(files: WriteEntry[], opts?: FilesystemOpts): Promise<WriteInfo[]>;
  list(path: string, opts?: FilesystemOpts & { depth?: number }): Promise<EntryInfo[]>;
  getInfo(path: string, opts?: FilesystemOpts): Promise<EntryInfo>;
  exists(path: string, opts?: FilesystemOpts): Promise<boolean>;
  makeDir(path: string, opts?: FilesystemOpts): Promise<boolean>;
  rename(oldPath: string, newPath: string, opts?: FilesystemOpts): Promise<EntryInfo>;
  remove(path: string, opts?: FilesystemOpts): Promise<void>;
  watchDir(path: string, onEvent: (event: FilesystemEvent) => void | Promise<void>, opts?: WatchOpts): Promise<WatchHandle>;
  watchDir(path: string, opts?: WatchOpts): Promise<WatchHandle>;
}

export interface SandboxUrlOpts {
  user?: string;
  /** Seconds the signature stays valid (secure sandboxes only). */
  useSignatureExpiration?: number;
}

export declare class Sandbox {
  readonly sandboxId: string;
  readonly envdVersion: string;
  readonly commands: Commands;
  readonly pty: Pty;
  readonly files: Filesystem;
  static create<S extends typeof Sandbox>(this: S, opts?: SandboxOpts): Promise<InstanceType<S>>;
  static create<S extends typeof Sandbox>(this: S, template: string, opts?: SandboxOpts): Promise<InstanceType<S>>;
  static connect<S extends typeof Sandbox>(this: S, sandboxId: string, opts?: SandboxConnectOpts): Promise<InstanceType<S>>;
  static getInfo(sandboxId: string, opts?: ConnectionOpts): Promise<SandboxInfo>;
  static list(opts?: SandboxListOpts): SandboxPaginator;
  static kill(sandboxId: string, opts?: ConnectionOpts): Promise<boolean>;
  static setTimeout(sandboxId: string, timeoutMs: number, opts?: ConnectionOpts): Promise<void>;
  connect(opts?: { timeoutMs?: number; signal?: AbortSignal }): Promise<this>;
  getInfo(opts?: RequestOpts): Promise<SandboxInfo>;
  kill(opts?: RequestOpts): Promise<boolean>;
  setTimeout(timeoutMs: number, opts?: RequestOpts): Promise<void>;
  isRunning(opts?: RequestOpts): Promise<boolean>;
  /** true if it paused, false if it already was. */
  pause(opts?: RequestOpts): Promise<boolean>;
  betaPause(opts?: RequestOpts): Promise<boolean>;
  getHost(port: number): string;
  uploadUrl(path?: string, opts?: SandboxUrlOpts): Promise<string>;
  downloadUrl(path: string, opts?: SandboxUrlOpts): Promise<string>;
}

/** Every error carries the libe2b code: e2bCode (-12), code ('E2B_ESANDBOX_NOT_FOUND'), httpStatus. */
export interface E2BCoded {
  readonly e2bCode: number;
  readonly code: string;
  readonly httpStatus: number;
}
export declare class SandboxError extends Error implements E2BCoded {
  constructor(message: string, e2bCode?: number, httpStatus?: number);
  readonly e2bCode: number;
  readonly code: string;
  readonly httpStatus: number;
}
export declare class TimeoutError extends SandboxError {}
export declare class InvalidArgumentError extends SandboxError {}
export declare class NotEnoughSpaceError extends SandboxError {}
export declare class NotFoundError extends SandboxError {}
export declare class SandboxNotFoundError extends NotFoundError {}
export declare class FileNotFoundError extends NotFoundError {}
export declare class TemplateError extends SandboxError {}
export declare class RateLimitError extends SandboxError {}
export declare class AbortError extends SandboxError {}
export declare class NetworkError extends SandboxError {}
export declare class ProtocolError extends SandboxError {}
export declare class AuthenticationError extends Error implements E2BCoded {
  constructor(message: string, e2bCode?: number, httpStatus?: number);
  readonly e2bCode: number;
  readonly code: string;
  readonly httpStatus: number;
}
export declare class CommandExitError extends SandboxError implements CommandResult {
  constructor(result: CommandResult, message?: string);
  readonly result: CommandResult;
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly error: string | undefined;
}

/** libe2b's version string ("0.1.0"); loads the library on first use. */
export declare function version(): string;
/** Where libe2b was loaded from, once loaded. */
export declare function libraryPath(): string | undefined;
