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
  /** Structured log events of this connection's client (libe2b log_cb), on the JS thread. */
  onLog?: (event: LogEvent) => void;
  /** Minimum level logged (default 'info'). */
  logLevel?: LogLevel;
  /** A file the JSON lines are appended to. */
  logFile?: string;
  signal?: AbortSignal;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'none';

/** One structured log event, as libe2b emits it (snake_case fields). */
export interface LogEvent {
  ts?: string;
  level: string;
  event?: string;
  sandbox_id?: string | null;
  duration_ms?: number | null;
  error?: string | null;
  message?: string;
  status?: number;
  [key: string]: unknown;
}

export interface SandboxOpts extends ConnectionOpts {
  template?: string;
  timeoutMs?: number;
  metadata?: Record<string, string>;
  envs?: Record<string, string>;
  secure?: boolean;
  allowInternetAccess?: boolean;
  autoPause?: boolean;
  /** Resource profile: 'light' | 'medium' | 'heavy' | 'ml' (see getProfile). */
  profile?: string;
  /** vCPUs (overrides the profile's). */
  cpuCount?: number;
  /** MiB (overrides the profile's). */
  memoryMB?: number;
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
  /** Stall detection: onStall after idleMs without output (once per silence); kill: kill it first. */
  watchStall(opts: StallOpts): StallWatch;
  [Symbol.asyncIterator](): AsyncIterator<CommandChunk>;
}

export interface StallEvent {
  sandboxId: string;
  /** 0 for a sandbox watch. */
  pid: number;
  idleMs: number;
  killed: boolean;
}
export interface StallOpts {
  idleMs: number;
  kill?: boolean;
  onStall: (ev: StallEvent) => void | Promise<void>;
}
export declare class StallWatch {
  stop(): void;
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

export interface PortFetchInit extends RequestOpts {
  method?: string;
  headers?: Record<string, string> | Headers | Array<[string, string]>;
  body?: string | ArrayBuffer | ArrayBufferView | Blob;
  /** Whole request; unset = the client's request timeout; < 0 = none. */
  timeoutMs?: number;
}

/** A response from a sandbox port: any HTTP status resolves. */
export declare class PortResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: Headers;
  readonly body: Uint8Array;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes(): Promise<Uint8Array>;
  text(): Promise<string>;
  json(): Promise<any>;
}

export interface WebSocketOpts extends RequestOpts {
  headers?: Record<string, string> | Headers | Array<[string, string]>;
  /** Sec-WebSocket-Protocol. */
  protocol?: string;
  /** Incoming limit in bytes (default 16 MiB); above it the socket ends with ProtocolError. */
  maxMessageSize?: number;
  /** Handshake timeout. */
  timeoutMs?: number;
}

export interface WebSocketCloseInfo {
  code: number;
  wasClean: boolean;
  error?: Error;
}

export interface SandboxMessageEvent extends Event { readonly data: string | Uint8Array; }
export interface SandboxCloseEvent extends Event, WebSocketCloseInfo {}

/** A WebSocket to a sandbox port, shaped like the browser's. Text arrives as strings, binary as Buffers. */
export declare class SandboxWebSocket extends EventTarget implements AsyncIterable<string | Uint8Array> {
  static readonly CONNECTING: 0;
  static readonly OPEN: 1;
  static readonly CLOSING: 2;
  static readonly CLOSED: 3;
  readonly readyState: 0 | 1 | 2 | 3;
  readonly bufferedAmount: number;
  /** Resolves once the socket ended. */
  readonly closed: Promise<WebSocketCloseInfo>;
  onmessage: ((ev: SandboxMessageEvent) => void) | null;
  onclose: ((ev: SandboxCloseEvent) => void) | null;
  send(data: string | ArrayBuffer | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  /** Drops the connection without a close frame ('close' follows with 1006). */
  terminate(): void;
  [Symbol.asyncIterator](): AsyncIterator<string | Uint8Array>;
}

export declare class Ports {
  fetch(port: number, path?: string, init?: PortFetchInit): Promise<PortResponse>;
  webSocket(port: number, path?: string, opts?: WebSocketOpts): Promise<SandboxWebSocket>;
}

export interface TransferProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  /** -1 when unknown. */
  bytesTotal: number;
  path: string;
}

export interface TransferOpts extends RequestOpts {
  user?: string;
  requestTimeoutMs?: number;
  /** Coalesced: the latest state, on the JS thread. */
  onProgress?: (p: TransferProgress) => void;
}

export interface Artifact {
  relPath: string;
  remotePath: string;
  localPath: string;
  size: number;
  mimeType: string;
}

export declare class Artifacts {
  download(remoteDir: string, patterns: string | string[], localDir: string,
           opts?: TransferOpts & { delete?: boolean; allowEmpty?: boolean }): Promise<Artifact[]>;
  upload(localFiles: string | string[], remoteDir: string, opts?: TransferOpts): Promise<Artifact[]>;
}

export declare class Workspace {
  push(localPath: string, remoteDir: string, opts?: TransferOpts & { tar?: boolean }): Promise<{ entries: number }>;
  pull(remotePath: string, localDir: string, opts?: TransferOpts & { tar?: boolean; replace?: boolean }): Promise<{ entries: number }>;
}

export interface SandboxMetrics {
  timestamp: Date;
  cpuCount: number;
  cpuUsedPct: number;
  memUsed: number;
  memTotal: number;
  diskUsed: number;
  diskTotal: number;
}

export interface SandboxLogEntry {
  timestamp: Date;
  level: string;
  message: string;
  fields: Record<string, string>;
}

export interface MetricsOpts extends RequestOpts { start?: Date | number; end?: Date | number; }
export interface LogsOpts extends RequestOpts {
  /** Date or unix ms to start from (the end, with direction 'backward'). */
  start?: Date | number;
  /** 1..1000. */
  limit?: number;
  direction?: 'forward' | 'backward';
  level?: 'debug' | 'info' | 'warn' | 'error';
  search?: string;
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
  readonly ports: Ports;
  readonly artifacts: Artifacts;
  readonly workspace: Workspace;
  /** The template used when none is given (undefined = libe2b's "base"). */
  static defaultTemplate: string | undefined;
  static create<S extends typeof Sandbox>(this: S, opts?: SandboxOpts): Promise<InstanceType<S>>;
  static create<S extends typeof Sandbox>(this: S, template: string, opts?: SandboxOpts): Promise<InstanceType<S>>;
  static connect<S extends typeof Sandbox>(this: S, sandboxId: string, opts?: SandboxConnectOpts): Promise<InstanceType<S>>;
  static getInfo(sandboxId: string, opts?: ConnectionOpts): Promise<SandboxInfo>;
  static list(opts?: SandboxListOpts): SandboxPaginator;
  static kill(sandboxId: string, opts?: ConnectionOpts): Promise<boolean>;
  static setTimeout(sandboxId: string, timeoutMs: number, opts?: ConnectionOpts): Promise<void>;
  /** By id, without resuming: true if it paused, false if it already was. */
  static pause(sandboxId: string, opts?: ConnectionOpts): Promise<boolean>;
  static betaPause(sandboxId: string, opts?: ConnectionOpts): Promise<boolean>;
  static getMetrics(sandboxId: string, opts?: ConnectionOpts & MetricsOpts): Promise<SandboxMetrics[]>;
  static getLogs(sandboxId: string, opts?: ConnectionOpts & LogsOpts): Promise<SandboxLogEntry[]>;
  getMetrics(opts?: MetricsOpts): Promise<SandboxMetrics[]>;
  /** Stall detection over the commands started on it through this connection. */
  watchStall(opts: StallOpts): StallWatch;
  getLogs(opts?: LogsOpts): Promise<SandboxLogEntry[]>;
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

export interface SessionStartOpts extends SandboxOpts {
  /** > 0: auto-pause after this long without touch(). */
  idlePauseMs?: number;
  /** The class of session.sandbox (e.g. the code interpreter's Sandbox). */
  sandboxClass?: typeof Sandbox;
}
export interface SessionResumeOpts extends ConnectionOpts {
  idlePauseMs?: number;
  /** Lifetime from now without an idle period. */
  timeoutMs?: number;
  sandboxClass?: typeof Sandbox;
}

/** A sandbox kept between requests and addressed by its id. */
export declare class Session {
  readonly sessionId: string;
  readonly sandbox: Sandbox;
  static start(opts?: SessionStartOpts): Promise<Session>;
  static resume(sessionId: string, opts?: SessionResumeOpts): Promise<Session>;
  static getState(sessionId: string, opts?: ConnectionOpts): Promise<'active' | 'paused' | 'ended'>;
  touch(opts?: RequestOpts): Promise<void>;
  pause(opts?: RequestOpts): Promise<boolean>;
  end(opts?: RequestOpts): Promise<boolean>;
}

export interface SandboxPoolOpts extends SandboxOpts {
  name?: string;
  minIdle?: number;
  maxSize?: number;
  idleTimeoutMs?: number;
  maxReuse?: number;
  acquireTimeoutMs?: number;
  /** Default true: idle sandboxes are checked (envd /health) before being handed out. */
  healthCheck?: boolean;
  sandboxClass?: typeof Sandbox;
}

export interface PoolStats {
  idle: number; active: number; creating: number; created: number; reused: number; replaced: number;
  evicted: number; exhausted: number; createErrors: number; acquisitions: number; waitP50Ms: number; waitP95Ms: number;
}

export declare class SandboxPool {
  constructor(opts?: SandboxPoolOpts);
  acquire(opts?: RequestOpts & { timeoutMs?: number }): Promise<Sandbox>;
  /** Its open streams end; the object is unusable afterwards. */
  release(sandbox: Sandbox, opts?: { discard?: boolean }): void;
  maintain(): void;
  stats(): PoolStats;
  close(): Promise<void>;
}

export interface CostTotals {
  sandboxes: number; runningSeconds: number; pausedSeconds: number; vcpuSeconds: number; gibSeconds: number; costUsd: number;
}

export declare const telemetry: {
  metrics(opts?: ConnectionOpts): string;
  serveMetrics(port?: number, opts?: ConnectionOpts): number;
  stopServingMetrics(opts?: ConnectionOpts): void;
  costTotals(opts?: ConnectionOpts): CostTotals;
  costReport(opts?: ConnectionOpts): { prices: Record<string, number>; totals: Record<string, number>; sandboxes: Array<Record<string, unknown>> };
  setCostPrices(prices: { vcpuSecond?: number; gibSecond?: number }, opts?: ConnectionOpts): void;
  log(event: string, fields?: { level?: 'debug' | 'info' | 'warn' | 'error'; sandboxId?: string; message?: string }, opts?: ConnectionOpts): void;
};

export declare function getProfile(name: string): { cpuCount: number; memoryMB: number; timeoutMs: number };

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
export declare class PoolExhaustedError extends SandboxError {}
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
