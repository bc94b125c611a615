// Commands (process service) and PTY through the SDK.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { CommandExitError, TimeoutError } from 'e2b';
import { useServer, createSandbox, killTrackedAfter, sleep, waitFor } from './harness.mjs';

await useServer();
await killTrackedAfter();

let sbx;
before(async () => { sbx = await createSandbox({ metadata: { suite: 'commands' }, envs: { SBX_WIDE: 'sandbox-wide', OVERRIDE: 'from-sandbox' } }); });

describe('commands', { concurrency: true }, () => {
  test('foreground run: stdout, stderr, exitCode', async () => {
    const r = await sbx.commands.run('echo out; echo err >&2; printf "no-newline"');
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout, 'out\nno-newline');
    assert.equal(r.stderr, 'err\n');
  });

  test('non-zero exit -> CommandExitError with exitCode and stderr', async () => {
    await assert.rejects(sbx.commands.run('echo partial; echo boom >&2; exit 3'), (e) => {
      assert.ok(e instanceof CommandExitError, `expected CommandExitError, got ${e?.constructor?.name}: ${e?.message}`);
      assert.equal(e.exitCode, 3);
      assert.equal(e.stderr, 'boom\n');
      assert.equal(e.stdout, 'partial\n');
      assert.match(String(e.error), /exit status 3/);
      return true;
    });
  });

  test('envs (request + sandbox-wide, request wins) and cwd', async () => {
    const r = await sbx.commands.run('echo "$REQ|$SBX_WIDE|$OVERRIDE"; pwd', { envs: { REQ: 'req-val', OVERRIDE: 'from-request' }, cwd: '/tmp' });
    assert.equal(r.stdout, 'req-val|sandbox-wide|from-request\n/tmp\n');
    await assert.rejects(sbx.commands.run('pwd', { cwd: '/definitely/not/here' }));
  });

  test('default user is "user" (uid 1000, HOME=/home/user, cwd home); user root is uid 0', async () => {
    const r = await sbx.commands.run('id -u; whoami; echo $HOME; pwd; echo $USER');
    assert.equal(r.stdout, '1000\nuser\n/home/user\n/home/user\nuser\n');
    const root = await sbx.commands.run('id -u; whoami; echo $HOME', { user: 'root' });
    assert.equal(root.stdout, '0\nroot\n/root\n');
    const u = await sbx.commands.run('id -u', { user: 'user' });
    assert.equal(u.stdout, '1000\n');
  });

  test('E2B_SANDBOX env vars are set', async () => {
    const r = await sbx.commands.run('echo "$E2B_SANDBOX|$E2B_SANDBOX_ID"');
    assert.equal(r.stdout, `true|${sbx.sandboxId}\n`);
  });

  test('onStdout/onStderr stream before the command ends', async () => {
    const t0 = Date.now();
    const outs = [], errs = [];
    const r = await sbx.commands.run('echo a; echo e1 >&2; sleep 2; echo b; echo e2 >&2', {
      onStdout: (d) => outs.push([Date.now() - t0, d]),
      onStderr: (d) => errs.push([Date.now() - t0, d]),
    });
    const end = Date.now() - t0;
    assert.equal(r.stdout, 'a\nb\n');
    assert.equal(outs.map((x) => x[1]).join(''), 'a\nb\n');
    assert.equal(errs.map((x) => x[1]).join(''), 'e1\ne2\n');
    assert.ok(outs[0][0] < end - 1000, `first stdout chunk at ${outs[0][0]} ms, command ended at ${end} ms: not streamed`);
    assert.ok(errs[0][0] < end - 1000, `first stderr chunk at ${errs[0][0]} ms, command ended at ${end} ms: not streamed`);
  });

  test('background: returns at once, wait() gives the result; handle stdout accumulates', async () => {
    // The command only finishes once the test lets it: a run() that waited for the end would hang
    // here (bounded by the race below) instead of depending on timing.
    const gate = `/tmp/bg-gate-${Date.now()}`;
    let timer;
    const h = await Promise.race([
      sbx.commands.run(`while [ ! -e ${gate} ]; do sleep 0.05; done; echo done; exit 0`, { background: true }),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('background run did not return while the command was still running')), 20_000); }),
    ]).finally(() => clearTimeout(timer));
    assert.ok(h.pid > 0);
    assert.equal(h.exitCode, undefined);
    assert.equal((await sbx.commands.list()).some((p) => p.pid === h.pid), true, 'the command is still running');
    await sbx.commands.run(`touch ${gate}`);  // now let it finish
    const r = await h.wait();
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout, 'done\n');
    assert.equal(h.stdout, 'done\n');
    const hf = await sbx.commands.run('exit 7', { background: true });
    await assert.rejects(hf.wait(), (e) => e instanceof CommandExitError && e.exitCode === 7);
  });

  test('kill a background command; kill of unknown pid -> false', async () => {
    const h = await sbx.commands.run('sleep 60', { background: true });
    assert.equal(await h.kill(), true);
    const t0 = Date.now();
    await assert.rejects(h.wait(), (e) => e instanceof CommandExitError && e.exitCode !== 0);
    assert.ok(Date.now() - t0 < 5000, 'end event must follow the kill quickly');
    assert.equal(await sbx.commands.kill(h.pid), false, 'second kill -> not found -> false');
    assert.equal(await sbx.commands.kill(999_999), false);
  });

  test('stdin: sendStdin + closeStdin (cat)', async () => {
    const chunks = [];
    const h = await sbx.commands.run('cat', { background: true, stdin: true, onStdout: (d) => chunks.push(d) });
    await sbx.commands.sendStdin(h.pid, 'hello ');
    await sbx.commands.sendStdin(h.pid, 'world\n');
    await waitFor(() => chunks.join('') === 'hello world\n', { timeoutMs: 5000, what: 'cat to echo stdin before EOF' });
    await sbx.commands.sendStdin(h.pid, 'ünïcødé\n');
    await sbx.commands.closeStdin(h.pid);
    const r = await h.wait();
    assert.equal(r.stdout, 'hello world\nünïcødé\n');
    // without stdin:true the process gets /dev/null and ends at once
    const r2 = await sbx.commands.run('cat; echo eof');
    assert.equal(r2.stdout, 'eof\n');
  });

  test('commands.list shows running background commands', async () => {
    const h = await sbx.commands.run('sleep 45 # list-marker', { background: true, envs: { LM: '1' }, cwd: '/tmp' });
    try {
      const list = await sbx.commands.list();
      const p = list.find((x) => x.pid === h.pid);
      assert.ok(p, `pid ${h.pid} not in commands.list: ${JSON.stringify(list)}`);
      assert.equal(p.cmd, '/bin/bash');
      assert.ok(p.args.includes('sleep 45 # list-marker'), `args ${JSON.stringify(p.args)}`);
      assert.equal(p.envs.LM, '1');
      assert.equal(p.cwd, '/tmp');
    } finally {
      await h.kill();
    }
    await waitFor(async () => !(await sbx.commands.list()).some((x) => x.pid === h.pid), { timeoutMs: 5000, what: 'killed pid to leave commands.list' });
  });

  test('commands.connect to a running background process receives live output', async () => {
    const h = await sbx.commands.run('for i in $(seq 1 100); do echo tick$i; sleep 0.1; done', { background: true });
    await sleep(300);
    await h.disconnect();
    const got = [];
    const h2 = await sbx.commands.connect(h.pid, { onStdout: (d) => got.push(d) });
    assert.equal(h2.pid, h.pid);
    await waitFor(() => /tick\d+/.test(got.join('')), { timeoutMs: 5000, what: 'output after commands.connect' });
    const first = Number(/tick(\d+)/.exec(got.join(''))[1]);
    assert.ok(first >= 2, `connect should not replay from the start (first seen tick${first})`);
    assert.equal(await sbx.commands.kill(h.pid), true);
    await assert.rejects(h2.wait(), (e) => e instanceof CommandExitError);
  });

  test('timeoutMs kills a long command (server side)', async () => {
    const t0 = Date.now();
    await assert.rejects(sbx.commands.run('sleep 30', { timeoutMs: 1500 }), (e) => e instanceof TimeoutError || e instanceof CommandExitError);
    assert.ok(Date.now() - t0 < 8000, `timeout took ${Date.now() - t0} ms`);
    // background command: the deadline is the process lifetime, even though we do not wait on it
    // 3 s: the deadline also bounds the start handshake, which a loaded CI machine can slow down
    const h = await sbx.commands.run('sleep 30 # deadline-marker', { background: true, timeoutMs: 3000 });
    await h.disconnect();
    await waitFor(async () => !(await sbx.commands.list()).some((x) => x.pid === h.pid), { timeoutMs: 10000, intervalMs: 250, what: 'process to be killed by its Connect-Timeout-Ms deadline' });
    const ps = await sbx.commands.run('ps -eo args 2>/dev/null || cat /proc/[0-9]*/cmdline | tr "\\0" " "');
    assert.ok(!ps.stdout.includes('sleep 30'), 'sleep 30 must be gone:\n' + ps.stdout);
  });

  test('large output (5 MiB) arrives intact', async () => {
    const n = 5 * 1024 * 1024;
    const r = await sbx.commands.run(`yes abcdefghijklmno | head -c ${n}`);
    assert.equal(r.stdout.length, n);
    assert.equal(r.stdout, 'abcdefghijklmno\n'.repeat(n / 16));
  });

  test('UTF-8 sequences split across chunks are decoded correctly', async () => {
    const chunks = [];
    const py = String.raw`
import sys, time
o = sys.stdout.buffer
s = "€".encode()
o.write(s[:1]); o.flush(); time.sleep(0.3)
o.write(s[1:2]); o.flush(); time.sleep(0.3)
o.write(s[2:] + "😀".encode()[:2]); o.flush(); time.sleep(0.3)
o.write("😀".encode()[2:] + ("é€😀" * 20000).encode()); o.flush()
`;
    const r = await sbx.commands.run(`python3 -c '${py}'`, { onStdout: (d) => chunks.push(d) });
    const expected = '€😀' + 'é€😀'.repeat(20000);
    assert.equal(r.stdout.length, expected.length);
    assert.ok(r.stdout === expected, 'decoded stdout differs (U+FFFD present: ' + r.stdout.includes('\uFFFD') + ')');
    assert.equal(chunks.join(''), expected);
  });

  test('many concurrent commands', async () => {
    const rs = await Promise.all(Array.from({ length: 12 }, (_, i) => sbx.commands.run(`echo ${i}; sleep 0.2`)));
    rs.forEach((r, i) => assert.equal(r.stdout, `${i}\n`));
  });
});

describe('pty', { concurrency: true }, () => {
  const dec = (chunks) => Buffer.concat(chunks.map((c) => Buffer.from(c))).toString('utf8');

  test('pty.create with size, sendInput, onData, resize, kill', async () => {
    const data = [];
    const h = await sbx.pty.create({ cols: 80, rows: 24, onData: (d) => data.push(d), timeoutMs: 0 });
    assert.ok(h.pid > 0);
    const enc = new TextEncoder();
    await sbx.pty.sendInput(h.pid, enc.encode('echo hi-$((40+2))\n'));
    await waitFor(() => dec(data).includes('hi-42'), { timeoutMs: 5000, what: 'pty echo output' });
    await sbx.pty.sendInput(h.pid, enc.encode('stty size; tty\n'));
    await waitFor(() => dec(data).includes('24 80'), { timeoutMs: 5000, what: '"24 80" from stty size' });
    await waitFor(() => /\/dev\/pts\/\d+/.test(dec(data)), { timeoutMs: 5000, what: 'tty to be a /dev/pts device' });
    await sbx.pty.resize(h.pid, { cols: 100, rows: 30 });
    await sbx.pty.sendInput(h.pid, enc.encode('stty size\n'));
    await waitFor(() => dec(data).includes('30 100'), { timeoutMs: 5000, what: '"30 100" after resize' });
    assert.equal(await sbx.pty.kill(h.pid), true);
    await assert.rejects(h.wait());
    assert.equal(await sbx.pty.kill(h.pid), false);
  });

  test('pty: exit ends the session with exit code 0', async () => {
    const data = [];
    const h = await sbx.pty.create({ cols: 120, rows: 40, onData: (d) => data.push(d), timeoutMs: 20_000 });
    const enc = new TextEncoder();
    await sbx.pty.sendInput(h.pid, enc.encode('echo $TERM; exit\n'));
    const r = await h.wait();
    assert.equal(r.exitCode, 0);
    assert.ok(dec(data).includes('xterm-256color'), 'TERM is passed to the pty');
    // PTY output is not delivered as stdout
    assert.equal(h.stdout, '');
  });
});
