// Run by leak.test.mjs in its own process: many streams of every kind, memory sampled after
// each round, then it simply returns; the process must exit on its own (no handle left ref'd).
import e2b from '../lib/index.js';
import ci from '../lib/code-interpreter.js';

const { Sandbox, SandboxPool } = e2b;
const opts = JSON.parse(process.env.E2B_TEST_OPTS);
const rounds = Number(process.env.ROUNDS || 6);
const sbx = await ci.Sandbox.create({ ...opts, template: 'base' });  // e2b-local's base has the interpreter too
await sbx.files.write('/home/user/blob.bin', Buffer.alloc(256 * 1024, 7));
// A WebSocket echo server (also answers plain HTTP with 426) for the ports streams.
await sbx.files.write('/home/user/echo_srv.py', `
import socketserver, hashlib, base64, struct
class H(socketserver.StreamRequestHandler):
    def handle(self):
        r, w = self.rfile, self.wfile
        r.readline()
        hd = {}
        for l in iter(r.readline, b'\\r\\n'):
            k, _, v = l.decode().partition(':')
            hd[k.strip().lower()] = v.strip()
        if 'sec-websocket-key' not in hd:
            w.write(b'HTTP/1.1 426 Upgrade Required\\r\\nContent-Length: 0\\r\\n\\r\\n'); return
        acc = base64.b64encode(hashlib.sha1(hd['sec-websocket-key'].encode() + b'258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest())
        w.write(b'HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: ' + acc + b'\\r\\n\\r\\n')
        w.flush()
        while True:
            h = r.read(2)
            if len(h) < 2: return
            op, n = h[0] & 15, h[1] & 127
            if n == 126: n = struct.unpack('>H', r.read(2))[0]
            mask = r.read(4)
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(r.read(n)))
            if op == 8: w.write(bytes([0x88, 2]) + data[:2]); w.flush(); return
            w.write(bytes([0x80 | op, len(data)]) + data); w.flush()
class S(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True
S(('0.0.0.0', 8765), H).serve_forever()
`);
await sbx.commands.run('python3 /home/user/echo_srv.py', { background: true, timeoutMs: 0 });
for (let i = 0; ; i++) {
  try { await sbx.ports.fetch(8765, '/'); break; } catch (e) { if (i > 150) throw e; await new Promise((r) => setTimeout(r, 100)); }
}
const pool = new SandboxPool({ ...opts, maxSize: 1 });
const samples = [];
for (let r = 0; r < rounds; r++) {
  const jobs = [];
  for (let i = 0; i < 40; i++) {
    jobs.push(sbx.commands.run(`echo line${i}; echo err >&2`, { onStdout: () => {}, onStderr: () => {} }));
  }
  for (let i = 0; i < 10; i++) {
    jobs.push((async () => {
      let n = 0;
      for await (const c of await sbx.files.read('/home/user/blob.bin', { format: 'stream' })) n += c.length;
      if (n !== 256 * 1024) throw new Error(`short stream: ${n}`);
    })());
  }
  for (let i = 0; i < 5; i++) {
    jobs.push((async () => {
      const w = await sbx.files.watchDir('/home/user', () => {});
      await w.stop();
      const h = await sbx.commands.run('sleep 10', { background: true });
      await h.disconnect();
      await sbx.commands.kill(h.pid);
    })());
  }
  for (let i = 0; i < 5; i++) {
    jobs.push((async () => {
      const ws = await sbx.ports.webSocket(8765, '/');
      const got = ws[Symbol.asyncIterator]();
      ws.send('m' + i);
      if ((await got.next()).value !== 'm' + i) throw new Error('bad echo');
      ws.close();
      await ws.closed;
      const t = await sbx.ports.webSocket(8765, '/');
      t.terminate();
      if ((await sbx.ports.fetch(8765, '/')).status !== 426) throw new Error('bad status');
    })());
  }
  for (let i = 0; i < 10; i++) {
    jobs.push(sbx.runCode(`print(${i})\n${i} * 2`, { onStdout: () => {} }).then((x) => {
      if (x.text !== String(i * 2)) throw new Error(`bad cell: ${x.text}`);
    }));
  }
  jobs.push((async () => {
    const ac = new AbortController();
    const p = sbx.runCode('import time\nprint("x", flush=True)\ntime.sleep(30)', { signal: ac.signal, onStdout: () => ac.abort() });
    await p.then(() => { throw new Error('not aborted'); }, () => {});
    const pooled = await pool.acquire();
    await pooled.commands.run('sleep 30', { background: true });
    pool.release(pooled);  // detaches the stream
  })());
  await Promise.all(jobs);
  global.gc();
  await new Promise((r) => setTimeout(r, 50));
  global.gc();
  const m = process.memoryUsage();
  samples.push({ rss: m.rss, heap: m.heapUsed, external: m.external });
}
await pool.close();
await sbx.kill();
console.log(JSON.stringify({ samples, resources: process.getActiveResourcesInfo() }));
// No process.exit(): the test checks that the event loop ends by itself.
