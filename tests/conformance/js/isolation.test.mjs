// Isolation, exercised through the SDK the way sandboxed code would try it.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { spawn, spawnSync } from 'node:child_process';
import { CommandExitError } from 'e2b';
import { useServer, createSandbox, killTrackedAfter, sleep, waitFor, findLeftoverProcesses } from './harness.mjs';

const srv = await useServer();
await killTrackedAfter();

const R = crypto.randomBytes(6).toString('hex');
const SECRET = 'e2b-conf-secret-' + crypto.randomBytes(12).toString('hex');
const hostRootSecret = `/root/e2b-conf-secret-${R}`;
const hostTmpSecret = `/tmp/e2b-conf-secret-${R}`;
const hostUsrFile = `/usr/local/share/e2b-conf-${R}.txt`;
const hostUsrNew = `/usr/local/share/e2b-conf-new-${R}.txt`;
const HOST_MARKER = `e2b-conf-host-marker-${R}`;
const SIB_MARKER = `e2b-conf-sibling-marker-${R}`;

let sbx, sib, hostMarkerProc;
const hostFiles = [hostRootSecret, hostTmpSecret, hostUsrFile, hostUsrNew];

before(async () => {
  fs.writeFileSync(hostRootSecret, SECRET, { mode: 0o600 });
  fs.writeFileSync(hostTmpSecret, SECRET, { mode: 0o644 });
  fs.mkdirSync('/usr/local/share', { recursive: true });
  fs.writeFileSync(hostUsrFile, 'original\n', { mode: 0o644 });
  hostMarkerProc = spawn('bash', ['-c', `sleep 120; : ${HOST_MARKER}`], { stdio: 'ignore' });
  [sbx, sib] = await Promise.all([
    createSandbox({ metadata: { suite: 'isolation' } }),
    createSandbox({ metadata: { suite: 'isolation-sibling' } }),
  ]);
});

after(() => {
  for (const f of hostFiles) { try { fs.unlinkSync(f); } catch { /* ignore */ } }
  try { hostMarkerProc.kill('SIGKILL'); } catch { /* ignore */ }
});

/** Run a command, never throw on non-zero exit: returns {exitCode, stdout, stderr}. */
async function sh(s, cmd, opts = {}) {
  try {
    return await s.commands.run(cmd, opts);
  } catch (e) {
    if (e instanceof CommandExitError) return { exitCode: e.exitCode, stdout: e.stdout, stderr: e.stderr, error: e.error };
    throw e;
  }
}

const PROC_LIST = `for p in /proc/[0-9]*; do printf '%s: ' "\${p#/proc/}"; tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; done`;

describe('isolation', { concurrency: true }, () => {
  test('host secret files in /root and /tmp are not readable (user and root)', async () => {
    for (const user of ['user', 'root']) {
      for (const f of [hostRootSecret, hostTmpSecret]) {
        const r = await sh(sbx, `cat ${f}`, { user });
        assert.notEqual(r.exitCode, 0, `${user} could read host file ${f}`);
        assert.ok(!r.stdout.includes(SECRET), `${user} saw the secret of ${f}`);
      }
      const g = await sh(sbx, `grep -rs ${SECRET} /root /tmp /home 2>/dev/null | head -3`, { user });
      assert.ok(!g.stdout.includes(SECRET), `${user} found the secret by grep: ${g.stdout}`);
    }
    await assert.rejects(sbx.files.read(hostTmpSecret, { user: 'root' }));
    await assert.rejects(sbx.files.read(hostRootSecret, { user: 'root' }));
  });

  test('/etc/shadow is not readable (or is not the host one)', async () => {
    const host = fs.readFileSync('/etc/shadow', 'utf8');
    const hostRootLine = host.split('\n').find((l) => l.startsWith('root:'));
    for (const user of ['user', 'root']) {
      const r = await sh(sbx, 'cat /etc/shadow', { user });
      if (r.exitCode === 0) {
        assert.notEqual(r.stdout, host, `${user} read the host /etc/shadow`);
        if (hostRootLine && hostRootLine.split(':')[1].length > 2) assert.ok(!r.stdout.includes(hostRootLine), `${user} saw the host root hash`);
      }
    }
    const u = await sh(sbx, 'cat /etc/shadow');
    assert.notEqual(u.exitCode, 0, 'default user reads /etc/shadow');
  });

  test('ps inside sees only sandbox processes', async () => {
    const r = await sh(sbx, PROC_LIST);
    assert.equal(r.exitCode, 0);
    const lines = r.stdout.trim().split('\n');
    assert.ok(!r.stdout.includes(HOST_MARKER), 'a host process is visible in the sandbox /proc');
    assert.ok(!r.stdout.includes('e2b-local serve'), 'the e2b-local server process is visible in the sandbox');
    assert.ok(!r.stdout.includes('--test'), 'the host test runner is visible in the sandbox');
    assert.ok(lines.length < 40, `sandbox sees ${lines.length} processes:\n${r.stdout}`);
    const ps = await sh(sbx, 'ps aux');
    if (ps.exitCode === 0) {
      assert.ok(!ps.stdout.includes(HOST_MARKER), 'host process visible via ps aux');
      assert.ok(ps.stdout.trim().split('\n').length < 40, 'ps aux lists too many processes:\n' + ps.stdout);
    }
  });

  test("a sibling sandbox's files and processes are not visible", async () => {
    await sib.files.write(`/home/user/sib-${R}.txt`, SECRET);
    await sib.commands.run(`echo ${SECRET} > /tmp/sib-${R}.txt`);
    const h = await sib.commands.run(`sleep 60; : ${SIB_MARKER}`, { background: true, timeoutMs: 60_000 });
    try {
      for (const f of [`/home/user/sib-${R}.txt`, `/tmp/sib-${R}.txt`]) {
        assert.equal(await sbx.files.exists(f), false, `${f} of the sibling is visible`);
        const r = await sh(sbx, `cat ${f}`, { user: 'root' });
        assert.notEqual(r.exitCode, 0);
      }
      const p = await sh(sbx, PROC_LIST, { user: 'root' });
      assert.ok(!p.stdout.includes(SIB_MARKER), "the sibling sandbox's process is visible");
      // and the sibling still sees its own
      const own = await sh(sib, PROC_LIST);
      assert.ok(own.stdout.includes(SIB_MARKER), 'sanity: the sibling sees its own process');
    } finally {
      await h.kill();
    }
  });

  test('host loopback and the e2b-local API port are unreachable', async () => {
    let accepted = 0;
    const server = net.createServer((c) => { accepted++; c.end('hello-from-host\n'); });
    const port = await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
    try {
      for (const p of [port, srv.port]) {
        const py = await sh(sbx, `python3 -c 'import socket; socket.create_connection(("127.0.0.1", ${p}), 1); print("CONNECTED")'`, { timeoutMs: 15_000 });
        assert.ok(py.exitCode !== 0 && !py.stdout.includes('CONNECTED'), `sandbox connected to host 127.0.0.1:${p} (python)`);
        const b = await sh(sbx, `timeout 3 bash -c 'echo > /dev/tcp/127.0.0.1/${p}' && echo CONNECTED`, { timeoutMs: 15_000 });
        assert.ok(!b.stdout.includes('CONNECTED'), `sandbox connected to host 127.0.0.1:${p} (bash /dev/tcp)`);
        // slirp-style alias of the host loopback: only probed when the sandbox's default gateway is 10.0.2.2
        // (then that address is a user-space gateway on this machine; it is never probed otherwise)
        const route = await sh(sbx, 'cat /proc/net/route');
        if (/\t0202000A\t/i.test(route.stdout)) {
          const g = await sh(sbx, `timeout 3 bash -c 'echo > /dev/tcp/10.0.2.2/${p}' && echo CONNECTED`, { timeoutMs: 15_000 });
          assert.ok(!g.stdout.includes('CONNECTED'), `sandbox reached host loopback port ${p} through 10.0.2.2`);
        }
      }
      // the sandbox's own loopback works
      const own = await sh(sbx, `python3 -c '
import socket, threading
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
p = s.getsockname()[1]
threading.Thread(target=lambda: s.accept()[0].sendall(b"own-lo"), daemon=True).start()
c = socket.create_connection(("127.0.0.1", p), 2); print(c.recv(10).decode())'`);
      assert.equal(own.stdout, 'own-lo\n', 'loopback inside the sandbox must work');
      assert.equal(accepted, 0, 'the host loopback listener accepted a connection from the sandbox');
    } finally {
      server.close();
    }
  });

  // Listens on each of this host's own non-loopback IPv4 addresses (and on 0.0.0.0) and checks that
  // the sandbox cannot connect to any of them (connections to them never leave the machine).
  async function assertHostAddressesUnreachable(s, what) {
    const addrs = [];
    for (const ifs of Object.values(os.networkInterfaces())) for (const a of ifs || []) if (a.family === 'IPv4' && !a.internal) addrs.push(a.address);
    let accepted = 0;
    const servers = [];
    try {
      const listen = (host) => new Promise((resolve) => {
        const sv = net.createServer((c) => { accepted++; c.end('x'); });
        servers.push(sv);
        sv.on('error', () => resolve(0));
        sv.listen(0, host, () => resolve(sv.address().port));
      });
      const anyPort = await listen('0.0.0.0');
      for (const a of addrs) {
        for (const p of [await listen(a), anyPort]) {
          if (!p) continue;
          const py = await sh(s, `python3 -c 'import socket; socket.create_connection(("${a}", ${p}), 2); print("CONNECTED")'`, { timeoutMs: 15_000 });
          assert.ok(!py.stdout.includes('CONNECTED'), `sandbox (${what}) connected to host ${a}:${p}`);
        }
      }
      assert.equal(accepted, 0, `a host listener accepted a connection from the sandbox (${what})`);
    } finally {
      servers.forEach((sv) => sv.close());
    }
  }

  test('allowInternetAccess false: only a loopback interface, host addresses unreachable', async () => {
    const s = await createSandbox({ metadata: { suite: 'isolation-nonet' }, allowInternetAccess: false });
    const r = await sh(s, "cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '");
    assert.equal(r.stdout.trim(), 'lo', `interfaces: ${r.stdout}`);
    await assertHostAddressesUnreachable(s, 'no internet');
    await s.kill();
  });

  test("internet access on (the SDK default): the host's own non-loopback addresses are unreachable", async () => {
    await assertHostAddressesUnreachable(sbx, 'internet on');
  });

  test('root has no capabilities; mount and unshare fail', async () => {
    const caps = await sh(sbx, 'grep -E "^Cap(Eff|Prm|Amb)" /proc/self/status', { user: 'root' });
    assert.match(caps.stdout, /CapEff:\s+0000000000000000/, caps.stdout);
    assert.match(caps.stdout, /CapPrm:\s+0000000000000000/, caps.stdout);
    const m = await sh(sbx, 'mkdir -p /tmp/mnt-test && mount -t tmpfs none /tmp/mnt-test && echo MOUNTED', { user: 'root' });
    assert.ok(m.exitCode !== 0 && !m.stdout.includes('MOUNTED'), 'root could mount tmpfs');
    const m2 = await sh(sbx, 'mount --bind /tmp /mnt && echo MOUNTED', { user: 'root' });
    assert.ok(!m2.stdout.includes('MOUNTED'), 'root could bind-mount');
    const u1 = await sh(sbx, 'unshare -m true && echo UNSHARED', { user: 'root' });
    assert.ok(!u1.stdout.includes('UNSHARED'), 'root could unshare a mount namespace');
    const u2 = await sh(sbx, 'unshare -Ur true && echo UNSHARED');
    assert.ok(!u2.stdout.includes('UNSHARED'), 'user could create a user namespace (unshare -Ur)');
    const u3 = await sh(sbx, 'unshare -Urm sh -c "mount -t tmpfs none /tmp && echo MOUNTED"');
    assert.ok(!u3.stdout.includes('MOUNTED'), 'user could mount inside a new user namespace');
  });

  test('writes to /usr as root land only in the sandbox', async () => {
    // created on the host before the sandbox started
    const r = await sh(sbx, `cat ${hostUsrFile}; echo changed > ${hostUsrFile}; echo new > ${hostUsrNew}; echo root-wrote > /usr/e2b-conf-${R}; cat ${hostUsrFile}`, { user: 'root' });
    assert.equal(fs.readFileSync(hostUsrFile, 'utf8'), 'original\n', `host file under /usr was modified from the sandbox (sandbox said: ${r.stdout} ${r.stderr})`);
    assert.equal(fs.existsSync(hostUsrNew), false, 'a file created in the sandbox appeared on the host /usr/local/share');
    assert.equal(fs.existsSync(`/usr/e2b-conf-${R}`), false, 'a file created in the sandbox appeared on the host /usr');
    try { fs.unlinkSync(`/usr/e2b-conf-${R}`); } catch { /* ignore */ }
    const u = await sh(sbx, `echo x > /usr/e2b-conf-user-${R}`);
    assert.notEqual(u.exitCode, 0, 'default user could write to /usr');
    assert.equal(fs.existsSync(`/usr/e2b-conf-user-${R}`), false);
  });

  test('memory limit: allocating far beyond the sandbox memory is OOM-killed; host fine', async () => {
    const s = await createSandbox({ metadata: { suite: 'isolation-oom' } });
    const info = await s.getInfo();
    const mib = Math.min(Math.max(4096, 4 * info.memoryMB), 8192);
    const t0 = Date.now();
    const r = await sh(s, `python3 -c '
import sys
chunks = []
for i in range(${mib} // 64):
    chunks.append(b"x" * (64 << 20))
print("ALLOCATED", len(chunks) * 64, "MiB", flush=True)'`, { timeoutMs: 90_000 });
    assert.ok(!r.stdout.includes('ALLOCATED'), `sandbox with memoryMB=${info.memoryMB} allocated ${mib} MiB`);
    const killed = r.exitCode === 137 || r.exitCode === -1 || /kill/i.test(String(r.error));
    const memErr = /MemoryError/.test(r.stderr);
    assert.ok(killed || memErr, `expected OOM kill (137/-1/signal) or MemoryError, got exit ${r.exitCode} error=${r.error} stderr=${r.stderr.slice(-300)}`);
    assert.ok(Date.now() - t0 < 60_000);
    // the sandbox survives (or at least can be killed) and the host is fine
    const alive = await sh(s, 'echo alive', { requestTimeoutMs: 20_000 }).catch((e) => ({ stdout: '', err: e }));
    if (alive.stdout !== 'alive\n') assert.equal(await s.kill(), true);
    else await s.kill();
    assert.equal(spawnSync('true').status, 0);
  });

  test('fork bomb is contained (pids limit); sandbox responds or can be killed; host fine', async () => {
    const s = await createSandbox({ metadata: { suite: 'isolation-forkbomb' } });
    const hostProcs = () => fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x)).length;
    const base = hostProcs();
    // 1. bounded probe: try to hold 6000 processes at once; a contained sandbox must hit a limit first.
    //    (bounded so that an uncontained server does not take the CI host down: pid_max may be 32768)
    const probe = await sh(s, `python3 -c '
import os, sys
n = 0
try:
    for i in range(6000):
        pid = os.fork()
        if pid == 0:
            try:
                os.execv("/bin/sleep", ["sleep", "8"])
            finally:
                os._exit(0)
        n += 1
    print("NOLIMIT", n, flush=True)
except OSError as e:
    print("LIMIT", n, e.errno, flush=True)
'`, { timeoutMs: 60_000 }).catch((e) => ({ stdout: '', exitCode: -99, error: String(e) }));
    const peak = hostProcs() - base;
    assert.ok(!probe.stdout.includes('NOLIMIT'), `sandbox could hold 6000 processes (no pids limit): ${probe.stdout}`);
    assert.ok(peak < 5000, `host process count grew by ${peak}`);
    await sh(s, 'pkill -9 sleep; true').catch(() => {});
    // 2. the classic bomb, with a short timeout (only run once a limit is proven above)
    if (/^LIMIT/.test(probe.stdout)) {
      await sh(s, ':(){ :|:& };:', { timeoutMs: 4000 }).catch(() => {});
      assert.ok(hostProcs() - base < 5000, 'host process count exploded');
      const alive = await sh(s, 'echo alive', { requestTimeoutMs: 15_000, timeoutMs: 15_000 }).catch((e) => ({ stdout: '', err: e }));
      if (alive.stdout !== 'alive\n') {
        // not responding: it must at least be killable
        assert.equal(await s.kill(), true, 'fork-bombed sandbox cannot be killed');
      } else {
        assert.equal(await s.kill(), true);
      }
    } else {
      await s.kill();
    }
    // after kill every sandbox process is gone from the host
    await waitFor(() => findLeftoverProcesses({ stateDir: '/nonexistent-state-dir', ids: [s.sandboxId], serverPid: -1 }).length === 0,
      { timeoutMs: 10_000, intervalMs: 250, what: 'fork-bomb processes to disappear from the host after kill' });
    assert.equal(spawnSync('true').status, 0, 'host can still spawn processes');
  });
});
