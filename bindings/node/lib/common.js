'use strict';
// Helpers shared by the binding's modules: promise/abort plumbing, option conversion, the async
// queue behind the AsyncIterables, and the per-connection native clients.
const { native } = require('./native');
const { mapError, AbortError, InvalidArgumentError } = require('./errors');

// ---- helpers -------------------------------------------------------------------------------

function abortError(signal) {
  const r = signal && signal.reason;
  return r instanceof Error && r.name !== 'AbortError' ? r : new AbortError();
}

// Awaits a native call, mapping errors. `start` is the native promise, or a function making it:
// then, with a signal, the call runs under a libe2b cancel token (e2b_cancel_*), so an abort
// cancels its HTTP requests (and the streams it starts) for real, and an already aborted signal
// starts nothing. An abort rejects at once with AbortError and runs onAbort.
async function call(start, signal, onAbort) {
  if (typeof start === 'function' && signal && signal.aborted) {
    if (onAbort) onAbort();
    throw abortError(signal);
  }
  let promise = start, token = null;
  if (typeof start === 'function') {
    if (signal) {
      const n = native();
      token = n.cancelToken();
      n.cancelNext(token);
      try { promise = start(); } finally { n.cancelNext(null); }
    } else {
      promise = start();
    }
  }
  if (!signal) {
    try { return await promise; } catch (e) { throw mapError(e); }
  }
  const abort = () => { if (token) token.trigger(); if (onAbort) onAbort(); };
  if (signal.aborted) {
    abort();
    promise.catch(() => {});
    throw abortError(signal);
  }
  let off;
  const aborted = new Promise((_, reject) => {
    off = () => signal.removeEventListener('abort', listener);
    const listener = () => { abort(); reject(abortError(signal)); };
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
const LOG_LEVELS = { debug: 1, info: 2, warn: 3, error: 4, none: 5 };
const LEVEL_NAMES = ['', 'debug', 'info', 'warn', 'error'];
const logFnIds = new WeakMap();
let nextLogFnId = 1;

// Structured logs (libe2b's log_cb): onLog(event) gets each event as an object
// ({ts, level, event, sandbox_id, duration_ms, error, ...}); a line that is not JSON is passed as
// {level, message}. Calls run on the JS thread, in the order libe2b emitted them.
function logHandler(onLog) {
  return (level, line) => {
    let ev;
    try { ev = JSON.parse(line); } catch { ev = { level: LEVEL_NAMES[level] || String(level), message: line }; }
    onLog(ev);
  };
}

function clientFor(opts = {}) {
  const cfg = {
    apiKey: opts.apiKey, domain: opts.domain, apiUrl: opts.apiUrl, sandboxUrl: opts.sandboxUrl,
    requestTimeoutMs: opts.requestTimeoutMs, proxy: opts.proxy, logFile: opts.logFile,
    logLevel: typeof opts.logLevel === 'string' ? LOG_LEVELS[opts.logLevel] : opts.logLevel,
  };
  if (typeof opts.logLevel === 'string' && cfg.logLevel === undefined) {
    throw new InvalidArgumentError(`logLevel must be one of ${Object.keys(LOG_LEVELS).join(', ')}`);
  }
  let key = JSON.stringify(cfg);
  if (typeof opts.onLog === 'function') {
    // A client per distinct callback: its lines go to that callback only.
    if (!logFnIds.has(opts.onLog)) logFnIds.set(opts.onLog, nextLogFnId++);
    key += `#log${logFnIds.get(opts.onLog)}`;
  }
  let c = clients.get(key);
  if (!c) {
    const { Client } = native();
    const args = typeof opts.onLog === 'function' ? { ...cfg, onLog: logHandler(opts.onLog) } : cfg;
    try { c = new Client(args); } catch (e) { throw mapError(e); }
    clients.set(key, c);
  }
  return c;
}


// Awaits a cancellable transfer ({done, cancel} from the addon): an abort stops it at its next
// progress report and rejects with AbortError once it really stopped (nothing left running).
async function transfer(t, signal) {
  const onAbort = () => t.cancel();
  if (signal) {
    if (signal.aborted) t.cancel(); else signal.addEventListener('abort', onAbort, { once: true });
  }
  try {
    return await t.done;
  } catch (e) {
    if (signal && signal.aborted && e.e2bCode === -10) throw abortError(signal);
    throw mapError(e);
  } finally {
    if (signal) signal.removeEventListener('abort', onAbort);
  }
}

module.exports = { abortError, call, kvList, procTimeout, toBuffer, AsyncQueue, clientFor, transfer, LOG_LEVELS };
