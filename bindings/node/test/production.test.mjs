// Sessions, artifacts, workspace sync, by-id and by-pid calls, metrics and logs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, symlinkSync, readlinkSync, existsSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from './harness.mjs';
import e2b from '../lib/index.js';

const { Sandbox, Session, SandboxNotFoundError, FileNotFoundError, InvalidArgumentError, AbortError } = e2b;
let srv, sbx, tmp;

before(async () => {
  srv = await startServer();
  sbx = await Sandbox.create(srv.opts);
  tmp = mkdtempSync(path.join(tmpdir(), 'e2b-node-prod-'));
});
after(async () => {
  if (sbx) await sbx.kill().catch(() => {});
  if (srv) await srv.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('session: start, pause, resume by id (files and memory kept), end', async () => {
  const s = await Session.start({ ...srv.opts, metadata: { kind: 'session' } });
  assert.equal(s.sessionId, s.sandbox.sandboxId);
  assert.equal(await Session.getState(s.sessionId, srv.opts), 'active');
  await s.sandbox.files.write('/home/user/state.txt', 'kept');
  const bg = await s.sandbox.commands.run('sleep 600', { background: true, timeoutMs: 0 });
  await s.touch();  // no idle period: a no-op that succeeds
  assert.equal(await s.pause(), true);
  assert.equal(await s.pause(), false);
  assert.equal(await Session.getState(s.sessionId, srv.opts), 'paused');

  const r = await Session.resume(s.sessionId, srv.opts);
  assert.equal(r.sessionId, s.sessionId);
  assert.equal(await Session.getState(s.sessionId, srv.opts), 'active');
  assert.equal(await r.sandbox.files.read('/home/user/state.txt'), 'kept');
  assert.ok((await r.sandbox.commands.list()).some((p) => p.pid === bg.pid));
  assert.equal((await r.sandbox.getInfo()).metadata.kind, 'session');
  assert.equal(await r.end(), true);
  assert.equal(await r.end(), false);
  assert.equal(await Session.getState(s.sessionId, srv.opts), 'ended');
  await assert.rejects(Session.resume(s.sessionId, srv.opts), SandboxNotFoundError);
  assert.equal(await Session.getState('never-existed', srv.opts), 'ended');
  await assert.rejects(Session.resume('', srv.opts), InvalidArgumentError);
  await assert.rejects(Session.start({ ...srv.opts, idlePauseMs: -1 }), InvalidArgumentError);
});

test('session with an idle period pauses by itself and resumes', async () => {
  const s = await Session.start({ ...srv.opts, idlePauseMs: 1500 });
  await s.sandbox.files.write('/home/user/i.txt', 'idle');
  const deadline = Date.now() + 15000;
  while (await Session.getState(s.sessionId, srv.opts) !== 'paused') {
    assert.ok(Date.now() < deadline, 'not auto-paused');
    await new Promise((r) => setTimeout(r, 250));
  }
  const r = await Session.resume(s.sessionId, { ...srv.opts, idlePauseMs: 60000 });
  assert.equal(await r.sandbox.files.read('/home/user/i.txt'), 'idle');
  await r.touch();
  assert.equal(await r.end(), true);
});

test('artifacts: download by glob with progress, delete, upload, empty and missing', async () => {
  await sbx.files.write([
    { path: '/home/user/out/a.txt', data: 'A' }, { path: '/home/user/out/sub/b.txt', data: 'BB' },
    { path: '/home/user/out/sub/c.png', data: new Uint8Array([137, 80, 78, 71]) }, { path: '/home/user/out/skip.log', data: 'x' },
  ]);
  const progress = [];
  const dest = path.join(tmp, 'dl');
  const got = await sbx.artifacts.download('/home/user/out', ['**/*.txt', '**/*.png'], dest, { onProgress: (p) => progress.push(p) });
  assert.deepEqual(got.map((a) => a.relPath).sort(), ['a.txt', 'sub/b.txt', 'sub/c.png']);
  const b = got.find((a) => a.relPath === 'sub/b.txt');
  assert.equal(b.size, 2);
  assert.equal(b.remotePath, '/home/user/out/sub/b.txt');
  assert.equal(b.localPath, path.join(dest, 'sub', 'b.txt'));
  assert.equal(got.find((a) => a.relPath === 'sub/c.png').mimeType, 'image/png');
  assert.equal(readFileSync(path.join(dest, 'sub', 'b.txt'), 'utf8'), 'BB');
  assert.ok(!existsSync(path.join(dest, 'skip.log')));
  // Progress is delivered on the JS thread; the last report may follow the result by a turn.
  await new Promise((r) => setImmediate(r));
  assert.ok(progress.length >= 1);
  assert.equal(progress.at(-1).filesTotal, 3);
  assert.ok(progress.every((p) => typeof p.bytesDone === 'number' && typeof p.path === 'string'));

  const moved = await sbx.artifacts.download('/home/user/out', '*.log', path.join(tmp, 'logs'), { delete: true });
  assert.equal(moved.length, 1);
  assert.equal(await sbx.files.exists('/home/user/out/skip.log'), false);

  assert.deepEqual(await sbx.artifacts.download('/home/user/out', '*.none', path.join(tmp, 'e'), { allowEmpty: true }), []);
  await assert.rejects(sbx.artifacts.download('/home/user/out', '*.none', path.join(tmp, 'e')), FileNotFoundError);
  await assert.rejects(sbx.artifacts.download('/home/user/nope', '*', path.join(tmp, 'e')), FileNotFoundError);
  await assert.rejects(sbx.artifacts.download('/home/user/out', [], path.join(tmp, 'e')), InvalidArgumentError);

  const up1 = path.join(tmp, 'up1.txt'), up2 = path.join(tmp, 'up2.bin');
  writeFileSync(up1, 'one');
  writeFileSync(up2, Buffer.alloc(1000, 3));
  const sent = await sbx.artifacts.upload([up1, up2], '/home/user/in');
  assert.deepEqual(sent.map((a) => [a.relPath, a.size]), [['up1.txt', 3], ['up2.bin', 1000]]);
  assert.equal(await sbx.files.read('/home/user/in/up1.txt'), 'one');
  await assert.rejects(sbx.artifacts.upload([path.join(tmp, 'missing')], '/home/user/in'), InvalidArgumentError);
});

test('workspace: push a tree, pull it back identical; replace; unsafe and existing targets refused', async () => {
  const src = path.join(tmp, 'ws');
  mkdirSync(path.join(src, 'lib', 'deep'), { recursive: true });
  writeFileSync(path.join(src, 'README'), 'readme');
  writeFileSync(path.join(src, 'lib', 'deep', 'x.bin'), Buffer.from([0, 1, 2, 255]));
  for (let i = 0; i < 50; i++) writeFileSync(path.join(src, 'lib', `f${i}.txt`), `file ${i}`);
  symlinkSync('README', path.join(src, 'link'));
  const progress = [];
  const pushed = await sbx.workspace.push(src, '/home/user/proj', { onProgress: (p) => progress.push(p) });
  assert.ok(pushed.entries >= 54, String(pushed.entries));
  assert.equal(await sbx.files.read('/home/user/proj/lib/f7.txt'), 'file 7');
  assert.equal((await sbx.commands.run('readlink /home/user/proj/link')).stdout, 'README\n');
  await sbx.files.write('/home/user/proj/made-remotely.txt', 'remote');

  const back = path.join(tmp, 'back');
  const pulled = await sbx.workspace.pull('/home/user/proj', back);
  assert.equal(pulled.entries, pushed.entries + 1);
  assert.deepEqual([...readFileSync(path.join(back, 'lib', 'deep', 'x.bin'))], [0, 1, 2, 255]);
  assert.equal(readFileSync(path.join(back, 'made-remotely.txt'), 'utf8'), 'remote');
  assert.equal(readlinkSync(path.join(back, 'link')), 'README');
  assert.equal(readdirSync(path.join(back, 'lib')).length, 51);

  await assert.rejects(sbx.workspace.pull('/home/user/proj', back), InvalidArgumentError);  // exists
  await sbx.files.remove('/home/user/proj/made-remotely.txt');
  await sbx.workspace.pull('/home/user/proj', back, { replace: true });
  assert.ok(!existsSync(path.join(back, 'made-remotely.txt')));
  await assert.rejects(sbx.workspace.pull('/home/user/nothing-here', path.join(tmp, 'n')), FileNotFoundError);
  // A symlink leaving the tree is refused before anything is extracted.
  const bad = path.join(tmp, 'bad');
  mkdirSync(bad);
  symlinkSync('/etc/passwd', path.join(bad, 'escape'));
  await assert.rejects(sbx.workspace.push(bad, '/home/user/bad'), (e) => e instanceof InvalidArgumentError && /unsafe/.test(e.message));
  // Abort: stopped at the next progress report, rejected as AbortError.
  await assert.rejects(sbx.workspace.push(src, '/home/user/proj2', { signal: AbortSignal.abort() }), AbortError);
  await assert.rejects(sbx.workspace.pull('/home/user/proj', path.join(tmp, 'ab'), { signal: AbortSignal.abort() }), AbortError);
  assert.ok(!existsSync(path.join(tmp, 'ab')));
});

test('by id: pause, setTimeout and kill without connecting (a paused sandbox stays paused)', async () => {
  const s = await Sandbox.create(srv.opts);
  await Sandbox.setTimeout(s.sandboxId, 30000, srv.opts);
  const end = (await Sandbox.getInfo(s.sandboxId, srv.opts)).endAt.getTime();
  assert.ok(end - Date.now() <= 31000 && end - Date.now() > 20000, String(end - Date.now()));
  assert.equal(await Sandbox.pause(s.sandboxId, srv.opts), true);
  assert.equal(await Sandbox.betaPause(s.sandboxId, srv.opts), false);
  assert.equal((await Sandbox.getInfo(s.sandboxId, srv.opts)).state, 'paused');
  // Nothing resumed it (the handle forms connect first, which resumes).
  const log = (await Sandbox.getLogs(s.sandboxId, srv.opts)).map((l) => l.message);
  assert.ok(log.some((m) => /paused/.test(m)) && !log.some((m) => /resumed/.test(m)), JSON.stringify(log));
  assert.equal(await Sandbox.kill(s.sandboxId, srv.opts), true);
  assert.equal(await Sandbox.kill(s.sandboxId, srv.opts), false);
  await assert.rejects(Sandbox.setTimeout(s.sandboxId, 1000, srv.opts), SandboxNotFoundError);
  await assert.rejects(Sandbox.pause('nosuch', srv.opts), SandboxNotFoundError);
  await assert.rejects(Sandbox.kill('', srv.opts), InvalidArgumentError);
});

test('by pid, without attaching: kill, stdin, pty input and resize from another handle', async () => {
  const cat = await sbx.commands.run('cat', { background: true, stdin: true });
  const pty = await sbx.pty.create({ cols: 80, rows: 24, timeoutMs: 0 });
  // A second Sandbox object (no handle of these processes) drives them by pid.
  const other = await Sandbox.connect(sbx.sandboxId, srv.opts);
  await other.commands.sendStdin(cat.pid, 'by pid\n');
  await other.commands.closeStdin(cat.pid);
  assert.equal((await cat.wait()).stdout, 'by pid\n');
  await other.pty.resize(pty.pid, { cols: 132, rows: 40 });
  await other.pty.sendInput(pty.pid, 'echo SIZE=$(stty size)\n');
  const deadline = Date.now() + 10000;
  while (!pty.stdout.includes('SIZE=40 132')) {
    assert.ok(Date.now() < deadline, pty.stdout);
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(await other.commands.kill(pty.pid), true);
  await assert.rejects(pty.wait());
  assert.equal(await other.commands.kill(pty.pid), false);
  await assert.rejects(other.commands.sendStdin(999999, 'x'), (e) => e.code === 'E2B_ENOTFOUND');
  await assert.rejects(other.pty.resize(999999, { cols: 1, rows: 1 }), (e) => e.code === 'E2B_ENOTFOUND');
});

test('metrics and logs', async () => {
  const m = await sbx.getMetrics();
  assert.ok(m.length >= 1);
  assert.ok(m[0].timestamp instanceof Date);
  assert.ok(m[0].memTotal > 0 && m[0].cpuCount > 0);
  assert.equal(typeof m[0].cpuUsedPct, 'number');
  const bounded = await Sandbox.getMetrics(sbx.sandboxId, { ...srv.opts, start: new Date(Date.now() - 3600e3), end: new Date(Date.now() + 60e3) });
  assert.ok(bounded.length >= 1);
  const logs = await sbx.getLogs();
  assert.ok(logs.some((l) => /created/.test(l.message)), JSON.stringify(logs));
  assert.ok(logs[0].timestamp instanceof Date);
  assert.equal(typeof logs[0].fields, 'object');
  const back = await sbx.getLogs({ direction: 'backward', limit: 1 });
  assert.equal(back.length, 1);
  assert.deepEqual(await sbx.getLogs({ search: 'no such text anywhere' }), []);
  await assert.rejects(sbx.getLogs({ limit: 5000 }), InvalidArgumentError);
  await assert.rejects(sbx.getLogs({ direction: 'sideways' }), InvalidArgumentError);
  await assert.rejects(Sandbox.getMetrics('nosuch', srv.opts), SandboxNotFoundError);
});
