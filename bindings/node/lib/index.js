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

// ---- helpers -------------------------------------------------------------------------------

function abortError(signal) {
  const r = signal && signal.reason;
  return r instanceof Error && r.name !== 'AbortError' ? r : new AbortError();
}

// Awaits a native promise, mapping errors. An abort rejects at once with AbortError and runs
// onAbort (which cancels streams); a blocking C call without a cancel hook finishes in the
// background and its result is dropped.
async function call(promise, signal, onAbort) {
  if (!signal) {
    try { return await promise; } catch (e) { throw mapError(e); }
  }
  if (signal.aborted) {
    if (onAbort) onAbort();
    promise.catch(() => {});
    throw abortError(signal);
  }
  let off;
  const aborted = new Promise((_, reject) => {
    off = () => signal.removeEventListener('abort', listener);
    const listener = () => { if (onAbort) onAbort(); reject(abortError(signal)); };
    signal.addEventListener('abort', listener, { once: true });
  });
  promise.catch(() => {});
  try {
    return await Promise.race([promise, aborted]);
  } catch (e) {
    throw mapError(e);
  } finally {
    off();
  }
}

function kvList(obj, what) {
  if (obj == null) return undefined;
  return Object.entries(obj).map(([k, v]) => {
    if (!k || k.includes('=') && what === 'envs') throw new InvalidArgumentError(`bad ${what} key "${k}"`);
    return `${k}=${v}`;
  });
}

// SDK semantics: timeoutMs 0 = no limit (libe2b: 0 = its default, < 0 = none).
const procTimeout = (ms) => (ms === 0 ? -1 : ms);

function toBuffer(data) {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (Buffer.isBuffer(data)) return data;
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return null;
}

// A small async queue: push() from callbacks, consumed with for-await.
class AsyncQueue {
  constructor(onReturn) { this.items = []; this.waiters = []; this.done = false; this.error = null; this.onReturn = onReturn; }
  push(v) {
    if (this.done) return;
    const w = this.waiters.shift();
    if (w) w.resolve({ value: v, done: false }); else this.items.push(v);
  }
  end(err) {
    if (this.done) return;
    this.done = true;
    this.error = err || null;
    for (const w of this.waiters.splice(0)) err ? w.reject(err) : w.resolve({ value: undefined, done: true });
  }
  next() {
    if (this.items.length) return Promise.resolve({ value: this.items.shift(), done: false });
    if (this.done) return this.error ? Promise.reject(this.error) : Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }
  return() {
    if (this.onReturn) this.onReturn();
    this.items = [];
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }
  [Symbol.asyncIterator]() { return this; }
}

// ---- connection / clients --------------------------------------------------------------------

// One native client (one libe2b service thread) per distinct connection config, shared by the
// sandboxes that use it. Unset fields fall back to the E2B_* environment inside libe2b.
const clients = new Map();
function clientFor(opts = {}) {
  const cfg = {
    apiKey: opts.apiKey, domain: opts.domain, apiUrl: opts.apiUrl, sandboxUrl: opts.sandboxUrl,
    requestTimeoutMs: opts.requestTimeoutMs, proxy: opts.proxy,
  };
  const key = JSON.stringify(cfg);
  let c = clients.get(key);
  if (!c) {
    const { Client } = native();
    try { c = new Client(cfg); } catch (e) { throw mapError(e); }
    clients.set(key, c);
  }
  return c;
}

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
  async sendStdin(data, opts = {}) { return call(this._native.sendStdin(toBuffer(data)), opts.signal); }
  async closeStdin(opts = {}) { return call(this._native.closeStdin(), opts.signal); }
  // Stops receiving; the process keeps running (reconnect with commands.connect(pid)).
  async disconnect() { this._native.disconnect(); }

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
    const p = start(h._handler());
    // The exit can be dispatched before this promise settles (fast commands).
    h._ready = p.then((n) => { h._native = n; }, () => {});
    h._native = await call(p, signal, onAbort);
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
    const l = await call(this._sbx._native().execList(), opts.signal);
    return l.map((p) => ({ pid: p.pid, tag: p.tag, cmd: p.cmd, args: p.args }));
  }

  // By-pid operations use a handle we hold, else attach briefly (the C API acts on handles).
  async _withPid(pid, fn) {
    const h = this._handles.get(pid);
    if (h) return fn(h._native);
    const s = this._sbx._native();
    const n = await call(s.execConnect(pid, null));
    try { return await fn(n); } finally { n.disconnect(); }
  }

  async kill(pid, opts = {}) {
    try {
      await call(this._withPid(pid, (n) => n.kill()), opts.signal);
      return true;
    } catch (e) {
      if (e.e2bCode === -4) return false;
      throw e;
    }
  }
  async sendStdin(pid, data, opts = {}) {
    return call(this._withPid(pid, (n) => n.sendStdin(toBuffer(data))), opts.signal);
  }
  async closeStdin(pid, opts = {}) {
    return call(this._withPid(pid, (n) => n.closeStdin()), opts.signal);
  }
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
  async sendInput(pid, data, opts = {}) {
    return call(this._withPid(pid, (n) => n.ptyInput(toBuffer(data))), opts.signal);
  }
  async resize(pid, size, opts = {}) {
    return call(this._withPid(pid, (n) => n.ptyResize(size.cols, size.rows)), opts.signal);
  }
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
    const buf = await call(s.read(path, filesOpts(opts)), opts.signal);
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
    const e = entryInfo(await call(s.stat(path, filesOpts(opts)), opts.signal));
    return { name: e.name, type: e.type, path: e.path };
  }

  async write(pathOrFiles, data, opts) {
    const s = this._sbx._native();
    if (Array.isArray(pathOrFiles)) {
      opts = data || {};
      if (pathOrFiles.length === 0) return [];
      const entries = [];
      for (const f of pathOrFiles) entries.push([f.path, await this._bytes(f.data)]);
      await call(s.writeMany(entries, filesOpts(opts)), opts.signal);
      const out = [];
      for (const f of pathOrFiles) out.push(await this._writeInfo(s, f.path, opts));
      return out;
    }
    opts = opts || {};
    const path = pathOrFiles;
    const buf = toBuffer(data);
    if (buf) {
      await call(s.write(path, buf, filesOpts(opts)), opts.signal);
    } else if (data instanceof Blob) {
      await call(s.write(path, Buffer.from(await data.arrayBuffer()), filesOpts(opts)), opts.signal);
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
    const l = await call(this._sbx._native().list(path, opts.depth || 1, filesOpts(opts)), opts.signal);
    return l.map(entryInfo);
  }
  async getInfo(path, opts = {}) {
    return entryInfo(await call(this._sbx._native().stat(path, filesOpts(opts)), opts.signal));
  }
  async exists(path, opts = {}) {
    return (await call(this._sbx._native().fileOp('exists', path, filesOpts(opts)), opts.signal)) === 1;
  }
  async makeDir(path, opts = {}) {
    return (await call(this._sbx._native().fileOp('makeDir', path, filesOpts(opts)), opts.signal)) === 1;
  }
  async remove(path, opts = {}) {
    await call(this._sbx._native().fileOp('remove', path, filesOpts(opts)), opts.signal);
  }
  // Returns the moved entry, as the SDK does (the C call reports none: one stat follows).
  async rename(oldPath, newPath, opts = {}) {
    const s = this._sbx._native();
    await call(s.rename(oldPath, newPath, filesOpts(opts)), opts.signal);
    return entryInfo(await call(s.stat(newPath, filesOpts(opts)), opts.signal));
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
    handle._native = await call(s.watch(path, !!opts.recursive, { user: opts.user, timeoutMs: opts.timeoutMs }, handler), opts.signal);
    if (opts.signal) opts.signal.addEventListener('abort', () => handle.stop(), { once: true });
    return handle;
  }
}

// ---- sandbox --------------------------------------------------------------------------------------

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
    const page = await call(clientFor(this._opts).listPage({
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
  }
  _native() { return this._n; }

  static async create(template, opts) {
    if (typeof template === 'object' && template !== null) { opts = template; template = undefined; }
    opts = opts || {};
    const client = clientFor(opts);
    const n = await call(client.createSandbox({
      template: template || opts.template, timeoutMs: opts.timeoutMs, metadata: kvList(opts.metadata, 'metadata'),
      envs: kvList(opts.envs, 'envs'), flags: createFlags(opts),
    }), opts.signal);
    return new this(n, opts);
  }

  // Connects to (and resumes, if paused) an existing sandbox.
  static async connect(sandboxId, opts = {}) {
    const n = await call(clientFor(opts).connectSandbox(sandboxId, opts.timeoutMs || 0), opts.signal);
    return new this(n, opts);
  }
  async connect(opts = {}) {
    const n = await call(clientFor(this._opts).connectSandbox(this.sandboxId, opts.timeoutMs || 0), opts.signal);
    this._n = n;
    return this;
  }

  static async getInfo(sandboxId, opts = {}) {
    return sandboxInfo(await call(clientFor(opts).getInfo(sandboxId), opts.signal));
  }
  async getInfo(opts = {}) { return Sandbox.getInfo(this.sandboxId, { ...this._opts, ...opts }); }

  static list(opts = {}) { return new SandboxPaginator(opts); }

  // The C API kills through a sandbox handle; a static kill by id connects first (which resumes
  // a paused sandbox before killing it). Unknown ids give false, as in the SDK.
  static async kill(sandboxId, opts = {}) {
    let s;
    try { s = await this.connect(sandboxId, opts); } catch (e) {
      if (e instanceof errors.SandboxNotFoundError) return false;
      throw e;
    }
    return s.kill(opts);
  }
  async kill(opts = {}) {
    try {
      await call(this._n.kill(), opts.signal);
      return true;
    } catch (e) {
      if (e instanceof errors.SandboxNotFoundError) return false;
      throw e;
    }
  }

  static async setTimeout(sandboxId, timeoutMs, opts = {}) {
    const s = await this.connect(sandboxId, opts);
    return s.setTimeout(timeoutMs, opts);
  }
  async setTimeout(timeoutMs, opts = {}) { await call(this._n.setTimeout(timeoutMs), opts.signal); }

  async isRunning(opts = {}) { return call(this._n.isRunning(), opts.signal); }
  // true if it paused, false if it already was paused.
  async pause(opts = {}) { return call(this._n.pause(), opts.signal); }
  async betaPause(opts = {}) { return this.pause(opts); }

  getHost(port) {
    try { return this._n.getHost(port); } catch (e) { throw mapError(e); }
  }
  async uploadUrl(path, opts = {}) {
    try { return this._n.fileUrl(true, path || '', opts.user, opts.useSignatureExpiration || 0); } catch (e) { throw mapError(e); }
  }
  async downloadUrl(path, opts = {}) {
    try { return this._n.fileUrl(false, path, opts.user, opts.useSignatureExpiration || 0); } catch (e) { throw mapError(e); }
  }
}

function version() { return native().version(); }

module.exports = {
  Sandbox, SandboxPaginator, CommandHandle, Commands, Pty, Filesystem, WatchHandle,
  FileType, FilesystemEventType, version, libraryPath,
  ...errors,
};
delete module.exports.mapError;
delete module.exports.CODES;
