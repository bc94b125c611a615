// Conformance harness for e2b-local.
//
// Two ways to use it:
//
//  1. Runner (what run.sh does):   node harness.mjs [test files...]
//     Starts ONE e2b-local (fresh temp state dir, random e2b_ key, port 0), runs
//     `node --test` on the test files with E2B_API_URL/E2B_SANDBOX_URL/E2B_API_KEY
//     pointing at it, then stops the server with SIGTERM and checks that it exits
//     within a few seconds and leaves no sandbox processes / cgroups / mounts.
//
//  2. Library (a test file run on its own, e.g. `node --test lifecycle.test.mjs`):
//     `await useServer()` starts a private server for that file (or reuses the one
//     the runner exported through the environment) and registers the teardown check
//     as an `after` hook that fails the run if the teardown is not clean.
//
// Binary path: env E2B_LOCAL_BIN (default <repo>/build/e2b-local).

import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, '../../..');
export const BIN = process.env.E2B_LOCAL_BIN || path.join(REPO, 'build', 'e2b-local');
const READY_RE = /e2b-local: ready on (http:\/\/127\.0\.0\.1:(\d+))/;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function randomKey() {
  return 'e2b_' + crypto.randomBytes(20).toString('hex');
}

/** Start e2b-local. Resolves with {url, port, apiKey, runDir, stateDir, logFile, idsFile, child}. */
// `reuse` = a previous startServer() result whose run dir was kept: restart on the same state dir.
export async function startServer({ readyTimeoutMs = 30000, reuse = null } = {}) {
  if (!fs.existsSync(BIN)) throw new Error(`e2b-local binary not found at ${BIN} (build it or set E2B_LOCAL_BIN)`);
  const base = fs.existsSync('/var/tmp') ? '/var/tmp' : os.tmpdir();
  const runDir = reuse ? reuse.runDir : fs.mkdtempSync(path.join(base, 'e2b-conf-'));
  const stateDir = path.join(runDir, 'state');
  if (!reuse) fs.mkdirSync(stateDir);
  const logFile = path.join(runDir, 'server.log');
  const idsFile = path.join(runDir, 'sandbox-ids.txt');
  if (!reuse) fs.writeFileSync(idsFile, '');
  const apiKey = reuse ? reuse.apiKey : randomKey();
  const log = fs.openSync(logFile, 'a');
  const child = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--state-dir', stateDir, '--api-key', apiKey], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // own process group: a stray kill(0, sig) / kill(-pgid, sig) in the server must not hit the test runner
    detached: true,
  });
  const killOnExit = () => { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } };
  process.on('exit', killOnExit);
  child.stderr.on('data', (d) => fs.writeSync(log, d));
  let exited = null;
  const exitPromise = new Promise((resolve) => child.on('exit', (code, signal) => { exited = { code, signal }; resolve(exited); }));
  const url = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`e2b-local did not print the ready line within ${readyTimeoutMs} ms (log: ${logFile})`)), readyTimeoutMs);
    child.stdout.on('data', (d) => {
      fs.writeSync(log, d);
      buf += d.toString();
      const m = READY_RE.exec(buf);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    exitPromise.then((e) => { clearTimeout(timer); reject(new Error(`e2b-local exited before ready: ${JSON.stringify(e)} (log: ${logFile})\n${tail(logFile)}`)); });
  });
  // keep draining stdout after the ready line
  const port = Number(new URL(url).port);
  // contract: GET /health answers 200 when ready
  const deadline = Date.now() + 5000;
  let healthStatus = 0;
  while (Date.now() < deadline) {
    try { healthStatus = (await fetch(url + '/health')).status; if (healthStatus >= 200 && healthStatus < 300) break; } catch { /* retry */ }
    await sleep(100);
  }
  return { url, port, apiKey, runDir, stateDir, logFile, idsFile, child, exitPromise, healthStatus, get exited() { return exited; } };
}

function tail(file, n = 40) {
  try { return fs.readFileSync(file, 'utf8').split('\n').slice(-n).join('\n'); } catch { return ''; }
}

function readIds(idsFile) {
  try { return [...new Set(fs.readFileSync(idsFile, 'utf8').split('\n').map((s) => s.trim()).filter(Boolean))]; } catch { return []; }
}

function safeRead(p) { try { return fs.readFileSync(p); } catch { return null; } }

/** Processes on the host that belong to this server's sandboxes (or the server itself). */
export function findLeftoverProcesses({ stateDir, ids, serverPid }) {
  const out = [];
  for (const ent of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(ent)) continue;
    const pid = Number(ent);
    if (pid === process.pid) continue;
    const cmdline = safeRead(`/proc/${pid}/cmdline`);
    if (!cmdline) continue;
    const cmd = cmdline.toString().replace(/\0/g, ' ').trim();
    const environ = (safeRead(`/proc/${pid}/environ`) || Buffer.alloc(0)).toString();
    const cgroup = (safeRead(`/proc/${pid}/cgroup`) || Buffer.alloc(0)).toString();
    let why = null;
    if (pid === serverPid) why = 'server process still alive';
    else if (cmd.includes(stateDir)) why = 'cmdline mentions the state dir';
    else if (ids.some((id) => environ.includes(`E2B_SANDBOX_ID=${id}`))) why = 'environment has E2B_SANDBOX_ID of a sandbox of this server';
    else if (ids.some((id) => cgroup.includes(id))) why = 'in a cgroup of a sandbox of this server';
    if (why) out.push({ pid, cmd: cmd.slice(0, 200), why });
  }
  return out;
}

/** cgroup directories named after this server's sandboxes (any hierarchy, depth-limited walk). */
export function findLeftoverCgroups({ ids }) {
  const out = [];
  if (!ids.length) return out;
  const walk = (dir, depth) => {
    if (depth > 5) return;
    let ents;
    try { ents = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of ents) {
      if (!e.isDirectory()) continue;
      const p = path.join(dir, e.name);
      if (ids.some((id) => e.name.includes(id))) out.push(p);
      walk(p, depth + 1);
    }
  };
  walk('/sys/fs/cgroup', 0);
  return out;
}

/** Mount points left below the run dir. */
export function findLeftoverMounts({ runDir }) {
  const mi = (safeRead('/proc/self/mountinfo') || Buffer.alloc(0)).toString().split('\n');
  return mi.map((l) => l.split(' ')[4]).filter((mp) => mp && (mp === runDir || mp.startsWith(runDir + '/')));
}

/** SIGTERM the server, check it exits in time and leaves nothing behind. Returns a list of problems. */
export async function stopServer(srv, { exitTimeoutMs = 10000, keepRunDir = !!process.env.E2B_CONF_KEEP } = {}) {
  const problems = [];
  const ids = readIds(srv.idsFile);
  if (srv.exited) {
    // the server logs 'signal N, stopping sandboxes' when it got a signal: we only ever send one here
    if (/signal \d+, stopping/.test(tail(srv.logFile, 400))) problems.push('e2b-local received a termination signal during the tests that the harness did not send (see log)');
    problems.push(`e2b-local had already exited before SIGTERM: ${JSON.stringify(srv.exited)}`);
  } else {
    const t0 = Date.now();
    srv.child.kill('SIGTERM');
    const res = await Promise.race([srv.exitPromise, sleep(exitTimeoutMs).then(() => null)]);
    if (!res) {
      problems.push(`e2b-local did not exit within ${exitTimeoutMs} ms of SIGTERM (killed with SIGKILL)`);
      srv.child.kill('SIGKILL');
      await srv.exitPromise;
    } else {
      if (!(res.code === 0 || res.signal === 'SIGTERM')) problems.push(`e2b-local exited uncleanly after SIGTERM: ${JSON.stringify(res)}`);
      process.stderr.write(`# e2b-local stopped ${Date.now() - t0} ms after SIGTERM (${JSON.stringify(res)})\n`);
    }
  }
  // give the kernel a moment to reap / remove cgroups
  let procs = [], cgroups = [], mounts = [];
  for (let i = 0; i < 20; i++) {
    procs = findLeftoverProcesses({ stateDir: srv.stateDir, ids, serverPid: srv.child.pid });
    cgroups = findLeftoverCgroups({ ids });
    mounts = findLeftoverMounts({ runDir: srv.runDir });
    if (!procs.length && !cgroups.length && !mounts.length) break;
    await sleep(100);
  }
  for (const p of procs) problems.push(`leftover process pid ${p.pid} (${p.why}): ${p.cmd}`);
  for (const c of cgroups) problems.push(`leftover cgroup ${c}`);
  for (const m of mounts) problems.push(`leftover mount ${m}`);
  if (problems.length) {
    problems.push(`server log: ${srv.logFile}\n${tail(srv.logFile)}`);
  } else if (!keepRunDir) {
    // never follow mounts out of the run dir (there are none: checked above)
    spawnSync('rm', ['-rf', '--one-file-system', srv.runDir]);
  }
  return problems;
}

// ---------------------------------------------------------------------------
// library mode

let shared = null;

/**
 * For test files: make sure a server is available and the SDK env points at it.
 * Returns {url, apiKey, port, idsFile, external}.
 */
export async function useServer() {
  if (shared) return shared;
  if (process.env.E2B_CONF_EXTERNAL === '1' && process.env.E2B_API_URL) {
    shared = {
      url: process.env.E2B_API_URL,
      apiKey: process.env.E2B_API_KEY,
      port: Number(new URL(process.env.E2B_API_URL).port),
      idsFile: process.env.E2B_CONF_IDS_FILE,
      external: true,
    };
    return shared;
  }
  const { after } = await import('node:test');
  const srv = await startServer();
  process.env.E2B_API_URL = srv.url;
  process.env.E2B_SANDBOX_URL = srv.url;
  process.env.E2B_API_KEY = srv.apiKey;
  process.env.E2B_CONF_IDS_FILE = srv.idsFile;
  shared = { url: srv.url, apiKey: srv.apiKey, port: srv.port, idsFile: srv.idsFile, external: false };
  after(async () => {
    await killTracked();
    const problems = await stopServer(srv);
    if (problems.length) throw new Error('unclean e2b-local shutdown:\n' + problems.join('\n'));
  });
  return shared;
}

const tracked = new Set();

/** Remember a sandbox id for the leftover check and for killing at the end of the file. */
export function track(sbxOrId) {
  const id = typeof sbxOrId === 'string' ? sbxOrId : sbxOrId.sandboxId;
  tracked.add(id);
  const f = process.env.E2B_CONF_IDS_FILE;
  if (f) fs.appendFileSync(f, id + '\n');
  return sbxOrId;
}

export async function killTracked() {
  const { Sandbox } = await import('e2b');
  await Promise.all([...tracked].map((id) => Sandbox.kill(id).catch(() => false)));
  tracked.clear();
}

/** Sandbox.create + track. A short default lifetime so a crashed test run cleans itself up. */
export async function createSandbox(opts = {}) {
  const { Sandbox } = await import('e2b');
  const sbx = await Sandbox.create({ timeoutMs: 240_000, ...opts });
  return track(sbx);
}

/** Register an after() hook killing all sandboxes this file created. */
export async function killTrackedAfter() {
  const { after } = await import('node:test');
  after(() => killTracked());
}

/** Poll fn until it returns truthy (or throw after timeoutMs). */
export async function waitFor(fn, { timeoutMs = 5000, intervalMs = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try { last = await fn(); if (last) return last; } catch (e) { last = e; }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

// ---------------------------------------------------------------------------
// runner mode

async function main() {
  const args = process.argv.slice(2);
  const files = args.length ? args : fs.readdirSync(HERE).filter((f) => f.endsWith('.test.mjs')).sort().map((f) => path.join(HERE, f));
  const t0 = Date.now();
  let srv;
  try {
    srv = await startServer();
  } catch (e) {
    console.error(`# conformance: could not start e2b-local: ${e.message}`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  console.log(`# e2b-local ready on ${srv.url} (state ${srv.stateDir}, log ${srv.logFile}) in ${Date.now() - t0} ms`);
  const env = {
    ...process.env,
    E2B_API_URL: srv.url,
    E2B_SANDBOX_URL: srv.url,
    E2B_API_KEY: srv.apiKey,
    E2B_CONF_EXTERNAL: '1',
    E2B_CONF_IDS_FILE: srv.idsFile,
    E2B_CONF_SERVER_PID: String(srv.child.pid),
  };
  delete env.E2B_DEBUG; delete env.E2B_DOMAIN; delete env.E2B_ACCESS_TOKEN;
  const concurrency = process.env.E2B_CONF_CONCURRENCY || String(Math.max(files.length, 1));
  const testArgs = ['--test', `--test-concurrency=${concurrency}`, '--test-timeout=180000'];
  testArgs.push(`--test-reporter=${process.env.E2B_CONF_REPORTER || 'spec'}`);
  const child = spawn(process.execPath, [...testArgs, ...files], { env, stdio: 'inherit', cwd: HERE });
  const onSig = (sig) => child.kill(sig);
  process.on('SIGINT', onSig); process.on('SIGTERM', onSig);
  const code = await new Promise((r) => child.on('exit', (c, s) => r(c ?? (s ? 1 : 0))));
  const problems = await stopServer(srv);
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (problems.length) {
    console.log('# teardown check FAILED:');
    for (const p of problems) console.log('#   ' + p.split('\n').join('\n#   '));
  } else {
    console.log('# teardown check ok: e2b-local exited after SIGTERM, no leftover sandbox processes/cgroups/mounts');
  }
  console.log(`# js conformance suite finished in ${secs} s (node --test exit ${code}, teardown ${problems.length ? 'FAILED' : 'ok'})`);
  process.exit(code !== 0 || problems.length ? 1 : 0);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => { console.error(e); process.exit(1); });
}
