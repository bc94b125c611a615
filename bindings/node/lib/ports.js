'use strict';
// sandbox.ports: HTTP requests (fetch-like) and WebSockets (browser-like) to a port of the
// sandbox, routed by libe2b as the SDKs route envd traffic (e2b_port_request, e2b_ws_*).
const { native } = require('./native');
const { mapError, InvalidArgumentError } = require('./errors');
const { call, toBuffer, AsyncQueue } = require('./common');

function headerLines(headers) {
  if (headers == null) return undefined;
  const pairs = typeof headers.entries === 'function' && !Array.isArray(headers) ? [...headers.entries()]
    : Array.isArray(headers) ? headers : Object.entries(headers);
  return pairs.map(([k, v]) => `${k}: ${v}`);
}

// The response of ports.fetch: status, Headers (repeats kept, as received) and the whole body.
class PortResponse {
  constructor(r) {
    this.status = r.status;
    this.ok = r.status >= 200 && r.status < 300;
    this.headers = new Headers();
    for (const line of r.headers.split('\r\n')) {
      const i = line.indexOf(':');
      if (i <= 0) continue;
      try { this.headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim()); } catch { /* not a valid Fetch header */ }
    }
    this.body = r.body;
  }
  async arrayBuffer() { return this.body.buffer.slice(this.body.byteOffset, this.body.byteOffset + this.body.length); }
  async bytes() { return new Uint8Array(this.body.buffer, this.body.byteOffset, this.body.length); }
  async text() { return this.body.toString('utf8'); }
  async json() { return JSON.parse(this.body.toString('utf8')); }
}

const CONNECTING = 0, OPEN = 1, CLOSING = 2, CLOSED = 3;

// A WebSocket to a sandbox port, shaped like the browser's: send/close, readyState,
// bufferedAmount, 'message'/'close' events (and onmessage/onclose), plus `closed` (a Promise of
// {code, wasClean, error}) and async iteration over the messages. Text messages arrive as
// strings, binary ones as Buffers. It keeps the process alive while open, as a browser socket
// keeps its page.
class SandboxWebSocket extends EventTarget {
  constructor() {
    super();
    this.readyState = CONNECTING;
    this.onmessage = null;
    this.onclose = null;
    this._n = null;
    this._early = [];  // messages that arrived before the caller got the socket
    this._iterators = new Set();
    this.closed = new Promise((resolve) => { this._resolveClosed = resolve; });
  }
  get bufferedAmount() { return this._n ? this._n.bufferedAmount : 0; }

  _handler() {
    return (kind, a, b) => {
      if (kind === 'message') {
        if (this._early) this._early.push(a); else this._message(a);
        return;
      }
      this._flush();
      this._closed(a, b ? mapError(b) : undefined);
    };
  }
  _flush() {
    const early = this._early;
    this._early = null;
    if (early) for (const m of early) this._message(m);
  }
  _message(data) {
    for (const it of this._iterators) it.push(data);
    const ev = new Event('message');
    ev.data = data;
    this._emit(ev, this.onmessage);
  }
  _closed(code, error) {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    const info = { code, wasClean: !error && code !== 1006, error };
    for (const it of this._iterators) it.end(error);
    this._iterators.clear();
    const ev = new Event('close');
    Object.assign(ev, info);
    this._emit(ev, this.onclose);
    this._resolveClosed(info);
  }
  // Listener errors are reported as uncaught, as event targets do, without breaking delivery.
  _emit(ev, prop) {
    if (typeof prop === 'function') {
      try { prop.call(this, ev); } catch (e) { process.nextTick(() => { throw e; }); }
    }
    this.dispatchEvent(ev);
  }

  send(data) {
    if (this.readyState !== OPEN) throw new InvalidArgumentError('the WebSocket is not open', -11);
    const payload = typeof data === 'string' ? data : toBuffer(data);
    if (payload === null) throw new InvalidArgumentError('send takes a string, ArrayBuffer or ArrayBufferView');
    try { this._n.send(payload); } catch (e) { throw mapError(e); }
  }
  // Starts the closing handshake; 'close' follows when the peer answered.
  close(code = 1000, reason) {
    if (this.readyState !== OPEN) return;
    try { this._n.close(code, reason); } catch (e) { throw mapError(e); }
    this.readyState = CLOSING;
  }
  // Drops the connection at once (no close frame); 'close' follows with code 1006.
  terminate() {
    if (this.readyState === CLOSED) return;
    this._n.free();
    this._flush();
    this._closed(1006, undefined);
  }
  [Symbol.asyncIterator]() {
    const q = new AsyncQueue(() => this._iterators.delete(q));
    if (this.readyState === CLOSED) q.end(); else this._iterators.add(q);
    return q;
  }
}
Object.assign(SandboxWebSocket, { CONNECTING, OPEN, CLOSING, CLOSED });

function checkPort(port) {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError(`port must be 1..65535, got ${port}`);
}

class Ports {
  constructor(sbx) { this._sbx = sbx; }

  // fetch(port, path, {method, headers, body, timeoutMs, signal}) -> PortResponse. Any HTTP status
  // the server answers resolves; nothing listening on the port rejects with NetworkError.
  async fetch(port, path = '/', init = {}) {
    checkPort(port);
    let body = init.body;
    if (body instanceof Blob) body = Buffer.from(await body.arrayBuffer());
    else if (body != null) {
      body = toBuffer(body);
      if (!body) throw new InvalidArgumentError('body must be a string, ArrayBuffer, ArrayBufferView or Blob');
    }
    const r = await call(() => native().portRequest(this._sbx._native(), port, init.method, path, {
      headers: headerLines(init.headers), body, timeoutMs: init.timeoutMs,
    }), init.signal);
    return new PortResponse(r);
  }

  // webSocket(port, path, {headers, protocol, maxMessageSize, timeoutMs, signal}): resolves once
  // the handshake completed.
  async webSocket(port, path = '/', opts = {}) {
    checkPort(port);
    const ws = new SandboxWebSocket();
    let p;
    try {
      ws._n = await call(() => (p = native().wsConnect(this._sbx._native(), port, path, {
        headers: headerLines(opts.headers), protocol: opts.protocol, maxMessageSize: opts.maxMessageSize,
        timeoutMs: opts.timeoutMs,
      }, ws._handler())), opts.signal);
    } catch (e) {
      // Aborted: a handshake that still completes is dropped, so nothing stays open.
      if (p) p.then((late) => late.free(), () => {});
      throw e;
    }
    if (ws.readyState === CONNECTING) ws.readyState = OPEN;
    // Messages queued during the handshake go out once the caller had a turn to listen.
    setImmediate(() => ws._flush());
    return ws;
  }
}

module.exports = { Ports, PortResponse, SandboxWebSocket };
