// The code interpreter of e2b-agent (--ci-socket), driven by the unmodified official
// @e2b/code-interpreter JS SDK in debug mode (which talks to http://localhost:49999 for code and
// http://localhost:49983 for envd). The suite re-runs itself inside a private network namespace
// (needs root), where socat bridges those ports to the agent's two unix sockets.
//
//   node --test tests/agent/interp.test.mjs
// Env: E2B_AGENT_BIN (default build/e2b-agent), E2B_SDK_DIR (dir whose node_modules has
// @e2b/code-interpreter, default tests/conformance/js), E2B_MPL_SITE (a site-packages dir with
// matplotlib for /usr/bin/python3, default /var/tmp/e2b-mpl/lib/python3.*/site-packages; the PNG
// test is skipped without it), E2B_TEST_USER (default: the uid-1000 user).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { suiteInPrivateNetns } from './netns.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const agentBin = process.env.E2B_AGENT_BIN ?? path.join(repo, 'build/e2b-agent');
const sdkDir = process.env.E2B_SDK_DIR ?? path.join(repo, 'tests/conformance/js');

function skipReason() {
  if (process.getuid?.() !== 0) return 'needs root (network namespace, kernels as another user)';
  if (!fs.existsSync(agentBin)) return `agent binary not found at ${agentBin} (build the e2b-agent target)`;
  if (!fs.existsSync(path.join(sdkDir, 'node_modules/@e2b/code-interpreter'))) return `@e2b/code-interpreter not installed: cd ${sdkDir} && npm ci`;
  for (const b of ['socat', 'unshare', 'ip']) if (spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0) return `${b} not installed`;
  return null;
}

// Where matplotlib comes from: '' = the system's /usr/bin/python3 has it (python3-matplotlib,
// installed by scripts/install-deps.sh), else a site-packages dir to prepend, else null (skip).
function mplSite() {
  if (process.env.E2B_MPL_SITE) return process.env.E2B_MPL_SITE;
  if (spawnSync('/usr/bin/python3', ['-c', 'import matplotlib']).status === 0) return '';
  const lib = '/var/tmp/e2b-mpl/lib';
  if (!fs.existsSync(lib)) return null;
  for (const d of fs.readdirSync(lib)) {
    const site = path.join(lib, d, 'site-packages');
    if (fs.existsSync(path.join(site, 'matplotlib'))) return site;
  }
  return null;
}

await suiteInPrivateNetns({
  fileUrl: import.meta.url, flag: 'E2B_CI_TEST_INNER', title: 'agent code interpreter suite (in a private netns)',
  skipReason: skipReason(), inner,
});

async function inner() {
  const require = createRequire(path.join(sdkDir, 'package.json'));
  const { Sandbox, NotFoundError, TimeoutError, SandboxError } = require('@e2b/code-interpreter');

  const pw = fs.readFileSync('/etc/passwd', 'utf8').split('\n').map((l) => l.split(':'));
  const acct = pw.find((f) => (process.env.E2B_TEST_USER ? f[0] === process.env.E2B_TEST_USER : f[2] === '1000'))
    ?? pw.find((f) => f[0] === 'root');
  const [user, , uidS, gidS] = acct;
  const uid = Number(uidS), gid = Number(gidS);

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'e2b-ci-'));
  fs.chmodSync(work, 0o755);
  const home = path.join(work, 'home');  // the kernels' default cwd
  fs.mkdirSync(home);
  fs.chownSync(home, uid, gid);
  const sock = path.join(work, 'agent.sock');
  const ciSock = path.join(work, 'ci.sock');
  fs.writeFileSync(path.join(work, 'cfg.json'), JSON.stringify({
    sandboxId: 'ci-test', defaultUser: user, defaultWorkdir: home, envdVersion: '0.6.13',
    envVars: { SANDBOX_WIDE: 'yes' },
  }));

  const agent = spawn(agentBin, ['--socket', sock, '--ci-socket', ciSock, '--config', path.join(work, 'cfg.json')],
    { stdio: ['ignore', 'inherit', 'inherit'] });
  for (let i = 0; i < 100 && !(fs.existsSync(sock) && fs.existsSync(ciSock)); i++) await new Promise((r) => setTimeout(r, 50));
  const socats = [[49983, sock], [49999, ciSock]].map(([port, s]) =>
    spawn('socat', [`TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork,nodelay`, `UNIX-CONNECT:${s}`], { stdio: 'ignore' }));
  await new Promise((r) => setTimeout(r, 300));
  const CI = 'http://localhost:49999';

  after(() => {
    for (const s of socats) s.kill();
    agent.kill();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const sbx = new Sandbox({ sandboxId: 'ci-test', envdVersion: '0.6.13', debug: true });
  const kernelPids = () => spawnSync('pgrep', ['-P', String(agent.pid)]).stdout.toString().trim().split('\n').filter(Boolean);

  test('python: state across cells, last expression, execution count, identity', async () => {
    const a = await sbx.runCode('x = 40\nprint("set")');
    assert.equal(a.error, undefined);
    assert.deepEqual(a.logs.stdout, ['set\n']);
    assert.equal(a.results.length, 0);
    const b = await sbx.runCode('x + 2');
    assert.equal(b.text, '42');
    assert.equal(b.results.length, 1);
    assert.equal(b.results[0].isMainResult, true);
    assert.equal(b.executionCount, a.executionCount + 1);
    const c = await sbx.runCode('import os\n(os.getuid(), os.getcwd(), os.environ["SANDBOX_WIDE"])');
    assert.equal(c.text, `(${uid}, '${home}', 'yes')`);
    assert.equal((await sbx.runCode('"hello"')).text, 'hello', 'quotes of a string result are stripped');
    const none = await sbx.runCode('None');
    assert.equal(none.results.length, 0, 'None is no result');
    const html = await sbx.runCode('class H:\n    def _repr_html_(self): return "<b>hi</b>"\nH()');
    assert.equal(html.results[0].html, '<b>hi</b>');
    assert.ok(html.results[0].text.includes('H object'));
  });

  test('python: streamed logs arrive before the end of the execution', async () => {
    const seen = [];
    const t0 = Date.now();
    const exec = await sbx.runCode('import sys, time\nprint("first")\nprint("oops", file=sys.stderr)\ntime.sleep(1.2)\nprint("second")', {
      onStdout: (m) => seen.push(['out', m.line, Date.now() - t0]),
      onStderr: (m) => seen.push(['err', m.line, Date.now() - t0]),
    });
    const end = Date.now() - t0;
    assert.deepEqual(exec.logs.stdout, ['first\n', 'second\n']);
    assert.deepEqual(exec.logs.stderr, ['oops\n']);
    const first = seen.find((s) => s[1] === 'first\n');
    assert.ok(first && end - first[2] >= 900, `first line came ${first?.[2]} ms, end at ${end} ms`);
    assert.ok(seen.find((s) => s[0] === 'err'));
  });

  test('python: errors are in-band (name, value, traceback), the context survives', async () => {
    const e = await sbx.runCode('def f():\n    return 1/0\nf()');
    assert.equal(e.error.name, 'ZeroDivisionError');
    assert.equal(e.error.value, 'division by zero');
    assert.match(e.error.traceback, /line 2, in f/);
    assert.match(e.error.traceback, /return 1\/0/);  // source lines, as Jupyter shows them
    assert.doesNotMatch(e.error.traceback, /python_kernel|_run_code/);
    // a function from an earlier cell still shows its own source when it fails later
    await sbx.runCode('def g(x):\n    return x["missing"]');
    const later = await sbx.runCode('g({})');
    assert.equal(later.error.name, 'KeyError');
    assert.match(later.error.traceback, /return x\["missing"\]/);
    const s = await sbx.runCode('def (');
    assert.equal(s.error.name, 'SyntaxError');
    const errs = [];
    await sbx.runCode('raise ValueError("v")', { onError: (err) => errs.push(err.name) });
    assert.deepEqual(errs, ['ValueError']);
    assert.equal((await sbx.runCode('x')).text, '40');
  });

  test('per-execution env vars are applied and reset afterwards', async () => {
    const a = await sbx.runCode('import os; os.environ.get("PER_EXEC")', { envs: { PER_EXEC: 'one' } });
    assert.equal(a.text, 'one');
    const b = await sbx.runCode('import os; os.environ.get("PER_EXEC", "unset")');
    assert.equal(b.text, 'unset');
    const c = await sbx.runCode('process.env.PER_EXEC', { language: 'js', envs: { PER_EXEC: 'js' } });
    assert.equal(c.text, 'js');
  });

  test('contexts: create, isolated from each other and the default, list, restart, remove', async () => {
    const ctx = await sbx.createCodeContext({ cwd: '/tmp' });
    assert.equal(ctx.language, 'python');
    assert.equal(ctx.cwd, '/tmp');
    assert.match(ctx.id, /^[0-9a-f-]{36}$/);
    await sbx.runCode('secret = 7', { context: ctx });
    assert.equal((await sbx.runCode('secret * 6', { context: ctx })).text, '42');
    assert.equal((await sbx.runCode('import os; os.getcwd()', { context: ctx })).text, '/tmp');
    const other = await sbx.runCode('secret');
    assert.equal(other.error.name, 'NameError', 'the default context does not see it');
    assert.equal((await sbx.runCode('x')).text, '40', 'and keeps its own state');

    const list = await sbx.listCodeContexts();
    assert.ok(list.find((c) => c.id === ctx.id));
    assert.ok(list.find((c) => c.language === 'python' && c.id !== ctx.id), 'default python context listed');
    assert.ok(list.find((c) => c.language === 'javascript'), 'default javascript context listed');

    await sbx.restartCodeContext(ctx);
    assert.equal((await sbx.runCode('secret', { context: ctx })).error.name, 'NameError', 'restart clears state');
    assert.equal((await sbx.runCode('1', { context: ctx })).executionCount, 2);

    await sbx.removeCodeContext(ctx.id);
    assert.ok(!(await sbx.listCodeContexts()).find((c) => c.id === ctx.id));
    await assert.rejects(sbx.runCode('1', { context: ctx }), (e) => e instanceof NotFoundError && /Context .* not found/.test(e.message));
    await assert.rejects(sbx.removeCodeContext(ctx.id), NotFoundError);
    await assert.rejects(sbx.restartCodeContext('nope'), NotFoundError);
  });

  test('javascript: persistent vm context, console output, last value, errors, top-level await', async () => {
    const a = await sbx.runCode('const a = 2; console.log("hi from js"); a * 21', { language: 'js' });
    assert.equal(a.error, undefined);
    assert.equal(a.text, '42');
    assert.deepEqual(a.logs.stdout, ['hi from js\n']);
    assert.equal((await sbx.runCode('a + 1', { language: 'javascript' })).text, '3');
    assert.equal((await sbx.runCode('({k: [1, 2]})', { language: 'JavaScript' })).text, '{ k: [ 1, 2 ] }');
    const e = await sbx.runCode('nope.x', { language: 'js' });
    assert.equal(e.error.name, 'ReferenceError');
    assert.equal(e.error.value, 'nope is not defined');
    const w = await sbx.runCode('const v = await new Promise((r) => setTimeout(() => r(5), 50))\nv * 2', { language: 'js' });
    assert.equal(w.text, '10');
    assert.equal((await sbx.runCode('v', { language: 'js' })).text, '5', 'awaited declarations persist');
    assert.equal((await sbx.runCode('Promise.resolve("p")', { language: 'js' })).text, 'p');
    const ts = await sbx.runCode('1 + 1', { language: 'ts' });
    assert.equal(ts.text, '2');
    const jsCtx = await sbx.createCodeContext({ language: 'javascript' });
    assert.equal((await sbx.runCode('typeof a', { context: jsCtx })).text, 'undefined', 'contexts are isolated');
    await sbx.removeCodeContext(jsCtx);
  });

  test('bash: persistent shell, exit status as error', async () => {
    const a = await sbx.runCode('B=bee; cd /tmp; echo "hello $B"', { language: 'bash' });
    assert.deepEqual(a.logs.stdout, ['hello bee\n']);
    assert.equal(a.error, undefined);
    const b = await sbx.runCode('echo "$B $(pwd)"; false', { language: 'bash' });
    assert.deepEqual(b.logs.stdout, ['bee /tmp\n']);
    assert.equal(b.error.value, '1');
  });

  test('files written by code are visible to the files API', async () => {
    const p = path.join(home, 'from-code.txt');
    const r = await sbx.runCode(`with open(${JSON.stringify(p)}, "w") as f:\n    f.write("written by python\\n")`);
    assert.equal(r.error, undefined);
    assert.equal(await sbx.files.read(p), 'written by python\n');
    assert.equal(fs.statSync(p).uid, uid);
    await sbx.files.write(path.join(home, 'to-code.txt'), 'from files api');
    assert.equal((await sbx.runCode(`open(${JSON.stringify(path.join(home, 'to-code.txt'))}).read()`)).text, 'from files api');
    assert.equal((await sbx.runCode('require("fs").readFileSync("from-code.txt", "utf8").trim()', { language: 'js' })).text, 'written by python');
  });

  test('matplotlib figures become PNG results', { skip: mplSite() !== null ? false : 'no matplotlib for /usr/bin/python3 (set E2B_MPL_SITE)' }, async () => {
    const ctx = await sbx.createCodeContext();
    const site = mplSite();
    const code = `${site ? `import sys; sys.path.insert(0, ${JSON.stringify(site)})\n` : ''}import matplotlib.pyplot as plt
plt.plot([1, 2, 3], [1, 4, 9])
plt.title("t")
plt.show()
fig2 = plt.figure()
plt.bar([1, 2], [3, 4])
"done"`;
    const r = await sbx.runCode(code, { context: ctx, timeoutMs: 120000 });
    assert.equal(r.error, undefined, r.error?.traceback);
    const pngs = r.results.filter((x) => x.png);
    assert.equal(pngs.length, 2, 'the shown figure and the one left open');
    for (const x of pngs) {
      assert.equal(x.isMainResult, false);
      assert.equal(Buffer.from(x.png, 'base64').subarray(1, 4).toString(), 'PNG');
      assert.match(x.text, /Figure size/);
    }
    assert.equal(r.text, 'done');
    assert.deepEqual(r.logs.stderr, [], 'no backend warnings');
    await sbx.removeCodeContext(ctx);
  });

  test('a runaway cell is bounded by its timeout; the interrupt keeps the context', async () => {
    await sbx.runCode('kept = "still here"');
    const t0 = Date.now();
    await assert.rejects(sbx.runCode('import time\nwhile True:\n    time.sleep(0.1)', { timeoutMs: 1000 }), TimeoutError);
    assert.ok(Date.now() - t0 < 5000);
    const r = await sbx.runCode('kept');
    assert.equal(r.text, 'still here', 'state survives the interrupt');
    await assert.rejects(sbx.runCode('while (true) {}', { language: 'js', timeoutMs: 1000 }), TimeoutError);
    assert.equal((await sbx.runCode('a', { language: 'js' })).text, '2');
    await assert.rejects(sbx.runCode('sleep 60; echo never', { language: 'bash', timeoutMs: 1000 }), TimeoutError);
    assert.deepEqual((await sbx.runCode('echo $B', { language: 'bash' })).logs.stdout, ['bee\n']);
  });

  test('a kernel that ignores the interrupt is restarted (ContextRestarting), others are not', async () => {
    const ctx = await sbx.createCodeContext();
    await sbx.runCode('y = 1', { context: ctx });
    await assert.rejects(sbx.runCode('import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(60)',
      { context: ctx, timeoutMs: 500 }), TimeoutError);
    const r = await sbx.runCode('y', { context: ctx });  // waits for the grace period, then a fresh kernel
    assert.equal(r.error.name, 'NameError');
    assert.equal((await sbx.runCode('x')).text, '40', 'the default context is untouched');
    await sbx.removeCodeContext(ctx);
  });

  test('a kernel that dies reports ContextRestarting and comes back', async () => {
    const ctx = await sbx.createCodeContext();
    const r = await sbx.runCode('import os; print("bye"); os._exit(3)', { context: ctx });
    assert.deepEqual(r.logs.stdout, ['bye\n']);
    assert.equal(r.error.name, 'ContextRestarting');
    assert.equal((await sbx.runCode('1 + 1', { context: ctx })).text, '2');
    await sbx.removeCodeContext(ctx);
  });

  test('wire: NDJSON shape, keepalive after 5 s of silence, 400/404 texts, health', async () => {
    const post = (body) => fetch(`${CI}/execute`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const both = await post({ code: '1', language: 'python', context_id: 'x' });
    assert.equal(both.status, 400);
    assert.equal(await both.text(), 'Only one of context_id or language can be provided');
    const nf = await post({ code: '1', context_id: 'nope' });
    assert.equal(nf.status, 404);
    assert.equal(await nf.text(), 'Context nope not found');
    const h = await fetch(`${CI}/health`);
    assert.equal(h.status, 200);
    assert.equal(await h.json(), 'OK');

    const res = await post({ code: 'import time; time.sleep(5.6); 3' });
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.type), ['number_of_executions', 'keepalive', 'result', 'end_of_execution']);
    assert.equal(lines[2].text, '3');
  });

  test('round trip of runCode("1+1")', async () => {
    await sbx.runCode('1+1');
    const times = [];
    for (let i = 0; i < 30; i++) {
      const t = process.hrtime.bigint();
      assert.equal((await sbx.runCode('1+1')).text, '2');
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    times.sort((p, q) => p - q);
    console.log(`# runCode('1+1') round trip: median ${times[15].toFixed(2)} ms, min ${times[0].toFixed(2)} ms, max ${times[29].toFixed(2)} ms`);
    assert.ok(times[15] < 100);
  });

  test('no kernel or pipe leaks in the agent', async () => {
    const fds = fs.readdirSync(`/proc/${agent.pid}/fd`).length;
    assert.ok(fds < 64, `agent has ${fds} fds`);
    // python default, javascript default, bash default, typescript default
    const ps = () => kernelPids().map((p) => fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').slice(0, 40).replace(/\0/g, ' '));
    assert.ok(kernelPids().length <= 4, `kernels: ${JSON.stringify(ps())}`);
  });
}
