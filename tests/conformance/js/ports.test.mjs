// Sandbox ports through E2B_SANDBOX_URL + routing headers (HTTP and WebSocket).
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import { useServer, createSandbox, killTrackedAfter, waitFor } from './harness.mjs';

const srv = await useServer();
await killTrackedAfter();

let sbx;
const MARK = 'marker-' + crypto.randomBytes(4).toString('hex');
const big = crypto.randomBytes(2 * 1024 * 1024);

const WS_SERVER = String.raw`
import socketserver, hashlib, base64, struct
G = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
class H(socketserver.StreamRequestHandler):
    def handle(self):
        self.rfile.readline()
        hdrs = {}
        while True:
            l = self.rfile.readline().decode().strip()
            if not l:
                break
            k, v = l.split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
        acc = base64.b64encode(hashlib.sha1((hdrs["sec-websocket-key"] + G).encode()).digest()).decode()
        self.wfile.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n" % acc).encode())
        self.wfile.flush()
        while True:
            h = self.rfile.read(2)
            if len(h) < 2:
                return
            op = h[0] & 15
            ln = h[1] & 127
            if ln == 126:
                ln = struct.unpack(">H", self.rfile.read(2))[0]
            elif ln == 127:
                ln = struct.unpack(">Q", self.rfile.read(8))[0]
            mask = self.rfile.read(4) if h[1] & 128 else b"\0\0\0\0"
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(self.rfile.read(ln)))
            if op == 8:
                self.wfile.write(b"\x88\x00")
                self.wfile.flush()
                return
            out = b"echo:" + data
            hdr = bytes([0x80 | op]) + (bytes([len(out)]) if len(out) < 126 else bytes([126]) + struct.pack(">H", len(out)))
            self.wfile.write(hdr + out)
            self.wfile.flush()
class S(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True
S(("0.0.0.0", 8081), H).serve_forever()
`;

// Chunked responses with a chunk extension and a trailer; /slow sends them a byte at a time, so
// the proxy sees the framing split at every possible point.
const CHUNKED_SERVER = String.raw`
import http.server, socketserver, time
BODY = b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Trailer", "X-Trailer")
        self.end_headers()
        if self.path == "/slow":
            for i in range(len(BODY)):
                self.wfile.write(BODY[i:i + 1])
                self.wfile.flush()
                time.sleep(0.002)
        else:
            self.wfile.write(BODY)
    def log_message(self, *a):
        pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    allow_reuse_address = True
    daemon_threads = True
S(("0.0.0.0", 8082), H).serve_forever()
`;

before(async () => {
  sbx = await createSandbox({ metadata: { suite: 'ports' } });
  await sbx.files.write(`/home/user/www/${MARK}.html`, `<p>${MARK}</p>`);
  await sbx.files.write('/home/user/www/big.bin', big.buffer.slice(big.byteOffset, big.byteOffset + big.length));
  await sbx.files.write('/home/user/ws.py', WS_SERVER);
  await sbx.commands.run('python3 -m http.server 8080', { background: true, cwd: '/home/user/www', timeoutMs: 0 });
  await sbx.commands.run('python3 /home/user/ws.py', { background: true, timeoutMs: 0 });
  await sbx.files.write('/home/user/chunked.py', CHUNKED_SERVER);
  await sbx.commands.run('python3 /home/user/chunked.py', { background: true, timeoutMs: 0 });
});

const hdrs = (port) => ({ 'E2b-Sandbox-Id': sbx.sandboxId, 'E2b-Sandbox-Port': String(port) });

describe('ports', { concurrency: true }, () => {
  test('HTTP to a sandbox port via E2B_SANDBOX_URL + E2b-Sandbox-Id/Port headers', async () => {
    const res = await waitFor(async () => {
      const r = await fetch(srv.url + '/', { headers: hdrs(8080) });
      return r.status === 200 ? r : false;
    }, { timeoutMs: 10_000, intervalMs: 200, what: 'http.server on port 8080 to answer through the proxy' });
    const body = await res.text();
    assert.ok(body.includes(`${MARK}.html`), 'directory listing of the sandbox http.server: ' + body.slice(0, 300));
    const f = await fetch(srv.url + `/${MARK}.html?x=1`, { headers: hdrs(8080) });
    assert.equal(f.status, 200);
    assert.equal(await f.text(), `<p>${MARK}</p>`);
    const nf = await fetch(srv.url + '/nope.html', { headers: hdrs(8080) });
    assert.equal(nf.status, 404, 'upstream status codes are passed through');
    await nf.arrayBuffer();
    const b = await fetch(srv.url + '/big.bin', { headers: hdrs(8080) });
    assert.equal(b.status, 200);
    const got = Buffer.from(await b.arrayBuffer());
    assert.equal(crypto.createHash('sha256').update(got).digest('hex'), crypto.createHash('sha256').update(big).digest('hex'), '2 MiB body through the proxy');
  });

  test('chunked upstream bodies (extensions, trailers, split anywhere) arrive intact, connection reused', async () => {
    await waitFor(async () => {
      const r = await fetch(srv.url + '/', { headers: hdrs(8082) }).catch(() => null);
      if (!r) return false;
      await r.arrayBuffer();
      return r.status === 200;
    }, { timeoutMs: 10_000, intervalMs: 200, what: 'chunked server on port 8082 to answer through the proxy' });
    for (const p of ['/', '/slow', '/', '/slow']) {
      const r = await fetch(srv.url + p, { headers: hdrs(8082) });
      assert.equal(r.status, 200);
      assert.equal(await r.text(), 'hello world', p);
    }
  });

  test('closed port -> 502', async () => {
    const r = await fetch(srv.url + '/', { headers: hdrs(8099) });
    assert.equal(r.status, 502);
    await r.arrayBuffer();
  });

  test('WebSocket upgrade through the same route (stdlib echo server in the sandbox)', async () => {
    await waitFor(async () => (await sbx.commands.run(`python3 -c 'import socket; socket.create_connection(("127.0.0.1", 8081), 1)' && echo up || true`)).stdout === 'up\n',
      { timeoutMs: 10_000, intervalMs: 200, what: 'ws server on port 8081 to listen' });
    const key = crypto.randomBytes(16).toString('base64');
    const sock = net.connect(srv.port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const waiters = [];
    sock.on('data', (d) => { buf = Buffer.concat([buf, d]); waiters.splice(0).forEach((w) => w()); });
    const closed = new Promise((r) => sock.on('close', r));
    const need = async (pred, what) => {
      const deadline = Date.now() + 8000;
      for (;;) {
        const v = pred();
        if (v) return v;
        if (Date.now() > deadline) throw new Error(`timeout waiting for ${what}; have ${JSON.stringify(buf.toString('latin1').slice(0, 300))}`);
        await Promise.race([new Promise((r) => waiters.push(r)), closed, new Promise((r) => setTimeout(r, 200))]);
      }
    };
    try {
      await new Promise((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
      sock.write([
        'GET /chat HTTP/1.1', `Host: 127.0.0.1:${srv.port}`, 'Upgrade: websocket', 'Connection: Upgrade',
        `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13',
        `E2b-Sandbox-Id: ${sbx.sandboxId}`, 'E2b-Sandbox-Port: 8081', '', ''].join('\r\n'));
      const headEnd = await need(() => { const i = buf.indexOf('\r\n\r\n'); return i >= 0 ? i + 4 : 0; }, 'upgrade response');
      const head = buf.subarray(0, headEnd).toString('latin1');
      buf = buf.subarray(headEnd);
      assert.match(head, /^HTTP\/1\.1 101/, head);
      const accept = crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
      assert.match(head, new RegExp(`sec-websocket-accept: ${accept.replace(/[+/]/g, '\\$&')}`, 'i'));

      const sendText = (text) => {
        const payload = Buffer.from(text);
        const mask = crypto.randomBytes(4);
        const len = payload.length < 126 ? Buffer.from([0x80 | payload.length]) : Buffer.from([0x80 | 126, payload.length >> 8, payload.length & 255]);
        const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
        sock.write(Buffer.concat([Buffer.from([0x81]), len, mask, masked]));
      };
      const readFrame = async () => need(() => {
        if (buf.length < 2) return null;
        let len = buf[1] & 127, off = 2;
        if (len === 126) { if (buf.length < 4) return null; len = buf.readUInt16BE(2); off = 4; }
        if (buf.length < off + len) return null;
        const f = { op: buf[0] & 15, data: buf.subarray(off, off + len).toString() };
        buf = buf.subarray(off + len);
        return f;
      }, 'websocket frame');
      sendText('ping-1');
      assert.deepEqual(await readFrame(), { op: 1, data: 'echo:ping-1' });
      const long = 'x'.repeat(3000) + 'ü';
      sendText(long);
      assert.deepEqual(await readFrame(), { op: 1, data: 'echo:' + long });
      sock.write(Buffer.from([0x88, 0x80, 1, 2, 3, 4]));
      assert.equal((await readFrame()).op, 8);
    } finally {
      sock.destroy();
    }
  });
});
