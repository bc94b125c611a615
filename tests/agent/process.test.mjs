// Process service of e2b-agent, driven by the official E2B JS SDK in debug mode
// (E2B_DEBUG=true: no API calls; envd is reached at E2B_SANDBOX_URL, or localhost:49983).
//
//   node --test tests/agent/process.test.mjs
//
// By default this starts build/e2b-agent (needs root: it drops to other users) on a temporary
// unix socket and bridges it to a free localhost port with socat (E2B_SANDBOX_URL points the SDK
// there, so parallel runs do not collide on 49983). Set E2B_AGENT_EXTERNAL=1 to test whatever
// answers at E2B_SANDBOX_URL / localhost:49983 instead (agent-only checks are then skipped).
// Environment: E2B_SDK_DIR (directory whose node_modules holds `e2b`, default /var/tmp/sdk or the
// repo), E2B_AGENT_BIN, E2B_TEST_USER (a non-root user, default: the uid-1000 user if any).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
process.env.E2B_DEBUG = 'true';

function loadSdk() {
    const dirs = [process.env.E2B_SDK_DIR, '/var/tmp/sdk', repo, process.cwd()].filter(Boolean);
    for (const d of dirs) {
        try {
            return createRequire(path.join(d, 'noop.js'))('e2b');
        } catch { /* next */ }
    }
    return null;
}

const sdk = loadSdk();
const external = process.env.E2B_AGENT_EXTERNAL === '1';
let skipReason = null;
if (!sdk) skipReason = 'E2B JS SDK not installed (npm install e2b in /var/tmp/sdk or set E2B_SDK_DIR)';
else if (!external && process.getuid() !== 0) skipReason = 'starting e2b-agent needs root (or set E2B_AGENT_EXTERNAL=1)';
const agentBin = process.env.E2B_AGENT_BIN || path.join(repo, 'build/e2b-agent');
if (!skipReason && !external && !fs.existsSync(agentBin)) skipReason = `agent binary ${agentBin} not built`;
if (skipReason) console.log(`# skipping process service tests: ${skipReason}`);

// {name, home} of E2B_TEST_USER or the uid-1000 user, if any.
function findTestUser() {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
        const f = line.split(':');
        if (process.env.E2B_TEST_USER ? f[0] === process.env.E2B_TEST_USER : f[2] === '1000') return { name: f[0], home: f[5] };
    }
    return null;
}
const testUser = findTestUser();
// The agent's default user: the non-root user when there is one (like E2B's "user"), so that
// killed commands do not interrupt root's login scripts on a developer host.
const defaultUser = external ? null : (testUser ?? { name: 'root', home: '/root' });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitPort(port, ms) {
    const until = Date.now() + ms;
    while (Date.now() < until) {
        const ok = await new Promise((res) => {
            const s = net.connect(port, '127.0.0.1', () => { s.end(); res(true); });
            s.on('error', () => res(false));
        });
        if (ok) return;
        await sleep(50);
    }
    throw new Error(`port ${port} did not open`);
}

let agent = null, socat = null, tmp = null;
async function startAgent() {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'e2b-agent-test-'));
    const sock = path.join(tmp, 'agent.sock');
    fs.writeFileSync(path.join(tmp, 'cfg.json'), JSON.stringify({
        sandboxId: 'debug_sandbox_id', defaultUser: defaultUser.name, envVars: { E2B_SANDBOX: 'true', SANDBOX_WIDE: 'yes' },
    }));
    agent = spawn(agentBin, ['--socket', sock, '--config', path.join(tmp, 'cfg.json')], { stdio: ['ignore', 'inherit', 'inherit'] });
    for (let i = 0; i < 100 && !fs.existsSync(sock); i++) await sleep(20);
    const port = await new Promise((res) => {
        const srv = net.createServer().listen(0, '127.0.0.1', () => { const p = srv.address().port; srv.close(() => res(p)); });
    });
    socat = spawn('socat', [`TCP-LISTEN:${port},reuseaddr,fork,bind=127.0.0.1`, `UNIX-CONNECT:${sock}`], { stdio: 'ignore' });
    await waitPort(port, 5000);
    process.env.E2B_SANDBOX_URL = `http://127.0.0.1:${port}`;
}

after(() => {
    if (socat) socat.kill('SIGTERM');
    if (agent) agent.kill('SIGTERM');
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

let sbx = null;
if (!skipReason) {
    if (!external) await startAgent();
    sbx = await sdk.Sandbox.create();
}
const t = (name, fn) => test(name, { skip: skipReason ?? false, timeout: 30000 }, fn);
const tAgent = (name, fn) => test(name, { skip: skipReason ?? (external ? 'external agent' : false), timeout: 60000 }, fn);

t('run: stdout, exit 0', async () => {
    const r = await sbx.commands.run('echo hello');
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout, 'hello\n');
    assert.equal(r.stderr, '');
    assert.equal(r.error, undefined);
});

t('run: non-zero exit raises CommandExitError with stderr', async () => {
    await assert.rejects(sbx.commands.run('echo out; echo oops >&2; exit 3'), (e) => {
        assert.ok(e instanceof sdk.CommandExitError, String(e));
        assert.equal(e.exitCode, 3);
        assert.equal(e.error, 'exit status 3');
        assert.equal(e.stdout, 'out\n');
        assert.equal(e.stderr, 'oops\n');
        return true;
    });
});

t('run: envs (request, sandbox-wide, user vars) and cwd', async () => {
    const r = await sbx.commands.run('echo "$FOO|$SANDBOX_WIDE|$HOME|$USER"; pwd', { envs: { FOO: 'bar' }, cwd: '/tmp', user: 'root' });
    assert.equal(r.stdout, `bar|${external ? '' : 'yes'}|/root|root\n/tmp\n`);
    const h = await sbx.commands.run('pwd; echo $USER');
    if (defaultUser) {
        const home = fs.existsSync(defaultUser.home) ? defaultUser.home : '/';
        assert.equal(h.stdout, `${home}\n${defaultUser.name}\n`);  // default cwd: the user's home
    }
});

t('run: missing cwd is invalid_argument', async () => {
    await assert.rejects(sbx.commands.run('true', { cwd: '/nonexistent-dir' }), (e) => {
        assert.ok(e instanceof sdk.InvalidArgumentError, String(e));
        assert.match(e.message, /cwd '\/nonexistent-dir' does not exist/);
        return true;
    });
});

t('run: root runs without capabilities', async () => {
    const r = await sbx.commands.run('id -u; grep -E "^Cap(Eff|Prm|Bnd|Amb)" /proc/self/status', { user: 'root' });
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], '0');
    for (const l of lines.slice(1)) assert.match(l, /:\s+0{16}$/, l);
});

test('run: as a non-root user', { skip: skipReason ?? (testUser ? false : 'no uid-1000 user'), timeout: 30000 }, async () => {
    const r = await sbx.commands.run('id -un; echo $HOME; grep CapEff /proc/self/status', { user: testUser.name });
    const [name, home, cap] = r.stdout.trim().split('\n');
    assert.equal(name, testUser.name);
    assert.equal(home, testUser.home);
    assert.match(cap, /0{16}$/);
});

t('onStdout streams before the process exits', async () => {
    const t0 = Date.now();
    let first = null;
    const r = await sbx.commands.run('echo first; sleep 1; echo second', {
        onStdout: (d) => { if (first === null) first = { at: Date.now() - t0, d }; },
    });
    assert.equal(r.stdout, 'first\nsecond\n');
    assert.ok(first && first.at < 700, `first chunk after ${first?.at} ms`);
});

t('large output arrives intact', async () => {
    const r = await sbx.commands.run('head -c 3000000 /dev/zero | tr "\\0" a; echo');
    assert.equal(r.stdout.length, 3000001);
});

t('background + kill: signal: killed, kill of unknown pid is false', async () => {
    const h = await sbx.commands.run('sleep 100', { background: true });
    assert.ok(h.pid > 0);
    assert.equal(await h.kill(), true);
    await assert.rejects(h.wait(), (e) => {
        assert.equal(e.exitCode, -1);
        assert.equal(e.error, 'signal: killed');
        return true;
    });
    assert.equal(await sbx.commands.kill(h.pid), false);
    assert.equal(await sbx.commands.kill(999999), false);
});

t('kill does not wait for grandchildren holding the pipes', async () => {
    const h = await sbx.commands.run('sleep 100 & sleep 100', { background: true });
    const t0 = Date.now();
    await h.kill();
    await assert.rejects(h.wait());
    assert.ok(Date.now() - t0 < 2000);
});

t('stdin: sendStdin keeps order, closeStdin gives EOF', async () => {
    const h = await sbx.commands.run('cat; sleep 0.5; echo done', { background: true, stdin: true });
    for (let i = 0; i < 20; i++) await h.sendStdin(`line${i}\n`);
    await h.closeStdin();
    await h.closeStdin();  // already closed: still fine
    const r = await h.wait();
    assert.equal(r.stdout, Array.from({ length: 20 }, (_, i) => `line${i}\n`).join('') + 'done\n');
});

t('stdin: disabled by default, sendStdin fails', async () => {
    const h = await sbx.commands.run('cat; sleep 0.5', { background: true });
    await assert.rejects(h.sendStdin('x'), /error writing to stdin/);
    const r = await h.wait();  // cat got /dev/null
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout, '');
});

t('connect: live output from a second stream, both get end', async () => {
    const h = await sbx.commands.run('for i in 1 2 3 4 5; do echo $i; sleep 0.2; done', { background: true });
    let seen = '';
    const c = await sbx.commands.connect(h.pid, { onStdout: (d) => { seen += d; } });
    const [r1, r2] = await Promise.all([h.wait(), c.wait()]);
    assert.equal(r1.stdout, '1\n2\n3\n4\n5\n');
    assert.ok(seen.endsWith('5\n'), seen);
    assert.equal(r2.exitCode, 0);
});

t('connect: replays start + end shortly after exit; unknown pid is not_found', async () => {
    const h = await sbx.commands.run('exit 7', { background: true });
    await assert.rejects(h.wait());
    const c = await sbx.commands.connect(h.pid);
    await assert.rejects(c.wait(), (e) => e.exitCode === 7);
    await assert.rejects(sbx.commands.connect(999999), (e) => e instanceof sdk.NotFoundError);
});

t('disconnect keeps the process running', async () => {
    const h = await sbx.commands.run('sleep 2; echo late', { background: true, timeoutMs: 0 });
    await h.disconnect();
    assert.ok((await sbx.commands.list()).some((p) => p.pid === h.pid));
    const c = await sbx.commands.connect(h.pid);
    const r = await c.wait();
    assert.equal(r.stdout, 'late\n');
});

t('list: config as requested', async () => {
    const h = await sbx.commands.run('sleep 30', { background: true, envs: { A: '1' }, cwd: '/tmp' });
    const list = await sbx.commands.list();
    const p = list.find((x) => x.pid === h.pid);
    assert.ok(p, JSON.stringify(list));
    assert.equal(p.cmd, '/bin/bash');
    assert.deepEqual(p.args, ['-l', '-c', 'sleep 30']);
    assert.deepEqual(p.envs, { A: '1' });
    assert.equal(p.cwd, '/tmp');
    await h.kill();
    await h.wait().catch(() => {});
    assert.ok(!(await sbx.commands.list()).some((x) => x.pid === h.pid));
});

t('timeoutMs kills the process (foreground and background)', async () => {
    const t0 = Date.now();
    await assert.rejects(sbx.commands.run('sleep 10', { timeoutMs: 500 }), (e) => e instanceof sdk.TimeoutError);
    assert.ok(Date.now() - t0 < 3000);
    const h = await sbx.commands.run('sleep 10', { background: true, timeoutMs: 500 });
    await h.disconnect();
    await sleep(1000);
    assert.ok(!(await sbx.commands.list()).some((x) => x.pid === h.pid), 'background process outlived its timeout');
});

t('pty: create, input, resize, kill', async () => {
    let out = '';
    const dec = new TextDecoder();
    const h = await sbx.pty.create({ cols: 80, rows: 24, timeoutMs: 20000, onData: (d) => { out += dec.decode(d, { stream: true }); } });
    const waitFor = async (re) => {
        for (let i = 0; i < 100 && !re.test(out); i++) await sleep(50);
        assert.match(out, re);
    };
    await sbx.pty.sendInput(h.pid, new TextEncoder().encode('stty size; echo "x$((6*7))y"\n'));
    await waitFor(/x42y/);
    assert.match(out, /24 80/);
    await sbx.pty.resize(h.pid, { cols: 120, rows: 40 });
    await sbx.pty.sendInput(h.pid, new TextEncoder().encode('stty size\n'));
    await waitFor(/40 120/);
    // stdin-only operations on a PTY fail
    await assert.rejects(sbx.commands.sendStdin(h.pid, 'x'), /error writing to stdin/);
    assert.ok((await sbx.commands.list()).some((p) => p.pid === h.pid));
    assert.equal(await sbx.pty.kill(h.pid), true);
    await assert.rejects(h.wait(), (e) => e.error === 'signal: killed');
});

t('pty: exit via input ends the stream', async () => {
    const h = await sbx.pty.create({ cols: 80, rows: 24, timeoutMs: 20000, onData: () => {} });
    await sbx.pty.sendInput(h.pid, new TextEncoder().encode('exit 5\n'));
    await assert.rejects(h.wait(), (e) => e.exitCode === 5);
});

t('resize of a non-PTY process fails', async () => {
    const h = await sbx.commands.run('sleep 30', { background: true });
    await assert.rejects(sbx.pty.resize(h.pid, { cols: 10, rows: 10 }), /tty not assigned to process/);
    await h.kill();
});

// Non-socket fds only: the SDK's HTTP keep-alive pool legitimately grows with concurrency.
function agentFds() {
    const out = [];
    for (const fd of fs.readdirSync(`/proc/${agent.pid}/fd`)) {
        try {
            const l = fs.readlinkSync(`/proc/${agent.pid}/fd/${fd}`);
            if (!l.startsWith('socket:')) out.push(`${fd}->${l}`);
        } catch { /* closed meanwhile */ }
    }
    return out.sort().join(' ');
}
function agentZombies() {
    let n = 0;
    for (const d of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(d)) continue;
        try {
            const st = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
            const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
            if (f[0] === 'Z' && Number(f[1]) === agent.pid) n++;
        } catch { /* gone */ }
    }
    return n;
}

tAgent('no fd or zombie leaks; round-trip timing', async () => {
    await sleep(300);
    const before = agentFds();
    const N = 30;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) await sbx.commands.run('true');
    const per = Number(process.hrtime.bigint() - t0) / 1e6 / N;
    console.log(`# commands.run('true'): ${per.toFixed(2)} ms per call (${N} sequential calls)`);
    await Promise.all(Array.from({ length: 10 }, () => sbx.commands.run('echo x; exit 1').catch(() => {})));
    for (let i = 0; i < 5; i++) {
        const h = await sbx.commands.run('sleep 50', { background: true, stdin: true });
        await h.kill();
        await h.wait().catch(() => {});
    }
    const p = await sbx.pty.create({ cols: 80, rows: 24, onData: () => {} });
    await sbx.pty.kill(p.pid);
    await p.wait().catch(() => {});
    await sleep(500);
    assert.equal(agentFds(), before, 'agent fd count changed');
    assert.equal(agentZombies(), 0, 'zombie children of the agent');
});

// Raw Connect stream on the agent's socket, so that the test decides when the response is read.
tAgent('output flood: a client that stops reading pauses the producer, then gets every byte', async () => {
    const size = 48 << 20;
    const agentRss = () => Number(fs.readFileSync(`/proc/${agent.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) * 1024;
    const msg = Buffer.from(JSON.stringify({ process: { cmd: '/bin/sh', args: ['-c', `head -c ${size} /dev/zero`] } }));
    const env = Buffer.alloc(5);
    env.writeUInt32BE(msg.length, 1);
    const body = Buffer.concat([env, msg]);
    const rssBefore = agentRss();
    const s = net.connect(path.join(tmp, 'agent.sock'));
    await new Promise((res, rej) => { s.once('connect', res); s.once('error', rej); });
    s.pause();
    s.write(`POST /process.Process/Start HTTP/1.1\r\nHost: x\r\nContent-Type: application/connect+json\r\n` +
        `Content-Length: ${body.length}\r\n\r\n`);
    s.write(body);
    await sleep(1500);  // the output far exceeds what the agent may queue for a stalled client
    const grown = agentRss() - rssBefore;
    console.log(`# agent RSS growth with a stalled reader: ${(grown / 1048576).toFixed(1)} MiB`);
    assert.ok(grown < 24 << 20, `agent RSS grew by ${grown} bytes while the client did not read`);

    const parts = [];
    await new Promise((res, rej) => {
        s.on('data', (d) => {
            parts.push(d);
            if (d.length >= 5 && d.subarray(d.length - 5).toString() === '0\r\n\r\n') res();
        });
        s.on('error', rej);
        s.on('close', () => rej(new Error('connection closed before the end of the stream')));
        s.resume();
    });
    s.destroy();
    const all = Buffer.concat(parts);
    const head = all.indexOf('\r\n\r\n');
    assert.match(all.subarray(0, head).toString(), /^HTTP\/1\.1 200 /);
    const chunks = [];
    for (let at = head + 4; ;) {  // de-chunk
        const eol = all.indexOf('\r\n', at);
        const n = parseInt(all.subarray(at, eol).toString(), 16);
        if (n === 0) break;
        chunks.push(all.subarray(eol + 2, eol + 2 + n));
        at = eol + 2 + n + 2;
    }
    const stream = Buffer.concat(chunks);
    let bytes = 0, end = null;
    for (let at = 0; at < stream.length;) {  // Connect envelopes
        const flags = stream[at], n = stream.readUInt32BE(at + 1);
        const m = JSON.parse(stream.subarray(at + 5, at + 5 + n).toString());
        at += 5 + n;
        if (flags & 2) break;
        if (m.event?.data?.stdout) bytes += Buffer.from(m.event.data.stdout, 'base64').length;
        if (m.event?.end) end = m.event.end;
    }
    assert.equal(bytes, size);
    assert.deepEqual(end, { exited: true, status: 'exit status 0' });
});
