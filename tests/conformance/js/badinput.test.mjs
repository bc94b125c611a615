// Bad input through the server with raw sockets: oversized bodies, truncated uploads, clients
// that vanish mid-stream. The server answers or cleans up, keeps serving, loses no data.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { useServer, createSandbox, killTrackedAfter, sleep, waitFor } from './harness.mjs';

const srv = await useServer();
await killTrackedAfter();

let sbx;
before(async () => { sbx = await createSandbox({ metadata: { suite: 'badinput' } }); });

// Sends raw bytes; resolves with everything the server sent until it closed (or `waitMs`).
function rawExchange(chunks, { closeAfterSend = false, waitMs = 3000 } = {}) {
  return new Promise((resolve, reject) => {
    const s = net.connect(srv.port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => { s.destroy(); resolve(got); }, waitMs);
    s.on('data', (d) => { got += d.toString('latin1'); });
    s.on('close', () => { clearTimeout(timer); resolve(got); });
    s.on('error', (e) => { clearTimeout(timer); if (e.code === 'ECONNRESET') resolve(got); else reject(e); });
    s.on('connect', () => {
      for (const c of chunks) s.write(c);
      if (closeAfterSend) s.destroy();
    });
  });
}

const route = () => `E2b-Sandbox-Id: ${sbx.sandboxId}\r\nE2b-Sandbox-Port: 49983\r\nX-Access-Token: ${sbx.envdAccessToken}\r\n`;

describe('bad input', { concurrency: false }, () => {
  test('control-plane body over 1 MiB -> 413 JSON, server keeps serving', async () => {
    const body = '{"templateID":"base","metadata":{"x":"' + 'a'.repeat(2 << 20) + '"}}';
    const r = await fetch(srv.url + '/sandboxes', { method: 'POST', headers: { 'X-API-KEY': srv.apiKey, 'Content-Type': 'application/json' }, body });
    assert.equal(r.status, 413);
    assert.equal((await r.json()).code, 413);
    assert.equal((await fetch(srv.url + '/health')).status, 204);
  });

  test('malformed HTTP gets an error or a closed connection, never a hang or a crash', async () => {
    const out = await rawExchange(['GARBAGE / HTTP/9.9\r\n\r\n']);
    assert.ok(out === '' || /^HTTP\/1\.1 4\d\d/.test(out), `answer: ${out.slice(0, 80)}`);
    const out2 = await rawExchange([`GET /v2/sandboxes HTTP/1.1\r\nHost: x\r\nX-API-KEY: ${srv.apiKey}\r\nContent-Length: nope\r\n\r\n`]);
    assert.ok(out2 === '' || /^HTTP\/1\.1 4\d\d/.test(out2), `answer: ${out2.slice(0, 80)}`);
    assert.equal((await fetch(srv.url + '/health')).status, 204);
  });

  test('a truncated upload keeps the previous file and leaves no temp file', async () => {
    await sbx.files.write('/home/user/keep.bin', 'original content');
    const header = `POST /files?path=%2Fhome%2Fuser%2Fkeep.bin HTTP/1.1\r\nHost: x\r\n${route()}` +
      'Content-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\n';
    await rawExchange([header, 'x'.repeat(4096)], { closeAfterSend: true });
    await sleep(300);
    assert.equal(await sbx.files.read('/home/user/keep.bin'), 'original content');
    const names = (await sbx.files.list('/home/user')).map((e) => e.name);
    assert.deepEqual(names.filter((n) => n.includes('keep.bin')), ['keep.bin'], `entries: ${names}`);
  });

  test('a client that vanishes mid-stream: the process keeps running, the server keeps serving', async () => {
    const cmd = JSON.stringify({ process: { cmd: '/bin/bash', args: ['-c', 'sleep 30'] }, stdin: false });
    const env = Buffer.alloc(5 + Buffer.byteLength(cmd));
    env.writeUInt8(0, 0);
    env.writeUInt32BE(Buffer.byteLength(cmd), 1);
    env.write(cmd, 5);
    const header = `POST /process.Process/Start HTTP/1.1\r\nHost: x\r\n${route()}Connect-Protocol-Version: 1\r\n` +
      `Content-Type: application/connect+json\r\nContent-Length: ${env.length}\r\n\r\n`;
    // read until the start event arrived, then drop the connection
    await new Promise((resolve, reject) => {
      const s = net.connect(srv.port, '127.0.0.1', () => { s.write(header); s.write(env); });
      let got = '';
      s.on('data', (d) => { got += d.toString('latin1'); if (got.includes('"start"')) { s.destroy(); resolve(); } });
      s.on('error', reject);
      setTimeout(() => reject(new Error(`no start event: ${got.slice(0, 200)}`)), 5000).unref();
    });
    const procs = await waitFor(async () => (await sbx.commands.list()).find((p) => p.args.includes('sleep 30')), { what: 'the sleep process' });
    assert.ok(procs, 'the process survived its client');
    assert.equal(await sbx.commands.kill(procs.pid), true);
    assert.equal((await fetch(srv.url + '/health')).status, 204);
  });
});
