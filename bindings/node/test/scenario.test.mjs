// The shared scenario every binding runs against a private e2b-local.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { startServer, API_KEY } from './harness.mjs';
import e2b from '../lib/index.js';

const { Sandbox, CommandExitError, SandboxNotFoundError, AuthenticationError, FileNotFoundError } = e2b;
let srv, sbx;

before(async () => {
  srv = await startServer();
  sbx = await Sandbox.create({ ...srv.opts, timeoutMs: 120000 });
});
after(async () => {
  if (sbx) await sbx.kill().catch(() => {});
  if (srv) await srv.stop();
});

test('create gives a running sandbox with an id', async () => {
  assert.match(sbx.sandboxId, /^\w+$/);
  assert.equal(await sbx.isRunning(), true);
  const info = await sbx.getInfo();
  assert.equal(info.sandboxId, sbx.sandboxId);
  assert.equal(info.state, 'running');
});

test('streamed command: onStdout/onStderr in order, then the result', async () => {
  const out = [], err = [];
  const r = await sbx.commands.run('for i in 1 2 3; do echo o$i; echo e$i >&2; sleep 0.05; done', {
    onStdout: (d) => out.push(d), onStderr: (d) => err.push(d),
  });
  assert.equal(out.join(''), 'o1\no2\no3\n');
  assert.equal(err.join(''), 'e1\ne2\ne3\n');
  assert.equal(r.exitCode, 0);
  assert.equal(r.stdout, 'o1\no2\no3\n');
  // The handle is also an AsyncIterable of chunks.
  const h = await sbx.commands.run('echo a; echo b >&2', { background: true });
  const seen = [];
  for await (const c of h) seen.push(`${c.stream}:${Buffer.from(c.data).toString()}`);
  assert.deepEqual(seen.sort(), ['stderr:b\n', 'stdout:a\n']);
  await assert.rejects(sbx.commands.run('echo bad >&2; exit 3'), (e) => {
    assert.ok(e instanceof CommandExitError);
    assert.equal(e.exitCode, 3);
    assert.equal(e.stderr, 'bad\n');
    assert.equal(e.code, 'E2B_ECOMMAND_EXIT');
    return true;
  });
});

test('stdin reaches a background command', async () => {
  const h = await sbx.commands.run('cat', { background: true, stdin: true });
  await h.sendStdin('hello ');
  await sbx.commands.sendStdin(h.pid, new Uint8Array([119, 111, 114, 108, 100]));  // by pid
  await h.closeStdin();
  const r = await h.wait();
  assert.equal(r.stdout, 'hello world');
});

test('files round trip: text, 8 MiB binary as bytes and as streams', async () => {
  await sbx.files.write('/home/user/dir/a.txt', 'héllo');
  assert.equal(await sbx.files.read('/home/user/dir/a.txt'), 'héllo');
  const big = randomBytes(8 * 1024 * 1024);
  const sha = createHash('sha256').update(big).digest('hex');
  const info = await sbx.files.write('/home/user/big.bin', big);
  assert.deepEqual(info, { name: 'big.bin', type: 'file', path: '/home/user/big.bin' });
  const back = await sbx.files.read('/home/user/big.bin', { format: 'bytes' });
  assert.equal(back.length, big.length);
  assert.equal(createHash('sha256').update(back).digest('hex'), sha);
  assert.equal((await sbx.commands.run('sha256sum /home/user/big.bin')).stdout.split(' ')[0], sha);
  // Streamed download: a ReadableStream consumed with for-await.
  const stream = await sbx.files.read('/home/user/big.bin', { format: 'stream' });
  const h = createHash('sha256');
  let n = 0;
  for await (const chunk of stream) { h.update(chunk); n += chunk.length; }
  assert.equal(n, big.length);
  assert.equal(h.digest('hex'), sha);
  // Streamed upload from an async generator.
  async function* gen() { for (let off = 0; off < big.length; off += 1 << 20) yield big.subarray(off, off + (1 << 20)); }
  await sbx.files.write('/home/user/big2.bin', gen());
  assert.equal((await sbx.commands.run('sha256sum /home/user/big2.bin')).stdout.split(' ')[0], sha);
  assert.equal((await sbx.files.getInfo('/home/user/big2.bin')).size, big.length);
});

test('watch delivers an event for a new file', async () => {
  await sbx.files.makeDir('/home/user/w');
  const events = [];
  let got;
  const gotIt = new Promise((r) => { got = r; });
  const w = await sbx.files.watchDir('/home/user/w', (ev) => { events.push(ev); if (ev.name === 'new.txt') got(); });
  await sbx.files.write('/home/user/w/new.txt', 'x');
  await gotIt;
  await w.stop();
  assert.ok(events.some((e) => e.name === 'new.txt' && (e.type === 'create' || e.type === 'write')), JSON.stringify(events));
});

test('pause, then connect: a process started before is alive and reconnectable', async () => {
  const h = await sbx.commands.run('i=0; while true; do echo tick$i; i=$((i+1)); sleep 0.2; done', { background: true, timeoutMs: 0 });
  const pid = h.pid;
  assert.ok(pid > 0);
  assert.equal(await sbx.pause(), true);
  assert.equal(await sbx.isRunning(), false);
  assert.equal((await Sandbox.getInfo(sbx.sandboxId, srv.opts)).state, 'paused');
  const again = await Sandbox.connect(sbx.sandboxId, srv.opts);
  assert.equal(again.sandboxId, sbx.sandboxId);
  assert.equal(await again.isRunning(), true);
  const procs = await again.commands.list();
  assert.ok(procs.some((p) => p.pid === pid), JSON.stringify(procs));
  const lines = [];
  let saw;
  const sawTick = new Promise((r) => { saw = r; });
  const c = await again.commands.connect(pid, { onStdout: (d) => { lines.push(d); if (/tick\d+/.test(lines.join(''))) saw(); } });
  await sawTick;
  assert.equal(await again.commands.kill(pid), true);
  await assert.rejects(c.wait());  // killed by a signal: not a clean exit
  assert.equal(await again.commands.kill(pid), false);
  sbx = again;
});

test('error cases map to typed errors with the E2B code', async () => {
  await assert.rejects(Sandbox.connect('nosuchsandbox', srv.opts), (e) => {
    assert.ok(e instanceof SandboxNotFoundError, e.stack);
    assert.equal(e.code, 'E2B_ESANDBOX_NOT_FOUND');
    assert.equal(e.e2bCode, -12);
    return true;
  });
  await assert.rejects(Sandbox.create({ ...srv.opts, apiKey: 'e2b_' + 'f'.repeat(40) }), (e) => {
    assert.ok(e instanceof AuthenticationError, e.stack);
    assert.equal(e.code, 'E2B_EAUTH');
    assert.equal(e.httpStatus, 401);
    return true;
  });
  await assert.rejects(sbx.files.read('/home/user/missing.txt'), (e) => {
    assert.ok(e instanceof FileNotFoundError, e.stack);
    assert.equal(e.code, 'E2B_EFILE_NOT_FOUND');
    return true;
  });
  assert.ok(API_KEY);
});

test('kill ends the sandbox', async () => {
  assert.equal(await sbx.kill(), true);
  assert.equal(await sbx.kill(), false);
  await assert.rejects(Sandbox.getInfo(sbx.sandboxId, srv.opts), SandboxNotFoundError);
  sbx = null;
});
