// e2b-local benchmark: latency of create / run / pause+resume, idle memory, 100 concurrent sandboxes.
//
// Normally started by bench/run.sh, which starts a private e2b-local and exports:
//   E2B_API_URL, E2B_SANDBOX_URL, E2B_API_KEY   where the server is (the official SDK reads them)
//   E2B_LOCAL_PID                               the server's pid (for its RSS; optional)
// Knobs (env): BENCH_N (latency samples, default 30), BENCH_RUN_N (run RTT samples, default 50),
//   BENCH_IDLE_N (idle-memory sandboxes, default 10), BENCH_CONC_N (default 100),
//   BENCH_CONC_LIMIT (creates in flight, default 16), BENCH_OUT (JSON path, default
//   bench/results/latest.json).
// Every figure is measured on this run; nothing is hard-coded except the anchors and targets
// quoted from the issue. Exit code: 0 if the run completed (targets met or not), 1 on errors.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..');
const SDK_DIR = path.join(REPO, 'tests/conformance/js/node_modules/e2b');
const { Sandbox } = await import(pathToFileURL(path.join(SDK_DIR, 'dist/index.mjs')).href);
const SDK_VERSION = JSON.parse(fs.readFileSync(path.join(SDK_DIR, 'package.json'), 'utf8')).version;

const URL_ = process.env.E2B_API_URL;
const KEY = process.env.E2B_API_KEY;
if (!URL_ || !KEY) { console.error('E2B_API_URL and E2B_API_KEY must be set (use bench/run.sh)'); process.exit(2); }
const SERVER_PID = Number(process.env.E2B_LOCAL_PID || 0);
const N = Number(process.env.BENCH_N || 30);
const RUN_N = Number(process.env.BENCH_RUN_N || 50);
const IDLE_N = Number(process.env.BENCH_IDLE_N || 10);
const CONC_N = Number(process.env.BENCH_CONC_N || 100);
const CONC_LIMIT = Number(process.env.BENCH_CONC_LIMIT || 16);
const OUT = process.env.BENCH_OUT || path.join(HERE, 'results', 'latest.json');
const ENVD_PORT = 49983;
const CREATE_BODY = JSON.stringify({ templateID: 'base', timeout: 300, secure: true, allow_internet_access: true });
const MEMCG = '/sys/fs/cgroup/memory/e2b-local';

const errors = [];   // every unexpected failure, with context; non-empty => exit 1
const notes = [];    // observations worth reporting (not failures)
const live = new Set();  // sandbox ids we created and did not kill yet (killed on the way out)

// ---------------------------------------------------------------------------------------------
// helpers

const now = () => performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const MiB = (b) => b / 1048576;
const r2 = (x) => (x == null || Number.isNaN(x) ? null : Math.round(x * 100) / 100);

/** Nearest-rank percentile of an array of numbers. */
function pct(xs, p) {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const k = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[k - 1];
}
function stats(xs) {
  if (!xs.length) return { n: 0, p50: null, p95: null, min: null, max: null, mean: null };
  return {
    n: xs.length, p50: r2(pct(xs, 50)), p95: r2(pct(xs, 95)), min: r2(Math.min(...xs)),
    max: r2(Math.max(...xs)), mean: r2(xs.reduce((a, b) => a + b, 0) / xs.length),
  };
}

async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let i = 0;
  const worker = async () => { while (i < items.length) { const k = i++; out[k] = await fn(items[k], k); } };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function err(where, e) {
  const msg = `${where}: ${e && e.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : String(e)}`;
  errors.push(msg);
  console.error('ERROR ' + msg);
}

/** One curl invocation; returns {code, t (ms, curl's time_total), ttfb (ms), body}. */
function curl(args) {
  const out = execFileSync('curl', ['-sS', '-o', '-', '-w', '\n__CURL__ %{http_code} %{time_starttransfer} %{time_total}', ...args],
    { maxBuffer: 16 << 20 });
  const s = out.toString('latin1');
  const i = s.lastIndexOf('\n__CURL__ ');
  const [code, ttfb, total] = s.slice(i + 10).trim().split(' ');
  return { code: Number(code), ttfb: Number(ttfb) * 1000, t: Number(total) * 1000, body: s.slice(0, i) };
}
const apiHeaders = ['-H', `X-API-KEY: ${KEY}`, '-H', 'Content-Type: application/json'];

function rawCreate(body = CREATE_BODY) {
  const r = curl(['-X', 'POST', `${URL_}/sandboxes`, ...apiHeaders, '--data-binary', body]);
  if (r.code !== 201) throw new Error(`POST /sandboxes -> ${r.code} ${r.body.slice(0, 300)}`);
  const j = JSON.parse(r.body);
  live.add(j.sandboxID);
  return { t: r.t, id: j.sandboxID, token: j.envdAccessToken };
}
function rawKill(id) {
  const r = curl(['-X', 'DELETE', `${URL_}/sandboxes/${id}`, ...apiHeaders]);
  if (r.code !== 204) throw new Error(`DELETE /sandboxes/${id} -> ${r.code} ${r.body.slice(0, 300)}`);
  live.delete(id);
  return r.t;
}

/** Connect streaming envelope: flag byte 0, 4-byte BE length, JSON. */
function envelope(obj) {
  const j = Buffer.from(JSON.stringify(obj));
  const h = Buffer.alloc(5);
  h.writeUInt32BE(j.length, 1);
  return Buffer.concat([h, j]);
}
function parseEnvelopes(buf) {
  const msgs = [];
  let o = 0;
  while (o + 5 <= buf.length) {
    const flags = buf[o], len = buf.readUInt32BE(o + 1);
    if (o + 5 + len > buf.length) break;
    msgs.push({ flags, json: JSON.parse(buf.slice(o + 5, o + 5 + len).toString() || '{}') });
    o += 5 + len;
  }
  return msgs;
}
/** Checks a Start stream: an end event with exit status 0 and an end-of-stream without error. */
function checkStartStream(buf, what) {
  const msgs = parseEnvelopes(buf);
  const end = msgs.find((m) => m.json.event && m.json.event.end);
  const trailer = msgs.find((m) => m.flags & 2);
  if (!end || end.json.event.end.exitCode || (end.json.event.end.status && end.json.event.end.status !== 'exit status 0'))
    throw new Error(`${what}: no successful end event in ${JSON.stringify(msgs).slice(0, 300)}`);
  if (!trailer || trailer.json.error) throw new Error(`${what}: bad end-of-stream ${JSON.stringify(trailer)}`);
}
const PROC = {
  bash: { cmd: '/bin/bash', args: ['-l', '-c', 'true'] },  // what the SDK sends for commands.run('true')
  true: { cmd: '/bin/true', args: [] },
};
const startBodyFile = {};
for (const [k, p] of Object.entries(PROC)) {
  startBodyFile[k] = path.join(os.tmpdir(), `e2b-bench-start-${k}-${process.pid}.bin`);
  fs.writeFileSync(startBodyFile[k], envelope({ process: p, stdin: false }));
}
function dataHeaders(id, token) {
  return ['-H', `E2b-Sandbox-Id: ${id}`, '-H', `E2b-Sandbox-Port: ${ENVD_PORT}`, '-H', `X-Access-Token: ${token}`,
    '-H', 'Connect-Protocol-Version: 1', '-H', 'Content-Type: application/connect+json'];
}
function curlStart(id, token, which) {
  const r = curl(['--no-buffer', '-X', 'POST', `${URL_}/process.Process/Start`, ...dataHeaders(id, token),
    '--data-binary', '@' + startBodyFile[which]]);
  if (r.code !== 200) throw new Error(`Start ${which} -> ${r.code} ${r.body.slice(0, 200)}`);
  checkStartStream(Buffer.from(r.body, 'latin1'), `curl Start ${which}`);
  return r.t;
}

// in-process raw client (keep-alive), to separate curl's process/connection cost from the server's
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 64 });
function nodeStart(id, token, which) {
  const body = fs.readFileSync(startBodyFile[which]);
  const u = new URL(URL_);
  return new Promise((resolve, reject) => {
    const t0 = now();
    const req = http.request({
      host: u.hostname, port: u.port, method: 'POST', path: '/process.Process/Start', agent: keepAlive,
      headers: {
        'E2b-Sandbox-Id': id, 'E2b-Sandbox-Port': String(ENVD_PORT), 'X-Access-Token': token,
        'Connect-Protocol-Version': '1', 'Content-Type': 'application/connect+json', 'Content-Length': body.length,
      },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const t = now() - t0;
        try {
          if (res.statusCode !== 200) throw new Error(`node Start ${which} -> ${res.statusCode}`);
          checkStartStream(Buffer.concat(chunks), `node Start ${which}`);
          resolve(t);
        } catch (e) { reject(e); }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function sdkCreate() {
  const t0 = now();
  const sbx = await Sandbox.create();
  const t = now() - t0;
  live.add(sbx.sandboxId);
  return { sbx, t };
}
async function sdkKill(sbx) {
  const t0 = now();
  await sbx.kill();
  live.delete(sbx.sandboxId);
  return now() - t0;
}
async function sdkRun(sbx, cmd = 'true') {
  const t0 = now();
  const r = await sbx.commands.run(cmd);
  const t = now() - t0;
  if (r.exitCode !== 0) throw new Error(`commands.run(${cmd}) exit ${r.exitCode} stderr=${r.stderr}`);
  return { t, r };
}

// ---------------------------------------------------------------------------------------------
// memory readers

function readFile(p) { try { return fs.readFileSync(p, 'utf8'); } catch { return null; } }
function memStat(id) {
  const d = `${MEMCG}/${id}`;
  const usage = Number(readFile(`${d}/memory.usage_in_bytes`));
  const stat = Object.fromEntries((readFile(`${d}/memory.stat`) || '').trim().split('\n').map((l) => l.split(' ')).map(([k, v]) => [k, Number(v)]));
  const kmem = Number(readFile(`${d}/memory.kmem.usage_in_bytes`) || 0);
  return { usage, rss: stat.total_rss ?? stat.rss, cache: stat.total_cache ?? stat.cache, kmem };
}
function procStatusKb(pid, key) {
  const s = readFile(`/proc/${pid}/status`);
  const m = s && new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(s);
  return m ? Number(m[1]) : null;
}
function procPssKb(pid) {
  const s = readFile(`/proc/${pid}/smaps_rollup`);
  const m = s && /^Pss:\s+(\d+) kB/m.exec(s);
  return m ? Number(m[1]) : null;
}
/** slirp4netns processes by sandbox id: its last-but-one arg is the pid of the sandbox's pid 1
 *  (bwrap's child), whose memory cgroup is e2b-local/<id>. slirp itself is outside the cgroup. */
function slirpBySandbox() {
  const out = new Map();
  for (const ent of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(ent)) continue;
    const cmd = readFile(`/proc/${ent}/cmdline`);
    if (!cmd || !cmd.startsWith('/') || !cmd.split('\0')[0].endsWith('slirp4netns')) continue;
    const argv = cmd.split('\0').filter(Boolean);
    const target = argv[argv.length - 2];
    const cg = readFile(`/proc/${target}/cgroup`) || '';
    const m = /memory:\/e2b-local\/([^\s/]+)/.exec(cg);
    if (!m) continue;
    out.set(m[1], { pid: Number(ent), rssKb: procStatusKb(ent, 'VmRSS'), anonKb: procStatusKb(ent, 'RssAnon'), pssKb: procPssKb(ent) });
  }
  return out;
}
function memAvailableKb() {
  const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFile('/proc/meminfo') || '');
  return m ? Number(m[1]) : null;
}
function serverRssKb() { return SERVER_PID ? procStatusKb(SERVER_PID, 'VmRSS') : null; }

// ---------------------------------------------------------------------------------------------
// benchmarks

const results = {};

async function benchCold() {
  // First create after start (template layer may be prepared lazily); not part of the p50/p95.
  const { sbx, t } = await sdkCreate();
  const run = await sdkRun(sbx);
  await sdkKill(sbx);
  results.cold = { firstCreateMs: r2(t), firstRunMs: r2(run.t) };
}

async function benchCreate() {
  const create = [], firstRun = [], createPlusFirst = [], kill = [];
  for (let i = 0; i < N; i++) {
    try {
      const { sbx, t } = await sdkCreate();
      const run = await sdkRun(sbx);
      create.push(t); firstRun.push(run.t); createPlusFirst.push(t + run.t);
      kill.push(await sdkKill(sbx));
    } catch (e) { err(`sdk create #${i}`, e); }
  }
  const rcreate = [], rfirst = [], rplus = [], rkill = [];
  for (let i = 0; i < N; i++) {
    try {
      const c = rawCreate();
      const f = curlStart(c.id, c.token, 'bash');
      rcreate.push(c.t); rfirst.push(f); rplus.push(c.t + f);
      rkill.push(rawKill(c.id));
    } catch (e) { err(`raw create #${i}`, e); }
  }
  // same without internet access: no slirp4netns, so its share of create is visible
  const noNet = JSON.stringify({ ...JSON.parse(CREATE_BODY), allow_internet_access: false });
  const rnonet = [];
  for (let i = 0; i < N; i++) {
    try { const c = rawCreate(noNet); rnonet.push(c.t); rawKill(c.id); } catch (e) { err(`raw create (no internet) #${i}`, e); }
  }
  results.create = {
    rawNoInternet: stats(rnonet),
    sdk: stats(create), sdkFirstRun: stats(firstRun), sdkCreatePlusFirstRun: stats(createPlusFirst), sdkKill: stats(kill),
    raw: stats(rcreate), rawFirstRun: stats(rfirst), rawCreatePlusFirstRun: stats(rplus), rawKill: stats(rkill),
  };
}

async function benchRun() {
  const { sbx } = await sdkCreate();
  const token = sbx.envdAccessToken ?? sbx.connectionConfig?.accessToken;
  const id = sbx.sandboxId;
  const tok = token || JSON.parse(curl(['-X', 'POST', `${URL_}/sandboxes/${id}/connect`, ...apiHeaders, '--data-binary', '{"timeout":300}']).body).envdAccessToken;
  const series = { sdk: [], curlBash: [], curlTrue: [], nodeBash: [], nodeTrue: [] };
  const one = {
    sdk: async () => (await sdkRun(sbx)).t,
    curlBash: async () => curlStart(id, tok, 'bash'),
    curlTrue: async () => curlStart(id, tok, 'true'),
    nodeBash: async () => nodeStart(id, tok, 'bash'),
    nodeTrue: async () => nodeStart(id, tok, 'true'),
  };
  // curl's own process start is outside time_total; its connect is inside (fresh connection each time).
  for (const k of Object.keys(one)) for (let i = 0; i < 5; i++) await one[k]();  // warm-up
  // interleave the methods so drift (other load on the machine) hits all of them alike
  for (let i = 0; i < RUN_N; i++) {
    for (const k of Object.keys(one)) {
      try { series[k].push(await one[k]()); } catch (e) { err(`run ${k} #${i}`, e); }
    }
  }
  // login-shell cost measured inside the sandbox, independent of the transport
  let inner = null;
  try {
    const r = await sbx.commands.run(
      'a=$(date +%s%N); for i in $(seq 20); do /bin/bash -l -c true; done; b=$(date +%s%N); ' +
      'for i in $(seq 20); do /bin/true; done; c=$(date +%s%N); echo $(( (b-a)/20000 )) $(( (c-b)/20000 ))');
    const [bashUs, trueUs] = r.stdout.trim().split(' ').map(Number);
    inner = { bashLoginCTrueMs: r2(bashUs / 1000), binTrueMs: r2(trueUs / 1000) };
  } catch (e) { err('inner login-shell timing', e); }
  await sdkKill(sbx);
  results.run = Object.fromEntries(Object.entries(series).map(([k, v]) => [k, stats(v)]));
  results.run.insideSandbox = inner;
}

async function benchPause() {
  // SDK: sbx.pause() then Sandbox.connect(id); then the first command after resume (separately)
  const sdkPause = [], sdkConnect = [], sdkBoth = [], sdkAfter = [];
  {
    const { sbx } = await sdkCreate();
    let cur = sbx;
    for (let i = 0; i < N; i++) {
      try {
        const t0 = now();
        const paused = await cur.pause();
        const t1 = now();
        cur = await Sandbox.connect(sbx.sandboxId);
        const t2 = now();
        if (paused === false) throw new Error('pause() returned false (already paused)');
        sdkPause.push(t1 - t0); sdkConnect.push(t2 - t1); sdkBoth.push(t2 - t0);
        sdkAfter.push((await sdkRun(cur)).t);
      } catch (e) { err(`sdk pause/resume #${i}`, e); }
    }
    await sdkKill(cur);
  }
  const rawPause = [], rawConnect = [], rawBoth = [], rawAfter = [];
  {
    const c = rawCreate();
    for (let i = 0; i < N; i++) {
      try {
        const p = curl(['-X', 'POST', `${URL_}/sandboxes/${c.id}/pause`, ...apiHeaders]);
        if (p.code !== 204) throw new Error(`pause -> ${p.code} ${p.body.slice(0, 200)}`);
        const r = curl(['-X', 'POST', `${URL_}/sandboxes/${c.id}/connect`, ...apiHeaders, '--data-binary', '{"timeout":300}']);
        if (r.code !== 201) throw new Error(`connect after pause -> ${r.code} (want 201 resumed) ${r.body.slice(0, 200)}`);
        rawPause.push(p.t); rawConnect.push(r.t); rawBoth.push(p.t + r.t);
        rawAfter.push(curlStart(c.id, c.token, 'true'));
      } catch (e) { err(`raw pause/resume #${i}`, e); }
    }
    rawKill(c.id);
  }
  results.pauseResume = {
    sdkPause: stats(sdkPause), sdkConnect: stats(sdkConnect), sdk: stats(sdkBoth), sdkFirstRunAfterResume: stats(sdkAfter),
    rawPause: stats(rawPause), rawConnect: stats(rawConnect), raw: stats(rawBoth), rawFirstTrueAfterResume: stats(rawAfter),
  };
}

function memorySnapshot(ids) {
  const slirp = slirpBySandbox();
  const per = ids.map((id) => {
    const m = memStat(id);
    const s = slirp.get(id);
    if (!s) notes.push(`no slirp4netns process found for ${id}`);
    return {
      id, usageMiB: MiB(m.usage), rssMiB: MiB(m.rss), cacheMiB: MiB(m.cache), kmemMiB: MiB(m.kmem),
      slirpRssMiB: s ? s.rssKb / 1024 : null, slirpAnonMiB: s ? s.anonKb / 1024 : null, slirpPssMiB: s ? s.pssKb / 1024 : null,
    };
  });
  const col = (k) => per.map((p) => p[k]).filter((x) => x != null);
  const med = (k) => r2(pct(col(k), 50));
  const sum = (k) => r2(col(k).reduce((a, b) => a + b, 0));
  return {
    perSandboxMedianMiB: {
      cgroupUsage: med('usageMiB'), cgroupRss: med('rssMiB'), cgroupCache: med('cacheMiB'), cgroupKmem: med('kmemMiB'),
      slirpRss: med('slirpRssMiB'), slirpAnon: med('slirpAnonMiB'), slirpPss: med('slirpPssMiB'),
      cgroupUsagePlusSlirpRss: r2(pct(per.map((p) => p.usageMiB + (p.slirpRssMiB || 0)), 50)),
      cgroupUsagePlusSlirpPss: r2(pct(per.map((p) => p.usageMiB + (p.slirpPssMiB || 0)), 50)),
      cgroupRssPlusSlirpPss: r2(pct(per.map((p) => p.rssMiB + (p.slirpPssMiB || 0)), 50)),
    },
    totalMiB: { cgroupUsage: sum('usageMiB'), cgroupRss: sum('rssMiB'), slirpRss: sum('slirpRssMiB'), slirpPss: sum('slirpPssMiB') },
    perSandbox: per.map((p) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, typeof v === 'number' ? r2(v) : v]))),
  };
}

async function benchIdleMemory() {
  const avail0 = memAvailableKb(), srv0 = serverRssKb();
  const sbxs = [];
  for (let i = 0; i < IDLE_N; i++) {
    try { sbxs.push((await sdkCreate()).sbx); } catch (e) { err(`idle create #${i}`, e); }
  }
  await sleep(2000);  // let them settle (idle = created, nothing run)
  const snap = memorySnapshot(sbxs.map((s) => s.sandboxId));
  const avail1 = memAvailableKb(), srv1 = serverRssKb();
  snap.hostMemAvailableDropPerSandboxMiB = r2((avail0 - avail1) / 1024 / Math.max(1, sbxs.length));
  snap.serverRssGrowthPerSandboxMiB = srv0 != null ? r2((srv1 - srv0) / 1024 / Math.max(1, sbxs.length)) : null;
  snap.n = sbxs.length;
  for (const s of sbxs) { try { await sdkKill(s); } catch (e) { err('idle kill', e); } }
  results.idleMemory = snap;
}

async function benchConcurrent() {
  const avail0 = memAvailableKb(), srv0 = serverRssKb();
  // a probe sandbox answers /bin/true in a loop while the creates run: does create work stall the
  // data plane of sandboxes that are already running?
  const probe = rawCreate();
  const probeIdle = [];
  for (let i = 0; i < 20; i++) probeIdle.push(await nodeStart(probe.id, probe.token, 'true'));
  const probeBusy = [];
  let creating = true;
  const prober = (async () => {
    while (creating) {
      try { probeBusy.push(await nodeStart(probe.id, probe.token, 'true')); } catch (e) { err('probe during creates', e); break; }
      await sleep(5);
    }
  })();
  const idx = Array.from({ length: CONC_N }, (_, i) => i);
  const t0 = now();
  const created = await pool(idx, CONC_LIMIT, async (i) => {
    try { return await sdkCreate(); } catch (e) { err(`concurrent create #${i}`, e); return null; }
  });
  const wall = now() - t0;
  creating = false;
  await prober;
  rawKill(probe.id);
  const ok = created.filter(Boolean);
  // every sandbox runs a command (all alive at the same time)
  const t1 = now();
  const runs = await pool(ok, CONC_LIMIT, async ({ sbx }, i) => {
    try {
      const { t, r } = await sdkRun(sbx, `echo ok-${i}`);
      if (r.stdout.trim() !== `ok-${i}`) throw new Error(`stdout ${JSON.stringify(r.stdout)}`);
      return t;
    } catch (e) { err(`concurrent run #${i} (${sbx.sandboxId})`, e); return null; }
  });
  const runWall = now() - t1;
  await sleep(1000);
  const snap = memorySnapshot(ok.map((c) => c.sbx.sandboxId));
  const avail1 = memAvailableKb(), srv1 = serverRssKb();
  let listed = null;
  try {
    const r = await fetch(`${URL_}/v2/sandboxes?state=running&limit=100`, { headers: { 'X-API-KEY': KEY } });
    if (r.status !== 200) throw new Error(`GET /v2/sandboxes -> ${r.status}`);
    listed = Number(r.headers.get('x-total-running') ?? (await r.json()).length);
  } catch (e) { err('list running', e); }
  if (listed !== ok.length) notes.push(`GET /v2/sandboxes reported ${listed} running with ${ok.length} created`);
  const t2 = now();
  await pool(ok, CONC_LIMIT, async ({ sbx }) => { try { await sdkKill(sbx); } catch (e) { err(`concurrent kill ${sbx.sandboxId}`, e); } });
  const killWall = now() - t2;
  await sleep(500);
  // only our ids: other e2b-local instances on this host share the e2b-local cgroup parent
  const ours = ok.map((c) => c.sbx.sandboxId);
  const leftCg = ours.filter((id) => fs.existsSync(`${MEMCG}/${id}`)).length;
  const slirpLeft = slirpBySandbox();
  const leftSlirp = ours.filter((id) => slirpLeft.has(id)).length;
  if (leftCg) notes.push(`after killing all ${ok.length} concurrent sandboxes, ${leftCg} memory cgroups remain under ${MEMCG}`);
  if (leftSlirp) notes.push(`after killing all concurrent sandboxes, ${leftSlirp} slirp4netns processes remain`);
  results.concurrent = {
    n: CONC_N, inFlight: CONC_LIMIT, created: ok.length, wallMs: r2(wall), createsPerSec: r2(ok.length / (wall / 1000)),
    perCreate: stats(ok.map((c) => c.t)),
    probeTrueIdle: stats(probeIdle), probeTrueDuringCreates: stats(probeBusy),
    runOk: runs.filter((x) => x != null).length, runWallMs: r2(runWall), perRun: stats(runs.filter((x) => x != null)),
    listedRunning: listed,
    memory: {
      totalCgroupUsageMiB: snap.totalMiB.cgroupUsage, totalCgroupRssMiB: snap.totalMiB.cgroupRss,
      totalSlirpRssMiB: snap.totalMiB.slirpRss, totalSlirpPssMiB: snap.totalMiB.slirpPss,
      serverRssMiB: srv1 != null ? r2(srv1 / 1024) : null, serverRssGrowthMiB: srv0 != null ? r2((srv1 - srv0) / 1024) : null,
      hostMemAvailableDropMiB: r2((avail0 - avail1) / 1024),
      perSandboxMedianMiB: snap.perSandboxMedianMiB,
    },
    killAllWallMs: r2(killWall), leftoverCgroups: leftCg, leftoverSlirp: leftSlirp,
  };
}

// ---------------------------------------------------------------------------------------------
// report

// Code interpreter (E2B port 49999): runCode('1+1') through the official @e2b/code-interpreter SDK,
// and the same /execute request raw over a keep-alive connection (the NDJSON stream read to its end).
async function benchCodeInterpreter() {
  const ciDir = path.join(REPO, 'tests/conformance/js/node_modules/@e2b/code-interpreter');
  if (!fs.existsSync(ciDir)) { notes.push('code interpreter phase skipped: @e2b/code-interpreter not installed in tests/conformance/js'); return; }
  const { Sandbox: CiSandbox } = await import(pathToFileURL(path.join(ciDir, 'dist/index.mjs')).href);
  const sbx = await CiSandbox.create({ timeoutMs: 300_000 });
  live.add(sbx.sandboxId);
  const u = new URL(URL_);
  const raw = () => new Promise((resolve, reject) => {
    const body = JSON.stringify({ code: '1+1' });
    const t0 = now();
    const req = http.request({
      host: u.hostname, port: u.port, method: 'POST', path: '/execute', agent: keepAlive,
      headers: { 'E2b-Sandbox-Id': sbx.sandboxId, 'E2b-Sandbox-Port': '49999', 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        const t = now() - t0;
        if (res.statusCode !== 200 || !text.includes('"text": "2"') && !text.includes('"text":"2"')) return reject(new Error(`raw /execute -> ${res.statusCode} ${text.slice(0, 200)}`));
        resolve(t);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
  const sdk = async () => {
    const t0 = now();
    const ex = await sbx.runCode('1+1');
    const t = now() - t0;
    if (ex.text !== '2') throw new Error(`runCode('1+1') -> ${JSON.stringify(ex.text)} ${JSON.stringify(ex.error)}`);
    return t;
  };
  const t0 = now();
  await sdk();  // the first cell also starts the Python kernel
  const firstCell = now() - t0;
  for (let i = 0; i < 5; i++) { await sdk(); await raw(); }
  const series = { sdk: [], raw: [] };
  for (let i = 0; i < RUN_N; i++) {
    try { series.sdk.push(await sdk()); } catch (e) { err(`runCode #${i}`, e); }
    try { series.raw.push(await raw()); } catch (e) { err(`raw /execute #${i}`, e); }
  }
  await sbx.kill();
  live.delete(sbx.sandboxId);
  results.codeInterpreter = { firstCellMs: r2(firstCell), sdk: stats(series.sdk), raw: stats(series.raw) };
}

const ANCHOR = {
  sandlock: { create: '130 ms', run: '33 ms', mem: '16 MiB' },
  cloud: { createFirst: '491 ms (median)' },
  target: { create: 20, run: 2, pause: 5, mem: 4 },
};

function buildTable() {
  const R = results, rows = [];
  const row = (metric, s, unit, sandlock = '', cloud = '', target = null, value = s?.p50) => rows.push({
    metric, n: s?.n ?? '', p50: s?.p50 ?? '', p95: s?.p95 ?? '', unit, sandlock, e2bCloud: cloud,
    target: target == null ? '' : `<= ${target} ${unit}`,
    met: target == null ? '' : value == null ? 'n/a' : value <= target ? 'met' : 'NOT met',
  });
  if (R.cold) rows.push({ metric: 'first create after server start (SDK)', n: 1, p50: R.cold.firstCreateMs, p95: '', unit: 'ms', sandlock: '', e2bCloud: '', target: '', met: '' });
  if (R.create) {
    row('create: SDK Sandbox.create()', R.create.sdk, 'ms', ANCHOR.sandlock.create, '', ANCHOR.target.create);
    row('create: raw POST /sandboxes (curl)', R.create.raw, 'ms', ANCHOR.sandlock.create, '', ANCHOR.target.create);
    row('create: raw POST, allow_internet_access=false (no slirp)', R.create.rawNoInternet, 'ms', '', '', ANCHOR.target.create);
    row('create + first run(true): SDK', R.create.sdkCreatePlusFirstRun, 'ms', '', ANCHOR.cloud.createFirst);
    row('create + first Start bash -l: curl', R.create.rawCreatePlusFirstRun, 'ms', '', ANCHOR.cloud.createFirst);
    row('kill: SDK sbx.kill()', R.create.sdkKill, 'ms');
    row('kill: raw DELETE (curl)', R.create.rawKill, 'ms');
  }
  if (R.run) {
    row("run RTT: SDK commands.run('true')", R.run.sdk, 'ms', ANCHOR.sandlock.run, '', ANCHOR.target.run);
    row('run RTT: curl Start /bin/bash -l -c true', R.run.curlBash, 'ms', ANCHOR.sandlock.run, '', ANCHOR.target.run);
    row('run RTT: curl Start /bin/true', R.run.curlTrue, 'ms', '', '', ANCHOR.target.run);
    row('run RTT: node http keep-alive, bash -l -c true', R.run.nodeBash, 'ms');
    row('run RTT: node http keep-alive, /bin/true', R.run.nodeTrue, 'ms');
    if (R.run.insideSandbox) {
      rows.push({ metric: 'inside sandbox: bash -l -c true (fork+exec, mean of 20)', n: 20, p50: R.run.insideSandbox.bashLoginCTrueMs, p95: '', unit: 'ms', sandlock: '', e2bCloud: '', target: '', met: '' });
      rows.push({ metric: 'inside sandbox: /bin/true (fork+exec, mean of 20)', n: 20, p50: R.run.insideSandbox.binTrueMs, p95: '', unit: 'ms', sandlock: '', e2bCloud: '', target: '', met: '' });
    }
  }
  if (R.codeInterpreter) {
    const C = R.codeInterpreter;
    rows.push({ metric: "code interpreter: first runCode (starts the Python kernel)", n: 1, p50: C.firstCellMs, p95: '', unit: 'ms', sandlock: '', e2bCloud: '', target: '', met: '' });
    row("code interpreter: SDK runCode('1+1')", C.sdk, 'ms');
    row("code interpreter: raw POST /execute '1+1' (node keep-alive)", C.raw, 'ms');
  }
  if (R.pauseResume) {
    const P = R.pauseResume;
    row('pause + resume: SDK pause() + Sandbox.connect()', P.sdk, 'ms', '', '', ANCHOR.target.pause);
    row('  SDK pause()', P.sdkPause, 'ms');
    row('  SDK Sandbox.connect() (resume)', P.sdkConnect, 'ms');
    row('pause + resume: raw POST pause + POST connect', P.raw, 'ms', '', '', ANCHOR.target.pause);
    row('  raw pause', P.rawPause, 'ms');
    row('  raw connect (resume, 201)', P.rawConnect, 'ms');
    row("first run('true') after resume: SDK", P.sdkFirstRunAfterResume, 'ms');
  }
  if (R.idleMemory) {
    const m = R.idleMemory.perSandboxMedianMiB, n = R.idleMemory.n;
    const mrow = (metric, v, target = null) => rows.push({ metric, n, p50: v, p95: '', unit: 'MiB', sandlock: target != null ? ANCHOR.sandlock.mem : '', e2bCloud: '',
      target: target == null ? '' : `<= ${target} MiB`, met: target == null ? '' : v == null ? 'n/a' : v <= target ? 'met' : 'NOT met' });
    mrow('idle sandbox: cgroup usage + slirp4netns RSS', m.cgroupUsagePlusSlirpRss, ANCHOR.target.mem);
    mrow('idle sandbox: cgroup usage + slirp4netns PSS', m.cgroupUsagePlusSlirpPss, ANCHOR.target.mem);
    mrow('idle sandbox: cgroup usage_in_bytes', m.cgroupUsage, ANCHOR.target.mem);
    mrow('idle sandbox: cgroup rss only', m.cgroupRss);
    mrow('idle sandbox: cgroup cache', m.cgroupCache);
    mrow('idle sandbox: cgroup kmem', m.cgroupKmem);
    mrow('idle sandbox: slirp4netns RSS (outside cgroup)', m.slirpRss);
    mrow('idle sandbox: slirp4netns PSS', m.slirpPss);
    mrow('idle sandbox: cgroup rss + slirp PSS', m.cgroupRssPlusSlirpPss);
  }
  if (R.concurrent) {
    const C = R.concurrent;
    rows.push({ metric: `${C.n} concurrent creates (SDK, ${C.inFlight} in flight): wall`, n: C.created, p50: C.wallMs, p95: '', unit: 'ms', sandlock: '', e2bCloud: '', target: '', met: '' });
    row(`  per-create latency under concurrency`, C.perCreate, 'ms');
    rows.push({ metric: `  sandboxes that ran a command OK`, n: C.created, p50: `${C.runOk}/${C.n}`, p95: '', unit: '', sandlock: '', e2bCloud: '', target: '', met: '' });
    rows.push({ metric: `  GET /v2/sandboxes X-Total-Running`, n: '', p50: C.listedRunning, p95: '', unit: '', sandlock: '', e2bCloud: '', target: '', met: '' });
    row(`  per-run latency (all ${C.created} alive)`, C.perRun, 'ms');
    const mm = C.memory;
    const mem = (metric, v) => rows.push({ metric, n: C.created, p50: v, p95: '', unit: 'MiB', sandlock: '', e2bCloud: '', target: '', met: '' });
    mem(`  total memory: cgroups + slirp PSS + server RSS`, r2(mm.totalCgroupUsageMiB + mm.totalSlirpPssMiB + (mm.serverRssMiB || 0)));
    mem(`    sum of cgroup usage_in_bytes`, mm.totalCgroupUsageMiB);
    mem(`    sum of slirp4netns RSS (shared lib pages counted ${C.created}x)`, mm.totalSlirpRssMiB);
    mem(`    e2b-local server RSS`, mm.serverRssMiB);
    row(`  probe: /bin/true on another sandbox, idle server`, C.probeTrueIdle, 'ms');
    row(`  probe: /bin/true on another sandbox, during the creates`, C.probeTrueDuringCreates, 'ms');
    rows.push({ metric: `  kill all (SDK, ${C.inFlight} in flight): wall`, n: C.created, p50: C.killAllWallMs, p95: '', unit: 'ms', sandlock: '', e2bCloud: '', target: '', met: '' });
  }
  return rows;
}

function printTable(rows) {
  const cols = [['metric', 'metric'], ['n', 'n'], ['p50', 'p50'], ['p95', 'p95'], ['unit', 'unit'], ['sandlock', 'sandlock-e2b'], ['e2bCloud', 'E2B cloud'], ['target', 'target'], ['met', 'met?']];
  const w = cols.map(([k, h]) => Math.max(h.length, ...rows.map((r) => String(r[k]).length)));
  const line = (vals) => '| ' + vals.map((v, i) => String(v).padEnd(w[i])).join(' | ') + ' |';
  console.log(line(cols.map((c) => c[1])));
  console.log('|' + w.map((x) => '-'.repeat(x + 2)).join('|') + '|');
  for (const r of rows) console.log(line(cols.map(([k]) => r[k])));
}

function gitCommit() { try { return execFileSync('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD']).toString().trim(); } catch { return null; } }

// ---------------------------------------------------------------------------------------------

/** Share of all CPUs busy over `ms` (from /proc/stat), before the bench starts: other load. */
async function cpuBusy(ms) {
  const read = () => (readFile('/proc/stat') || '').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const a = read();
  await sleep(ms);
  const b = read();
  const d = b.map((x, i) => x - a[i]);
  const total = d.reduce((x, y) => x + y, 0), idle = d[3] + (d[4] || 0);
  return total > 0 ? r2((100 * (total - idle)) / total) : null;
}
const idleCpuBusyPct = await cpuBusy(1000);
const started = Date.now();
const meta = {
  date: new Date().toISOString(), host: os.hostname(), kernel: os.release(), cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model, memTotalMiB: Math.round(os.totalmem() / 1048576), loadavgAtStart: os.loadavg().map(r2),
  cpuBusyBeforeStartPct: idleCpuBusyPct,
  node: process.version, sdk: `e2b ${SDK_VERSION}`, commit: gitCommit(), server: URL_,
  binary: process.env.E2B_LOCAL_BIN_USED || null, binaryCommit: process.env.E2B_LOCAL_BIN_COMMIT || null,
  params: { N, RUN_N, IDLE_N, CONC_N, CONC_LIMIT }, percentiles: 'nearest-rank; times are wall-clock at the client',
};
const phases = [['cold', benchCold], ['create', benchCreate], ['run', benchRun], ['code interpreter', benchCodeInterpreter], ['pause', benchPause], ['idle memory', benchIdleMemory], ['concurrent', benchConcurrent]];
const only = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',') : null;
for (const [name, fn] of phases) {
  if (only && !only.includes(name)) continue;
  const t = now();
  process.stderr.write(`bench: ${name} ... `);
  try { await fn(); } catch (e) { err(`phase ${name}`, e); }
  process.stderr.write(`${((now() - t) / 1000).toFixed(1)} s\n`);
}
// whatever is still alive (a failed phase) is killed so the server stops clean
for (const id of [...live]) { try { rawKill(id); } catch (e) { err(`cleanup kill ${id}`, e); } }
for (const f of Object.values(startBodyFile)) fs.rmSync(f, { force: true });
meta.durationSec = r2((Date.now() - started) / 1000);
meta.loadavgAtEnd = os.loadavg().map(r2);

const table = buildTable();
console.log(`\ne2b-local benchmark — ${meta.date} — ${meta.cpus} cores (${meta.cpuModel}), kernel ${meta.kernel}, ${meta.sdk}, repo HEAD ${meta.commit}${meta.binaryCommit ? ` (server built from ${meta.binaryCommit})` : ''}, CPU busy before start ${meta.cpuBusyBeforeStartPct}%, load ${meta.loadavgAtStart.join(' ')}\n`);
printTable(table);
if (meta.cpuBusyBeforeStartPct > 10)
  notes.unshift(`the CPUs were ${meta.cpuBusyBeforeStartPct}% busy (other processes) in the second before the run: figures are inflated by that load`);
if (notes.length) { console.log('\nnotes:'); for (const n of notes) console.log('  - ' + n); }
if (errors.length) { console.log(`\n${errors.length} error(s):`); for (const e of errors) console.log('  - ' + e); }

fs.mkdirSync(path.dirname(OUT), { recursive: true });
fs.writeFileSync(OUT, JSON.stringify({
  meta,
  anchors: { 'sandlock-e2b': { createP50Ms: 130, perSandboxMiB: 16, runRttMs: 33 }, 'e2b-cloud': { createPlusFirstCommandMedianMs: 491 } },
  targets: { createP50Ms: 20, runRttMs: 2, pauseResumeMs: 5, idleSandboxMiB: 4 },
  results, table, notes, errors,
}, null, 2) + '\n');
console.log(`\nJSON: ${path.relative(process.cwd(), OUT) || OUT}  (${meta.durationSec} s)`);
keepAlive.destroy();
process.exit(errors.length ? 1 : 0);
