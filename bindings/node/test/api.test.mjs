// The rest of the API surface: lifecycle extras, PTY, process management, file operations,
// AbortSignal, and library loading failures.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startServer } from './harness.mjs';
import e2b from '../lib/index.js';

const { Sandbox, AbortError, InvalidArgumentError, FileNotFoundError, SandboxNotFoundError } = e2b;
const here = path.dirname(fileURLToPath(import.meta.url));
let srv, sbx;

before(async () => {
  srv = await startServer();
  sbx = await Sandbox.create('base', { ...srv.opts, metadata: { suite: 'node-api' }, envs: { FOO: 'bar' } });
});
after(async () => {
  if (sbx) await sbx.kill().catch(() => {});
  if (srv) await srv.stop();
});

test('list paginates and filters by metadata; getHost; timeout; signed URLs', async () => {
  const other = await Sandbox.create({ ...srv.opts, metadata: { suite: 'node-api' } });
  try {
    const p = Sandbox.list({ ...srv.opts, query: { metadata: { suite: 'node-api' }, state: ['running'] }, limit: 1 });
    const ids = [];
    while (p.hasNext) ids.push(...(await p.nextItems()).map((i) => i.sandboxId));
    assert.deepEqual(ids.sort(), [sbx.sandboxId, other.sandboxId].sort());
    await assert.rejects(p.nextItems(), InvalidArgumentError);
  } finally {
    await other.kill();
  }
  assert.equal(sbx.getHost(8080), `8080-${sbx.sandboxId}.e2b.app`);
  await sbx.setTimeout(60000);
  const info = await sbx.getInfo();
  assert.ok(info.endAt.getTime() - Date.now() <= 61000);
  assert.equal(info.metadata.suite, 'node-api');
  const up = await sbx.uploadUrl('/home/user/u.txt');
  assert.match(up, /\/files\?.*path=/);
  const down = await sbx.downloadUrl('/home/user/u.txt', { useSignatureExpiration: 60 });
  assert.match(down, /signature=/);
  // The URL works without headers.
  await sbx.files.write('/home/user/u.txt', 'via url');
  const res = await fetch(down, { headers: { 'E2b-Sandbox-Id': sbx.sandboxId, 'E2b-Sandbox-Port': '49983' } });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'via url');
});

test('commands: envs, cwd, user, list with tag, kill, connect by pid', async () => {
  const r = await sbx.commands.run('echo $FOO $BAR; pwd; whoami', { envs: { BAR: 'baz' }, cwd: '/tmp', user: 'root' });
  assert.equal(r.stdout, 'bar baz\n/tmp\nroot\n');
  const h = await sbx.commands.run('sleep 30', { background: true, tag: 'sleeper' });
  const l = await sbx.commands.list();
  const me = l.find((p) => p.pid === h.pid);
  assert.equal(me.tag, 'sleeper');
  assert.equal(await h.kill(), true);
  await assert.rejects(h.wait());
  assert.equal(await sbx.commands.kill(999999), false);
  await assert.rejects(sbx.commands.connect(999999), (e) => e.code === 'E2B_ENOTFOUND');
  await assert.rejects(sbx.commands.run('true', { cwd: '/no/such/dir' }), (e) => e.code === 'E2B_EINVAL');
});

test('pty: output, input, resize', async () => {
  const data = [];
  let done;
  const sawIt = new Promise((r) => { done = r; });
  const pty = await sbx.pty.create({
    cols: 100, rows: 30, timeoutMs: 0,
    onData: (d) => { data.push(Buffer.from(d).toString()); if (data.join('').includes('COLS=100')) done(); },
  });
  await sbx.pty.sendInput(pty.pid, 'echo COLS=$(tput cols)\n');
  await sawIt;
  await sbx.pty.resize(pty.pid, { cols: 120, rows: 40 });
  await sbx.pty.sendInput(pty.pid, 'exit\n');
  const r = await pty.wait();
  assert.equal(r.exitCode, 0);
});

test('files: makeDir, exists, list depth, rename, remove, batch write, getInfo', async () => {
  assert.equal(await sbx.files.makeDir('/home/user/t/a/b'), true);
  assert.equal(await sbx.files.makeDir('/home/user/t/a/b'), false);
  const infos = await sbx.files.write([{ path: '/home/user/t/one.txt', data: '1' }, { path: '/home/user/t/a/two.txt', data: new Uint8Array([50]) }]);
  assert.deepEqual(infos.map((i) => i.path), ['/home/user/t/one.txt', '/home/user/t/a/two.txt']);
  assert.equal(await sbx.files.exists('/home/user/t/one.txt'), true);
  const l1 = (await sbx.files.list('/home/user/t')).map((e) => e.name).sort();
  assert.deepEqual(l1, ['a', 'one.txt']);
  const l2 = (await sbx.files.list('/home/user/t', { depth: 3 })).map((e) => e.path).sort();
  assert.deepEqual(l2, ['/home/user/t/a', '/home/user/t/a/b', '/home/user/t/a/two.txt', '/home/user/t/one.txt']);
  const moved = await sbx.files.rename('/home/user/t/one.txt', '/home/user/t/moved/uno.txt');
  assert.equal(moved.path, '/home/user/t/moved/uno.txt');
  assert.equal(moved.type, 'file');
  assert.equal(await sbx.files.exists('/home/user/t/one.txt'), false);
  const st = await sbx.files.getInfo('/home/user/t/a');
  assert.equal(st.type, 'dir');
  const rel = await sbx.files.write('rel.txt', 'relative');
  assert.equal(rel.path, '/home/user/rel.txt');
  await sbx.files.remove('/home/user/t');
  await sbx.files.remove('/home/user/t');  // missing is fine
  assert.equal(await sbx.files.exists('/home/user/t'), false);
  await assert.rejects(sbx.files.list('/home/user/nope'), FileNotFoundError);
  await assert.rejects(sbx.files.read('/home/user', {}), (e) => e.code === 'E2B_EINVAL');
  await assert.rejects(sbx.files.read('/root/x', { format: 'stream' }), (e) => e.e2bCode < 0);
  assert.equal(await sbx.files.read('/etc/hostname', { format: 'blob', user: 'root' }).then((b) => b.size > 0), true);
});

test('watch as an AsyncIterable, recursive', async () => {
  await sbx.files.makeDir('/home/user/wi/sub');
  const w = await sbx.files.watchDir('/home/user/wi', { recursive: true });
  await sbx.files.write('/home/user/wi/sub/f.txt', 'x');
  for await (const ev of w) {
    if (ev.name === 'sub/f.txt') break;  // break stops the watch
  }
});

test('AbortSignal cancels streams and calls', async () => {
  const ac = new AbortController();
  const p = sbx.commands.run('sleep 20', { signal: ac.signal });
  setTimeout(() => ac.abort(), 200);
  await assert.rejects(p, AbortError);
  await assert.rejects(sbx.files.read('/etc/hostname', { signal: AbortSignal.abort() }), AbortError);
  const big = Buffer.alloc(4 << 20, 1);
  await sbx.files.write('/home/user/abort.bin', big);
  const ac2 = new AbortController();
  const s = await sbx.files.read('/home/user/abort.bin', { format: 'stream', signal: ac2.signal });
  ac2.abort();
  await assert.rejects((async () => { for await (const _ of s) { /* drain */ } })(), AbortError);
});

test('a killed sandbox gives SandboxNotFoundError to static calls', async () => {
  const s = await Sandbox.create(srv.opts);
  assert.equal(await Sandbox.kill(s.sandboxId, srv.opts), true);
  assert.equal(await Sandbox.kill(s.sandboxId, srv.opts), false);
  await assert.rejects(Sandbox.setTimeout(s.sandboxId, 1000, srv.opts), SandboxNotFoundError);
});

test('library loading: clear errors for a missing library and a non-libe2b file', () => {
  const run = (libPath) => spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(here, '..', 'lib', 'index.js'))}).version()`],
    { env: { ...process.env, LIBE2B_PATH: libPath }, encoding: 'utf8' });
  const missing = run('/nonexistent/libe2b.so.0');
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /cannot load libe2b \(\/nonexistent\/libe2b\.so\.0\).*LIBE2B_PATH/);
  const wrong = run('libc.so.6');
  assert.match(wrong.stderr, /is not libe2b \(no e2b_abi_version\)/);
  // A library reporting another ABI version is refused with both numbers.
  const dir = mkdtempSync(path.join(tmpdir(), 'e2b-abi-'));
  writeFileSync(path.join(dir, 'fake.c'), 'int e2b_abi_version(void) { return 999; }\n');
  const cc = spawnSync('cc', ['-shared', '-fPIC', '-o', path.join(dir, 'fake.so'), path.join(dir, 'fake.c')]);
  assert.equal(cc.status, 0, String(cc.stderr));
  const abi = run(path.join(dir, 'fake.so'));
  assert.match(abi.stderr, /ABI mismatch: .* has ABI 999, this binding needs ABI 1/);
  rmSync(dir, { recursive: true, force: true });
  const ok = run(process.env.LIBE2B_PATH);
  assert.equal(ok.status, 0, ok.stderr);
});
