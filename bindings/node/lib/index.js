'use strict';
// The idiomatic layer: the official `e2b` SDK's names (Sandbox.create, sandbox.commands.run,
// sandbox.files.read, ...) over the native addon. Every method returns a Promise whose work runs
// off the event loop; streams are callbacks plus AsyncIterables; `signal` takes an AbortSignal.
const { StringDecoder } = require('node:string_decoder');
const posix = require('node:path').posix;
const { native, libraryPath } = require('./native');
const errors = require('./errors');
const { mapError, AbortError, CommandExitError, InvalidArgumentError } = errors;

const FLAG_INSECURE = 0x1, FLAG_NO_INTERNET = 0x2, FLAG_AUTO_PAUSE = 0x4;

const { abortError, call, kvList, procTimeout, toBuffer, AsyncQueue, clientFor, LOG_LEVELS } = require('./common');
const { Ports, PortResponse, SandboxWebSocket } = require('./ports');
const { Artifacts, Workspace, toUnixS, metric, logsOpts, logEntry } = require('./production');

function sandboxInfo(i) {
  return {
    sandboxId: i.sandboxId, templateId: i.templateId, name: i.name || undefined, metadata: i.metadata,
    state: i.state, envdVersion: i.envdVersion, startedAt: new Date(i.startedAtMs), endAt: new Date(i.endAtMs),
    cpuCount: i.cpuCount, memoryMB: i.memoryMB, diskSizeMB: i.diskSizeMB,
  };
}

const FILE_TYPES = { 1: 'file', 2: 'dir', 3: 'symlink' };
const EVENT_TYPES = { 1: 'create', 2: 'write', 3: 'remove', 4: 'rename', 5: 'chmod' };
const FileType = Object.freeze({ FILE: 'file', DIR: 'dir', SYMLINK: 'symlink' });
const FilesystemEventType = Object.freeze({ CREATE: 'create', WRITE: 'write', REMOVE: 'remove', RENAME: 'rename', CHMOD: 'chmod' });

function entryInfo(e) {
  const out = {
    name: e.name, type: FILE_TYPES[e.type], path: e.path, size: e.size, mode: e.mode,
    permissions: e.permissions, owner: e.owner, group: e.group,
    modifiedTime: new Date(Math.floor(e.modifiedTimeNs / 1e6)),
  };
  if (e.symlinkTarget !== undefined) out.symlinkTarget = e.symlinkTarget;
  return out;
}

function filesOpts(opts = {}) {
  return { user: opts.user, requestTimeoutMs: opts.requestTimeoutMs };
}

// ---- commands ---------------------------------------------------------------------------------

// A running command (or PTY): the SDK's CommandHandle. Its output is kept (as the SDK does) and
// can also be consumed with `for await (const { stream, data } of handle)`.
class CommandHandle {
  constructor(owner, opts = {}) {
    this._owner = owner;
    this._onStdout = opts.onStdout;
    this._onStderr = opts.onStderr;
    this._onData = opts.onData;  // PTY
    this._decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
    this._chunks = [];
    this._stopped = false;
    this._iterators = new Set();
    this.exitCode = undefined;
    this.error = undefined;
    this._exit = new Promise((resolve) => { this._resolveExit = resolve; });
    this._native = null;
  }

  // Native stream handler: runs on the JS thread (dispatched from libe2b's queue).
  _handler() {
    return (kind, value, err) => {
      try {
        if (kind === 'exit') return this._ended(value, err);
        this._chunks.push({ stream: kind, data: value });
        for (const it of this._iterators) it.push({ stream: kind, data: value });
        if (this._onData) this._onData(new Uint8Array(value.buffer, value.byteOffset, value.length));
        const cb = kind === 'stdout' ? this._onStdout : this._onStderr;
        if (cb) {
          const s = this._decoders[kind].write(value);
          if (s) cb(s);
        }
      } catch (e) {
        // A throwing user callback stops the stream; the error is reported through wait().
        this._callbackError = e;
        return true;
      }
      return this._stopped;
    };
  }

  async _ended(code, err) {
    if (err) {
      this._endError = mapError(err);
    } else {
      this.exitCode = code;
      await this._ready;
      if (code !== 0 && this._native) {
        // libe2b gives the end status text ("exit status 2") through e2b_exec_wait's message;
        // the stream already ended, so this returns at once.
        try { await this._native.wait(); } catch (e) { this._exitMessage = e.message; }
        const m = this._exitMessage && /^Command exited with code -?\d+: (.*)$/s.exec(this._exitMessage);
        this.error = m ? m[1] : undefined;
      }
    }
    for (const it of this._iterators) it.end(this._endError && this._endError.e2bCode !== -9 ? this._endError : undefined);
    this._iterators.clear();
    this._owner._forget(this);
    this._resolveExit();
  }

  get pid() { return this._native ? this._native.pid : 0; }
  get stdout() { return this._text('stdout'); }
  get stderr() { return this._text('stderr'); }
  _text(stream) {
    return Buffer.concat(this._chunks.filter((c) => c.stream === stream).map((c) => c.data)).toString('utf8');
  }

  async wait() {
    await this._exit;
    if (this._callbackError) throw this._callbackError;
    if (this._endError) throw this._endError;
    const result = { exitCode: this.exitCode, stdout: this.stdout, stderr: this.stderr, error: this.error };
    if (this.exitCode !== 0) throw new CommandExitError(result, this._exitMessage);
    return result;
  }

  async kill() {
    try { await call(this._native.kill()); return true; } catch (e) {
      if (e.e2bCode === -4) return false;
      throw e;
    }
  }
  async sendStdin(data, opts = {}) { return call(() => this._native.sendStdin(toBuffer(data)), opts.signal); }
  async closeStdin(opts = {}) { return call(() => this._native.closeStdin(), opts.signal); }
  // Stops receiving; the process keeps running (reconnect with commands.connect(pid)).
  async disconnect() { this._native.disconnect(); }

  // Stall detection: onStall({sandboxId, pid, idleMs, killed}) when the command printed nothing
  // for idleMs (once per silence); with kill: true it is killed first. Returns {stop()}.
  watchStall(opts = {}) {
    if (!this._native) throw new InvalidArgumentError('the command has not started yet');
    return stallWatch(this._native, true, opts);
  }

  [Symbol.asyncIterator]() {
    const q = new AsyncQueue(() => this._iterators.delete(q));
    for (const c of this._chunks) q.push(c);
    if (this.exitCode !== undefined || this._endError) q.end(); else this._iterators.add(q);
    return q;
  }
}

class Commands {
  constructor(sbx) { this._sbx = sbx; this._handles = new Map(); }
  _forget(h) { if (this._handles.get(h.pid) === h) this._handles.delete(h.pid); }

  async _stream(start, opts, signal) {
    const h = new CommandHandle(this, opts);
    const onAbort = () => { if (h._native) h._native.disconnect(); else h._stopped = true; };
    h._native = await call(() => {
      const p = start(h._handler());
      // The exit can be dispatched before this promise settles (fast commands).
      h._ready = p.then((n) => { h._native = n; }, () => {});
      return p;
    }, signal, onAbort);
    if (h.exitCode === undefined && !h._endError) this._handles.set(h.pid, h);
    if (signal) {
      if (signal.aborted) h._native.disconnect();
      else signal.addEventListener('abort', () => h._native.disconnect(), { once: true });
    }
    return h;
  }

  async run(cmd, opts = {}) {
    const nopts = {
      cwd: opts.cwd, user: opts.user, envs: kvList(opts.envs, 'envs'), tag: opts.tag,
      timeoutMs: procTimeout(opts.timeoutMs), stdin: !!opts.stdin,
    };
    const s = this._sbx._native();
    if (!opts.background && !opts.onStdout && !opts.onStderr && !opts.signal && !opts.stdin) {
      // Fast path: one blocking e2b_exec_run on the thread pool.
      const r = await call(s.execRun(cmd, nopts));
      const result = { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, error: r.error || undefined };
      if (r.exitCode !== 0) throw new CommandExitError(result, `Command exited with code ${r.exitCode}` + (r.error ? `: ${r.error}` : ''));
      return result;
    }
    const h = await this._stream((fn) => s.execStart(cmd, nopts, fn), opts, opts.signal);
    return opts.background ? h : h.wait();
  }

  async connect(pid, opts = {}) {
    const s = this._sbx._native();
    return this._stream((fn) => s.execConnect(pid, fn), opts, opts.signal);
  }

  async list(opts = {}) {
    const l = await call(() => this._sbx._native().execList(), opts.signal);
    return l.map((p) => ({ pid: p.pid, tag: p.tag, cmd: p.cmd, args: p.args }));
  }

  // By pid, without attaching (e2b_process_*): works for processes started elsewhere too.
  _pidOp(op, pid, a, b, signal) {
    return call(() => native().processOp(this._sbx._native(), op, pid, a, b), signal);
  }

  async kill(pid, opts = {}) {
    try {
      await this._pidOp('kill', pid, undefined, undefined, opts.signal);
      return true;
    } catch (e) {
      if (e.e2bCode === -4) return false;
      throw e;
    }
  }
  async sendStdin(pid, data, opts = {}) { await this._pidOp('stdin', pid, toBuffer(data), undefined, opts.signal); }
  async closeStdin(pid, opts = {}) { await this._pidOp('closeStdin', pid, undefined, undefined, opts.signal); }
}

class Pty extends Commands {
  async create(opts = {}) {
    const nopts = { cwd: opts.cwd, user: opts.user, envs: kvList(opts.envs, 'envs'), tag: opts.tag, timeoutMs: procTimeout(opts.timeoutMs) };
    const s = this._sbx._native();
    return this._stream((fn) => s.ptyCreate(opts.cols || 80, opts.rows || 24, nopts, fn), { onData: opts.onData }, opts.signal);
  }
  async connect(pid, opts = {}) {
    const s = this._sbx._native();
    return this._stream((fn) => s.execConnect(pid, fn), { onData: opts.onData }, opts.signal);
  }
  async sendInput(pid, data, opts = {}) { await this._pidOp('ptyInput', pid, toBuffer(data), undefined, opts.signal); }
  async resize(pid, size, opts = {}) { await this._pidOp('resize', pid, size.cols, size.rows, opts.signal); }
}

// ---- files ---------------------------------------------------------------------------------------

class WatchHandle {
  constructor() { this._native = null; this._queue = null; }
  async stop() { if (this._native) this._native.stop(); }
  // Without an onEvent callback, events are queued for `for await (const ev of handle)`.
  [Symbol.asyncIterator]() {
    if (!this._queue) throw new InvalidArgumentError('pass no onEvent callback to iterate a watch');
    return this._queue;
  }
}

class Filesystem {
  constructor(sbx) { this._sbx = sbx; }

  async read(path, opts = {}) {
    const s = this._sbx._native();
    const format = opts.format || 'text';
    if (format === 'stream') return this._readStream(s, path, opts);
    const buf = await call(() => s.read(path, filesOpts(opts)), opts.signal);
    if (format === 'bytes') return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
    if (format === 'blob') return new Blob([buf]);
    return buf.toString('utf8');
  }

  // A web ReadableStream (async-iterable in Node) fed from libe2b's service thread. Resolves once
  // the first chunk or the end arrived, so a missing file rejects here as with other formats.
  _readStream(s, path, opts) {
    return new Promise((resolve, reject) => {
      let controller, cancel, settled = false, closed = false;
      const stream = new ReadableStream({
        start(c) { controller = c; },
        cancel() { closed = true; cancel(); },
      }, { highWaterMark: 0 });
      const settle = (err) => {
        if (settled) return;
        settled = true;
        err ? reject(err) : resolve(stream);
      };
      cancel = s.readStream(path, filesOpts(opts), (chunk, err) => {
        if (closed) return;
        if (chunk) {
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
          return settle();
        }
        closed = true;
        if (err) {
          const e = mapError(err);
          if (!settled) return settle(e);
          controller.error(e);
        } else {
          controller.close();
          settle();
        }
      });
      if (opts.signal) {
        const onAbort = () => {
          if (closed) return;
          closed = true;
          cancel();
          const e = abortError(opts.signal);
          if (!settled) settle(e); else controller.error(e);
        };
        if (opts.signal.aborted) onAbort(); else opts.signal.addEventListener('abort', onAbort, { once: true });
      }
    });
  }

  async _writeInfo(s, path, opts) {
    // e2b_files_write reports no entry; an absolute path is already the answer, a relative one
    // is resolved by the server.
    if (path.startsWith('/')) return { name: posix.basename(path), type: 'file', path };
    const e = entryInfo(await call(() => s.stat(path, filesOpts(opts)), opts.signal));
    return { name: e.name, type: e.type, path: e.path };
  }

  async write(pathOrFiles, data, opts) {
    const s = this._sbx._native();
    if (Array.isArray(pathOrFiles)) {
      opts = data || {};
      if (pathOrFiles.length === 0) return [];
      const entries = [];
      for (const f of pathOrFiles) entries.push([f.path, await this._bytes(f.data)]);
      await call(() => s.writeMany(entries, filesOpts(opts)), opts.signal);
      const out = [];
      for (const f of pathOrFiles) out.push(await this._writeInfo(s, f.path, opts));
      return out;
    }
    opts = opts || {};
    const path = pathOrFiles;
    const buf = toBuffer(data);
    if (buf) {
      await call(() => s.write(path, buf, filesOpts(opts)), opts.signal);
    } else if (data instanceof Blob) {
      const bytes = Buffer.from(await data.arrayBuffer());
      await call(() => s.write(path, bytes, filesOpts(opts)), opts.signal);
    } else if (data && (typeof data[Symbol.asyncIterator] === 'function' || typeof data.getReader === 'function')) {
      await this._writeStream(s, path, data, opts);
    } else {
      throw new InvalidArgumentError('data must be a string, ArrayBuffer, Uint8Array, Blob, ReadableStream or AsyncIterable');
    }
    return this._writeInfo(s, path, opts);
  }

  async _bytes(data) {
    const b = toBuffer(data);
    if (b) return b;
    if (data instanceof Blob) return Buffer.from(await data.arrayBuffer());
    throw new InvalidArgumentError('batch write data must be a string, ArrayBuffer, Uint8Array or Blob');
  }

  // Streamed upload: chunks are pushed to the native queue that libe2b's reader drains; above
  // 4 MiB queued we wait for it to drain.
  async _writeStream(s, path, source, opts) {
    let drained = null;
    const w = s.writeStream(path, opts.size === undefined ? -1 : opts.size, filesOpts(opts), () => {
      if (drained) { const d = drained; drained = null; d(); }
    });
    let failed = null;
    const done = w.done.then(() => {}, (e) => { failed = mapError(e); });
    const iterable = typeof source[Symbol.asyncIterator] === 'function' ? source : (async function* () {
      const reader = source.getReader();
      try { for (;;) { const { value, done: d } = await reader.read(); if (d) return; yield value; } } finally { reader.releaseLock(); }
    })();
    const onAbort = () => w.abort();
    if (opts.signal) opts.signal.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const chunk of iterable) {
        if (failed || (opts.signal && opts.signal.aborted)) break;
        const b = toBuffer(chunk);
        if (!b) throw new InvalidArgumentError('stream chunks must be strings or bytes');
        if (w.push(b) > 4 * 1024 * 1024) {
          await Promise.race([new Promise((r) => { drained = r; }), done]);
        }
      }
      if (opts.signal && opts.signal.aborted) { w.abort(); await done; throw abortError(opts.signal); }
      w.end();
    } catch (e) {
      w.abort();
      await done;
      throw e;
    } finally {
      if (opts.signal) opts.signal.removeEventListener('abort', onAbort);
    }
    await done;
    if (failed) throw failed;
  }

  async list(path, opts = {}) {
    const l = await call(() => this._sbx._native().list(path, opts.depth || 1, filesOpts(opts)), opts.signal);
    return l.map(entryInfo);
  }
  async getInfo(path, opts = {}) {
    return entryInfo(await call(() => this._sbx._native().stat(path, filesOpts(opts)), opts.signal));
  }
  async exists(path, opts = {}) {
    return (await call(() => this._sbx._native().fileOp('exists', path, filesOpts(opts)), opts.signal)) === 1;
  }
  async makeDir(path, opts = {}) {
    return (await call(() => this._sbx._native().fileOp('makeDir', path, filesOpts(opts)), opts.signal)) === 1;
  }
  async remove(path, opts = {}) {
    await call(() => this._sbx._native().fileOp('remove', path, filesOpts(opts)), opts.signal);
  }
  // Returns the moved entry, as the SDK does (the C call reports none: one stat follows).
  async rename(oldPath, newPath, opts = {}) {
    const s = this._sbx._native();
    await call(() => s.rename(oldPath, newPath, filesOpts(opts)), opts.signal);
    return entryInfo(await call(() => s.stat(newPath, filesOpts(opts)), opts.signal));
  }

  async watchDir(path, onEvent, opts = {}) {
    if (typeof onEvent !== 'function') { opts = onEvent || {}; onEvent = null; }
    const s = this._sbx._native();
    const handle = new WatchHandle();
    if (!onEvent) handle._queue = new AsyncQueue(() => handle.stop());
    const handler = (kind, a, b) => {
      if (kind === 'event') {
        const ev = { name: b, type: EVENT_TYPES[a] };
        if (handle._queue) return handle._queue.push(ev);
        try {
          const r = onEvent(ev);
          if (r && typeof r.catch === 'function') r.catch((e) => process.nextTick(() => { throw e; }));
        } catch (e) { process.nextTick(() => { throw e; }); }
        return;
      }
      const err = a ? mapError(a) : undefined;
      if (handle._queue) handle._queue.end(err && err.e2bCode !== -9 ? err : undefined);
      if (opts.onExit) opts.onExit(err);
    };
    handle._native = await call(() => s.watch(path, !!opts.recursive, { user: opts.user, timeoutMs: opts.timeoutMs }, handler), opts.signal);
    if (opts.signal) opts.signal.addEventListener('abort', () => handle.stop(), { once: true });
    return handle;
  }
}

// ---- sandbox --------------------------------------------------------------------------------------

class StallWatch {
  constructor(n) { this._n = n; }
  stop() { this._n.stop(); }
}

function stallWatch(target, isExec, opts) {
  if (typeof opts.onStall !== 'function') throw new InvalidArgumentError('onStall is required');
  const onStall = opts.onStall;
  const handler = (ev) => {
    try {
      const r = onStall(ev);
      if (r && typeof r.catch === 'function') r.catch((e) => process.nextTick(() => { throw e; }));
    } catch (e) { process.nextTick(() => { throw e; }); }
  };
  try {
    return new StallWatch(native().stallWatch(target, isExec, { idleMs: opts.idleMs, kill: !!opts.kill }, handler));
  } catch (e) { throw mapError(e); }
}

function createFlags(opts) {
  let f = 0;
  if (opts.secure === false) f |= FLAG_INSECURE;
  if (opts.allowInternetAccess === false) f |= FLAG_NO_INTERNET;
  if (opts.autoPause) f |= FLAG_AUTO_PAUSE;
  return f;
}

class SandboxPaginator {
  constructor(opts = {}) {
    this._opts = opts;
    this.nextToken = opts.nextToken;
    this.hasNext = true;
  }
  async nextItems() {
    if (!this.hasNext) throw new InvalidArgumentError('no more items to fetch');
    const q = this._opts.query || {};
    let states = 0;
    for (const st of q.state || []) states |= st === 'running' ? 1 : st === 'paused' ? 2 : 0;
    const page = await call(() => clientFor(this._opts).listPage({
      states, metadata: kvList(q.metadata, 'metadata'), limit: this._opts.limit, nextToken: this.nextToken,
    }), this._opts.signal);
    this.nextToken = page.nextToken || undefined;
    this.hasNext = !!page.nextToken;
    return page.items.map(sandboxInfo);
  }
}

class Sandbox {
  constructor(nativeSandbox, opts) {
    this._n = nativeSandbox;
    this._opts = opts;
    this.sandboxId = nativeSandbox.id;
    this.envdVersion = nativeSandbox.envdVersion;
    this.commands = new Commands(this);
    this.pty = new Pty(this);
    this.files = new Filesystem(this);
    this.ports = new Ports(this);
    this.artifacts = new Artifacts(this);
    this.workspace = new Workspace(this);
  }
  _native() {
    if (this._released) throw new InvalidArgumentError('this sandbox was released to its pool');
    return this._n;
  }

  static _createArgs(template, opts) {
    return {
      template: template || opts.template || this.defaultTemplate, timeoutMs: opts.timeoutMs,
      metadata: kvList(opts.metadata, 'metadata'), envs: kvList(opts.envs, 'envs'), flags: createFlags(opts),
      profile: opts.profile, cpuCount: opts.cpuCount, memoryMB: opts.memoryMB,
    };
  }

  static async create(template, opts) {
    if (typeof template === 'object' && template !== null) { opts = template; template = undefined; }
    opts = opts || {};
    const client = clientFor(opts);
    const n = await call(() => client.createSandbox(this._createArgs(template, opts)), opts.signal);
    return new this(n, opts);
  }

  // Connects to (and resumes, if paused) an existing sandbox.
  static async connect(sandboxId, opts = {}) {
    const n = await call(() => clientFor(opts).connectSandbox(sandboxId, opts.timeoutMs || 0), opts.signal);
    return new this(n, opts);
  }
  async connect(opts = {}) {
    const n = await call(() => clientFor(this._opts).connectSandbox(this.sandboxId, opts.timeoutMs || 0), opts.signal);
    this._n = n;
    return this;
  }

  static async getInfo(sandboxId, opts = {}) {
    return sandboxInfo(await call(() => clientFor(opts).getInfo(sandboxId), opts.signal));
  }
  async getInfo(opts = {}) { return Sandbox.getInfo(this.sandboxId, { ...this._opts, ...opts }); }

  static list(opts = {}) { return new SandboxPaginator(opts); }

  // By id, without connecting (e2b_sandbox_*_id): a paused sandbox is not resumed first.
  // Unknown ids give false, as in the SDK.
  static async kill(sandboxId, opts = {}) {
    try {
      await call(() => native().sandboxById(clientFor(opts), 'kill', sandboxId), opts.signal);
      return true;
    } catch (e) {
      if (e instanceof errors.SandboxNotFoundError) return false;
      throw e;
    }
  }
  async kill(opts = {}) {
    try {
      await call(() => this._native().kill(), opts.signal);
      return true;
    } catch (e) {
      if (e instanceof errors.SandboxNotFoundError) return false;
      throw e;
    }
  }

  static async setTimeout(sandboxId, timeoutMs, opts = {}) {
    await call(() => native().sandboxById(clientFor(opts), 'setTimeout', sandboxId, timeoutMs), opts.signal);
  }
  // Pauses by id: true if it paused, false if it already was paused.
  static async pause(sandboxId, opts = {}) {
    return (await call(() => native().sandboxById(clientFor(opts), 'pause', sandboxId), opts.signal)) === 1;
  }
  static async betaPause(sandboxId, opts = {}) { return this.pause(sandboxId, opts); }

  // Resource samples, oldest first: [{timestamp, cpuCount, cpuUsedPct, memUsed, memTotal, diskUsed, diskTotal}].
  static async getMetrics(sandboxId, opts = {}) {
    const l = await call(() => native().getMetrics(clientFor(opts), sandboxId, toUnixS(opts.start), toUnixS(opts.end)), opts.signal);
    return l.map(metric);
  }
  async getMetrics(opts = {}) { return Sandbox.getMetrics(this.sandboxId, { ...this._opts, ...opts }); }

  // The platform's log of the sandbox (created, paused, resumed...; not its commands' output):
  // [{timestamp, level, message, fields}]. opts: start (Date | unix ms), limit (<= 1000),
  // direction ('forward' | 'backward'), level (minimum), search (substring).
  static async getLogs(sandboxId, opts = {}) {
    const l = await call(() => native().getLogs(clientFor(opts), sandboxId, logsOpts(opts)), opts.signal);
    return l.map(logEntry);
  }
  async getLogs(opts = {}) { return Sandbox.getLogs(this.sandboxId, { ...this._opts, ...opts }); }
  async setTimeout(timeoutMs, opts = {}) { await call(() => this._native().setTimeout(timeoutMs), opts.signal); }

  // Stall detection over all commands started through this connection on this sandbox:
  // onStall({sandboxId, pid: 0, idleMs, killed}) after idleMs without output from any of them;
  // with kill: true the sandbox is killed first. Returns {stop()}.
  watchStall(opts = {}) { return stallWatch(this._native(), false, opts); }

  async isRunning(opts = {}) { return call(() => this._native().isRunning(), opts.signal); }
  // true if it paused, false if it already was paused.
  async pause(opts = {}) { return call(() => this._native().pause(), opts.signal); }
  async betaPause(opts = {}) { return this.pause(opts); }

  getHost(port) {
    try { return this._native().getHost(port); } catch (e) { throw mapError(e); }
  }
  async uploadUrl(path, opts = {}) {
    try { return this._native().fileUrl(true, path || '', opts.user, opts.useSignatureExpiration || 0); } catch (e) { throw mapError(e); }
  }
  async downloadUrl(path, opts = {}) {
    try { return this._native().fileUrl(false, path, opts.user, opts.useSignatureExpiration || 0); } catch (e) { throw mapError(e); }
  }
}

Sandbox.defaultTemplate = undefined;  // libe2b's default ("base")

const SESSION_STATES = { 1: 'active', 2: 'paused', 3: 'ended' };

// A sandbox kept between requests and addressed by its id (persist session.sessionId, resume it
// later from any process). With idlePauseMs it pauses by itself after that long without touch().
class Session {
  constructor(r, opts, SandboxClass) {
    this.sessionId = r.id;
    this._n = r.session;
    this.sandbox = new SandboxClass(r.sandbox, opts);
  }

  // start({...Sandbox.create options, idlePauseMs, sandboxClass})
  static async start(opts = {}) {
    const S = opts.sandboxClass || Sandbox;
    const r = await call(() => native().sessionStart(clientFor(opts), S._createArgs(undefined, opts), { idlePauseMs: opts.idlePauseMs }), opts.signal);
    return new this(r, opts, S);
  }
  // Resumes a paused session (or attaches to a running one). An ended one is SandboxNotFoundError.
  static async resume(sessionId, opts = {}) {
    const r = await call(() => native().sessionResume(clientFor(opts), sessionId, { idlePauseMs: opts.idlePauseMs, timeoutMs: opts.timeoutMs }), opts.signal);
    return new this(r, opts, opts.sandboxClass || Sandbox);
  }
  // 'active' | 'paused' | 'ended' (unknown ids are 'ended').
  static async getState(sessionId, opts = {}) {
    return SESSION_STATES[await call(() => native().sessionState(clientFor(opts), sessionId), opts.signal)];
  }

  // Restarts the idle period.
  async touch(opts = {}) { await call(() => this._n.touch(), opts.signal); }
  // true if it paused, false if it already was. Resume with Session.resume(sessionId).
  async pause(opts = {}) { return (await call(() => this._n.pause(), opts.signal)) === 1; }
  // Kills its sandbox: true, or false when it was already gone.
  async end(opts = {}) {
    try {
      await call(() => this._n.end(), opts.signal);
      return true;
    } catch (e) {
      if (e instanceof errors.SandboxNotFoundError) return false;
      throw e;
    }
  }
}

// A warm pool of sandboxes (libe2b's e2b_pool_*): minIdle created ahead of time, up to maxSize,
// handed out by acquire() and given back by release(). Options: those of Sandbox.create (the
// members' template, timeoutMs, metadata, profile...) and name, minIdle, maxSize, idleTimeoutMs,
// maxReuse, acquireTimeoutMs, healthCheck (default true), sandboxClass.
class SandboxPool {
  constructor(opts = {}) {
    this._class = opts.sandboxClass || Sandbox;
    this._opts = opts;
    this._out = new Set();
    try {
      this._n = native().poolNew(clientFor(opts), this._class._createArgs(undefined, opts), {
        name: opts.name, minIdle: opts.minIdle, maxSize: opts.maxSize, idleTimeoutMs: opts.idleTimeoutMs,
        maxReuse: opts.maxReuse, acquireTimeoutMs: opts.acquireTimeoutMs, noHealthCheck: opts.healthCheck === false,
      });
    } catch (e) { throw mapError(e); }
  }

  // A sandbox for exclusive use until release(): a warm one, else a new one while under maxSize,
  // else waits up to timeoutMs (default: the pool's acquireTimeoutMs) for a release
  // (PoolExhaustedError after that).
  async acquire(opts = {}) {
    let p, n;
    try {
      n = await call(() => (p = this._n.acquire(opts.timeoutMs === undefined ? -1 : opts.timeoutMs)), opts.signal);
    } catch (e) {
      if (p) p.then((late) => this._n.release(late, false), () => {});  // aborted: give it straight back
      throw mapError(e);
    }
    const s = new this._class(n, this._opts);
    this._out.add(s);
    return s;
  }

  // Gives a sandbox back (discard: kill it instead of keeping it warm). Its open streams end
  // (commands, watches, WebSockets and code runs are released); the object is unusable after.
  release(sandbox, opts = {}) {
    if (!this._out.has(sandbox)) throw new InvalidArgumentError('this sandbox was not acquired from this pool');
    try { this._n.release(sandbox._n, !!opts.discard); } catch (e) { throw mapError(e); }
    sandbox._released = true;
    this._out.delete(sandbox);
  }

  // Housekeeping now: idle eviction, lifetime refresh, refill to minIdle.
  maintain() { try { this._n.maintain(); } catch (e) { throw mapError(e); } }
  // {idle, active, creating, created, reused, replaced, evicted, exhausted, createErrors,
  //  acquisitions, waitP50Ms, waitP95Ms}
  stats() { try { return this._n.stats(); } catch (e) { throw mapError(e); } }

  // Releases what is still acquired, then kills every sandbox of the pool.
  async close() {
    for (const s of [...this._out]) this.release(s);
    const deadline = Date.now() + 60000;
    for (;;) {
      try { return await call(this._n.close()); } catch (e) {
        // A call still running on a released sandbox holds it a moment longer.
        if (e.e2bCode !== -11 || Date.now() > deadline) throw e;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

const withClient = (opts, fn) => { try { return fn(clientFor(opts)); } catch (e) { throw mapError(e); } };

// Per-connection telemetry of libe2b (the client shared by sandboxes made with the same
// connection options): Prometheus metrics, cost tracking, user log events.
const telemetry = {
  // Prometheus text exposition (0.0.4).
  metrics: (opts = {}) => withClient(opts, (c) => native().metricsRender(c)),
  // Serves GET /metrics on 127.0.0.1:port (0 = a free port); returns the port.
  serveMetrics: (port = 0, opts = {}) => withClient(opts, (c) => native().metricsServe(c, port)),
  stopServingMetrics: (opts = {}) => withClient(opts, (c) => native().metricsServeStop(c)),
  // {sandboxes, runningSeconds, pausedSeconds, vcpuSeconds, gibSeconds, costUsd}
  costTotals: (opts = {}) => withClient(opts, (c) => native().costTotals(c)),
  // {prices, totals, sandboxes: [...]} (libe2b's JSON report, snake_case as exported).
  costReport: (opts = {}) => withClient(opts, (c) => JSON.parse(native().costReport(c))),
  // {vcpuSecond, gibSecond} in USD.
  setCostPrices: (prices, opts = {}) => withClient(opts, (c) => {
    const json = {};
    if (prices.vcpuSecond !== undefined) json.vcpu_second = prices.vcpuSecond;
    if (prices.gibSecond !== undefined) json.gib_second = prices.gibSecond;
    native().costSetPrices(c, JSON.stringify(json));
  }),
  // Emits a user event into the structured log: log('deploy.done', {level: 'info', sandboxId, message}).
  log: (event, fields = {}, opts = {}) => withClient(opts, (c) => {
    const level = fields.level === undefined ? 2 : LOG_LEVELS[fields.level];
    if (level === undefined || level > 4) throw new InvalidArgumentError(`bad log level ${fields.level}`);
    native().logEmit(c, level, String(event), fields.sandboxId, fields.message);
  }),
};

// A resource profile by name ('light' | 'medium' | 'heavy' | 'ml'): {cpuCount, memoryMB, timeoutMs}.
function getProfile(name) {
  try { return native().profileGet(name); } catch (e) { throw mapError(e); }
}

function version() { return native().version(); }

module.exports = {
  Sandbox, SandboxPaginator, CommandHandle, Commands, Pty, Filesystem, WatchHandle,
  Ports, PortResponse, SandboxWebSocket, Artifacts, Workspace, Session, SandboxPool, StallWatch, telemetry, getProfile,
  FileType, FilesystemEventType, version, libraryPath,
  ...errors,
};
delete module.exports.mapError;
delete module.exports.CODES;
