// sandbox.ports against servers started inside the sandbox: an HTTP echo server and a WebSocket
// echo server (Python stdlib only), round trips and failure paths.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './harness.mjs';
import e2b from '../lib/index.js';

const { Sandbox, NetworkError, InvalidArgumentError, ProtocolError, SandboxWebSocket } = e2b;
const HTTP_PORT = 3000, WS_PORT = 8765;
let srv, sbx;

// Echo: status from /status/<n>; body "<method> <path> <X-Test>|<request body>"; two Set-Cookie.
const HTTP_SERVER = `
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def do(self):
        body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
        if self.path == '/slow': time.sleep(3)
        st = int(self.path.split('/')[2]) if self.path.startswith('/status/') else 200
        out = ('%s %s %s|' % (self.command, self.path, self.headers.get('X-Test', ''))).encode() + body
        self.send_response(st)
        self.send_header('X-Echo-Method', self.command)
        self.send_header('Set-Cookie', 'a=1')
        self.send_header('Set-Cookie', 'b=2')
        self.send_header('Content-Length', str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    do_GET = do_POST = do_PUT = do_DELETE = do
    def log_message(self, *a): pass
ThreadingHTTPServer(('0.0.0.0', ${HTTP_PORT}), H).serve_forever()
`;

// WebSocket echo with a greeting sent right after the handshake; "close-me" makes the server
// close with 4001; a handshake with X-Refuse is answered 403.
const WS_SERVER = `
import socketserver, hashlib, base64, struct
G = b'258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
def frame(op, data):
    n = len(data)
    ln = bytes([n]) if n < 126 else struct.pack('>BH', 126, n) if n < 65536 else struct.pack('>BQ', 127, n)
    return bytes([0x80 | op]) + ln + data
class H(socketserver.StreamRequestHandler):
    def handle(self):
        r, w = self.rfile, self.wfile
        r.readline()
        hd = {}
        for l in iter(r.readline, b'\\r\\n'):
            k, _, v = l.decode().partition(':')
            hd[k.strip().lower()] = v.strip()
        if 'sec-websocket-key' not in hd or 'x-refuse' in hd:
            w.write(b'HTTP/1.1 403 Forbidden\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n')
            return
        acc = base64.b64encode(hashlib.sha1(hd['sec-websocket-key'].encode() + G).digest()).decode()
        w.write(('HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n'
                 'Sec-WebSocket-Accept: %s\\r\\n\\r\\n' % acc).encode())
        w.write(frame(1, b'hello'))
        w.flush()
        closing = False
        while True:
            h = r.read(2)
            if len(h) < 2: return
            op, n = h[0] & 15, h[1] & 127
            if n == 126: n = struct.unpack('>H', r.read(2))[0]
            elif n == 127: n = struct.unpack('>Q', r.read(8))[0]
            mask = r.read(4)
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(r.read(n)))
            if op == 8:
                if not closing: w.write(frame(8, data[:2])); w.flush()
                return
            if op == 1 and data == b'close-me':
                closing = True
                w.write(frame(8, struct.pack('>H', 4001)))
            elif op in (1, 2):
                w.write(frame(op, data))
            w.flush()
class S(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True
S(('0.0.0.0', ${WS_PORT}), H).serve_forever()
`;

async function waitListening(port) {
  const deadline = Date.now() + 15000;
  for (;;) {
    try { return await sbx.ports.fetch(port, '/'); } catch (e) {
      if (!(e instanceof NetworkError) || Date.now() > deadline) throw e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  srv = await startServer();
  sbx = await Sandbox.create(srv.opts);
  await sbx.files.write([{ path: '/home/user/http_echo.py', data: HTTP_SERVER }, { path: '/home/user/ws_echo.py', data: WS_SERVER }]);
  await sbx.commands.run('python3 /home/user/http_echo.py', { background: true, timeoutMs: 0 });
  await sbx.commands.run('python3 /home/user/ws_echo.py', { background: true, timeoutMs: 0 });
  await waitListening(HTTP_PORT);
});
after(async () => {
  if (sbx) await sbx.kill().catch(() => {});
  if (srv) await srv.stop();
});

test('fetch: method, path with query, headers, body, status and response headers', async () => {
  const r = await sbx.ports.fetch(HTTP_PORT, '/echo?x=1', { method: 'POST', headers: { 'X-Test': 'yes' }, body: 'payload' });
  assert.equal(r.status, 200);
  assert.equal(r.ok, true);
  assert.equal(await r.text(), 'POST /echo?x=1 yes|payload');
  assert.equal(r.headers.get('x-echo-method'), 'POST');
  assert.deepEqual(r.headers.getSetCookie(), ['a=1', 'b=2']);
  const bin = await sbx.ports.fetch(HTTP_PORT, '/b', { method: 'PUT', headers: new Headers({ 'X-Test': 'h' }), body: new Uint8Array([0, 255, 10]) });
  assert.deepEqual([...(await bin.bytes()).slice(-3)], [0, 255, 10]);
  const nf = await sbx.ports.fetch(HTTP_PORT, '/status/404');
  assert.equal(nf.status, 404);
  assert.equal(nf.ok, false);
  assert.equal(await nf.text(), 'GET /status/404 |');
  // Repeated round trips on one client.
  const many = await Promise.all(Array.from({ length: 20 }, (_, i) => sbx.ports.fetch(HTTP_PORT, `/n/${i}`)));
  assert.deepEqual(await Promise.all(many.map((m) => m.text())), many.map((_, i) => `GET /n/${i} |`));
});

test('fetch failures: nothing listening, bad port, bad path, bad header', async () => {
  await assert.rejects(sbx.ports.fetch(3999, '/'), (e) => e instanceof NetworkError && e.httpStatus === 502 && e.code === 'E2B_ENETWORK');
  await assert.rejects(sbx.ports.fetch(0, '/'), InvalidArgumentError);
  await assert.rejects(sbx.ports.fetch(70000, '/'), InvalidArgumentError);
  await assert.rejects(sbx.ports.fetch(HTTP_PORT, 'no-slash'), (e) => e instanceof InvalidArgumentError && e.e2bCode === -2);
  await assert.rejects(sbx.ports.fetch(HTTP_PORT, '/', { headers: { 'X-Bad': 'a\r\nb' } }), InvalidArgumentError);
  await assert.rejects(sbx.ports.fetch(HTTP_PORT, '/', { signal: AbortSignal.abort() }), e2b.AbortError);
});

test('an AbortSignal cancels the request inside libe2b (cancel token), not just the promise', async () => {
  const events = [];
  const opts = { ...srv.opts, onLog: (e) => events.push(e) };
  const s = await Sandbox.connect(sbx.sandboxId, opts);
  const t0 = Date.now();
  await assert.rejects(s.ports.fetch(HTTP_PORT, '/slow', { signal: AbortSignal.timeout(200) }), (e) => e.name === 'TimeoutError' || e instanceof e2b.AbortError);
  // The request itself ended with "canceled" long before the server's 3 s answer.
  const deadline = Date.now() + 2000;
  let ev;
  while (!(ev = events.find((e) => e.error && /cancel/.test(e.error))) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(ev, JSON.stringify(events));
  assert.ok(Date.now() - t0 < 2500);
});

test('WebSocket: greeting, text and binary echo, events, iteration, clean close', async () => {
  const ws = await sbx.ports.webSocket(WS_PORT, '/chat?room=1');
  assert.equal(ws.readyState, SandboxWebSocket.OPEN);
  const got = [];
  let onmessageCount = 0;
  ws.onmessage = () => { onmessageCount++; };
  ws.addEventListener('message', (ev) => got.push(ev.data));
  const it = ws[Symbol.asyncIterator]();
  ws.send('ping');
  ws.send(new Uint8Array([1, 2, 3]));
  const big = Buffer.alloc(200 * 1024, 7);
  ws.send(big);
  // The greeting was sent before the connect resolved: it is delivered, first.
  const first = await it.next();
  assert.equal(first.value, 'hello');
  assert.equal((await it.next()).value, 'ping');
  const b = (await it.next()).value;
  assert.ok(Buffer.isBuffer(b));
  assert.deepEqual([...b], [1, 2, 3]);
  assert.ok((await it.next()).value.equals(big));
  assert.deepEqual(got.slice(0, 2), ['hello', 'ping']);
  assert.equal(onmessageCount, 4);
  assert.equal(typeof ws.bufferedAmount, 'number');
  ws.close(1000, 'done');
  assert.equal(ws.readyState, SandboxWebSocket.CLOSING);
  const closed = await ws.closed;
  assert.equal(closed.code, 1000);
  assert.equal(closed.wasClean, true);
  assert.equal(ws.readyState, SandboxWebSocket.CLOSED);
  assert.deepEqual(await it.next(), { value: undefined, done: true });
  assert.throws(() => ws.send('late'), (e) => e.code === 'E2B_EMISUSE');
});

test('WebSocket: the server closes (4001), terminate, refused upgrade, nothing listening', async () => {
  const ws = await sbx.ports.webSocket(WS_PORT, '/');
  let closeEv;
  ws.addEventListener('close', (ev) => { closeEv = ev; });
  ws.send('close-me');
  const c = await ws.closed;
  assert.equal(c.code, 4001);
  assert.equal(closeEv.code, 4001);
  const msgs = [];
  for await (const m of ws) msgs.push(m);  // already closed: ends at once
  assert.deepEqual(msgs, []);

  const t = await sbx.ports.webSocket(WS_PORT, '/');
  t.terminate();
  assert.equal((await t.closed).code, 1006);
  assert.equal(t.readyState, SandboxWebSocket.CLOSED);

  await assert.rejects(sbx.ports.webSocket(WS_PORT, '/', { headers: { 'X-Refuse': '1' } }),
    (e) => e instanceof ProtocolError && e.httpStatus === 403);
  await assert.rejects(sbx.ports.webSocket(3999, '/'), (e) => e instanceof NetworkError);
  await assert.rejects(sbx.ports.webSocket(WS_PORT, 'bad'), InvalidArgumentError);
  await assert.rejects(sbx.ports.webSocket(WS_PORT, '/', { signal: AbortSignal.abort() }), e2b.AbortError);
});

test('WebSocket: a message above maxMessageSize ends the socket with ProtocolError', async () => {
  const ws = await sbx.ports.webSocket(WS_PORT, '/', { maxMessageSize: 1024 });
  ws.send(Buffer.alloc(4096, 1));
  const c = await ws.closed;
  assert.ok(c.error instanceof ProtocolError, String(c.error));
  assert.equal(c.wasClean, false);
});
