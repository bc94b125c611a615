// Client comparison: the official JS SDK, libe2b and raw libcurl doing the same operations
// against the same e2b-local in one run (issue: libe2b core, bench).
//
// Started by bench/run.sh (phase "clients"), which exports E2B_API_URL, E2B_SANDBOX_URL and
// E2B_API_KEY of its private server. Runs build/client_bench twice (libe2b, then raw curl, each
// in its own process so RSS figures are its own), then the JS SDK in this process, then any
// binding bench listed by bindings/<lang>/bench.sh (one JSON line per op on stdout).
// Knobs: BENCH_CLIENT_N (latency samples, 200), BENCH_BIG_MIB (256), BENCH_STREAMS (1000),
// BENCH_CLIENTS_OUT (JSON path, default bench/results/clients-latest.json).
// Targets from the issue: per-op <= 1/5 of the JS SDK's time and <= 1.2x raw curl; >= 1 GB/s
// streamed/file throughput with flat RSS; 1,000 streams under 64 MiB RSS. Reported, not enforced.

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..');
const SDK_DIR = path.join(REPO, 'tests/conformance/js/node_modules/e2b');
const { Sandbox } = await import(pathToFileURL(path.join(SDK_DIR, 'dist/index.mjs')).href);
const SDK_VERSION = JSON.parse(fs.readFileSync(path.join(SDK_DIR, 'package.json'), 'utf8')).version;
const N = Number(process.env.BENCH_CLIENT_N || 200);
const BIG_MIB = Number(process.env.BENCH_BIG_MIB || 256);
const STREAMS = Number(process.env.BENCH_STREAMS || 1000);
const OUT = process.env.BENCH_CLIENTS_OUT || path.join(HERE, 'results', 'clients-latest.json');
const BIG = BIG_MIB * 1048576;
const errors = [];
const results = [];  // {client, op, ...} as printed by every bench program

const now = () => performance.now();
const r2 = (x) => (x == null || Number.isNaN(x) ? null : Math.round(x * 100) / 100);
const rssMiB = () => process.memoryUsage().rss / 1048576;
function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length))) - 1];
}
function lat(client, op, xs) { results.push({ client, op, n: xs.length, p50_ms: r2(pct(xs, 50)), p95_ms: r2(pct(xs, 95)) }); }
function tput(client, op, ms, rssBefore, rssPeak) {
  results.push({ client, op, bytes: BIG, ms: r2(ms), mb_per_s: r2(BIG / 1048576 / (ms / 1000)), rss_before_mib: r2(rssBefore), rss_peak_mib: r2(rssPeak) });
}

/** Runs one external bench program; its stdout is JSON lines. */
function runProgram(label, cmd, args) {
  process.stderr.write(`clients: ${label} ... `);
  const t = now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, BENCH_N: String(N) }, maxBuffer: 64 << 20 });
  process.stderr.write(`${((now() - t) / 1000).toFixed(1)} s\n`);
  if (r.status !== 0) { errors.push(`${label}: exit ${r.status} ${r.error || ''} ${(r.stderr || '').slice(-500)}`); }
  for (const line of (r.stdout || '').split('\n')) {
    if (!line.trim()) continue;
    let o;
    try { o = JSON.parse(line); } catch { errors.push(`${label}: not JSON: ${line.slice(0, 200)}`); continue; }
    if (o.client && o.op) { results.push(o); continue; }
    if (o.binding) {  // the one-line summary shape: {"binding", run_true_p50_ms, upload_64mib_ms, ...}
      const client = `${o.binding}-binding`;
      if (o.run_true_p50_ms != null) results.push({ client, op: 'run_true', n: o.n, p50_ms: o.run_true_p50_ms, p95_ms: o.run_true_p95_ms });
      if (o.upload_64mib_ms != null) results.push({ client, op: 'upload_big', bytes: 64 << 20, ms: o.upload_64mib_ms, mb_per_s: r2(64 / (o.upload_64mib_ms / 1000)) });
      continue;
    }
    errors.push(`${label}: unknown line shape: ${line.slice(0, 200)}`);
  }
}

async function benchSdk() {
  process.stderr.write('clients: JS SDK ... ');
  const t = now();
  const sbx = await Sandbox.create();
  try {
    let xs = [];
    for (let i = 0; i < N; i++) { const t0 = now(); await sbx.commands.run('true'); xs.push(now() - t0); }
    lat('js-sdk', 'run_true', xs);
    await sbx.files.write('/home/user/small.txt', 'x'.repeat(1024));
    xs = [];
    for (let i = 0; i < N; i++) { const t0 = now(); await sbx.files.getInfo('/home/user/small.txt'); xs.push(now() - t0); }
    lat('js-sdk', 'stat', xs);
    xs = [];
    for (let i = 0; i < N; i++) {
      const t0 = now();
      const b = await sbx.files.read('/home/user/small.txt', { format: 'bytes' });
      xs.push(now() - t0);
      if (b.length !== 1024) throw new Error(`read ${b.length} bytes`);
    }
    lat('js-sdk', 'read_small', xs);

    // 256 MiB of stdout: the SDK also keeps the whole output in the result, as its API does.
    let rb = rssMiB(), peak = rb, got = 0;
    let t0 = now();
    try {
      await sbx.commands.run(`head -c ${BIG} /dev/zero`, {
        timeoutMs: 0,
        onStdout: (s) => { got += s.length; if ((got & 0xffffff) < s.length) peak = Math.max(peak, rssMiB()); },
      });
      peak = Math.max(peak, rssMiB());
      if (got !== BIG) throw new Error(`stdout ${got} of ${BIG} bytes`);
      tput('js-sdk', 'stdout_big', now() - t0, rb, peak);
    } catch (e) { errors.push(`js-sdk stdout_big: ${e.message}`); }
    globalThis.gc?.();

    rb = rssMiB();
    const blob = new Blob([Buffer.alloc(BIG, 'z')]);
    t0 = now();
    await sbx.files.write('/home/user/big.bin', blob, { requestTimeoutMs: 0 });
    tput('js-sdk', 'upload_big', now() - t0, rb, rssMiB());
    t0 = now();
    const stream = await sbx.files.read('/home/user/big.bin', { format: 'stream', requestTimeoutMs: 0 });
    let n = 0;
    peak = rssMiB();
    for await (const chunk of stream) { n += chunk.length; if ((n & 0xffffff) < chunk.length) peak = Math.max(peak, rssMiB()); }
    if (n !== BIG) throw new Error(`download ${n} of ${BIG} bytes`);
    tput('js-sdk', 'download_big', now() - t0, rb, peak);

    // open command streams at once, spread over 4 sandboxes (1024 processes per sandbox)
    const sbs = [sbx, ...(await Promise.all([1, 2, 3].map(() => Sandbox.create())))];
    globalThis.gc?.();
    rb = rssMiB();
    t0 = now();
    const handles = [];
    // 50 starts in flight: one at a time, each SDK start takes ~100 ms here
    for (let i = 0; i < STREAMS; i += 50) {
      const batch = [];
      for (let k = i; k < Math.min(STREAMS, i + 50); k++) batch.push(sbs[k % 4].commands.run('sleep 30', { background: true, timeoutMs: 0 }));
      handles.push(...(await Promise.all(batch)));
    }
    results.push({ client: 'js-sdk', op: 'streams', n: STREAMS, start_all_ms: r2(now() - t0), rss_before_mib: r2(rb), rss_mib: r2(rssMiB()) });
    for (const h of handles) await h.disconnect().catch(() => {});
    for (const s of sbs.slice(1)) await s.kill();
  } finally {
    await sbx.kill().catch(() => {});
  }
  process.stderr.write(`${((now() - t) / 1000).toFixed(1)} s\n`);
}

async function benchSdkCodeInterpreter() {
  const ciDir = path.join(REPO, 'tests/conformance/js/node_modules/@e2b/code-interpreter');
  if (!fs.existsSync(ciDir)) { errors.push('js-sdk run_code: @e2b/code-interpreter not installed in tests/conformance/js'); return; }
  const CI = await import(pathToFileURL(path.join(ciDir, 'dist/index.mjs')).href);
  const sbx = await CI.Sandbox.create();
  try {
    await sbx.runCode('1+1');  // starts the kernel: not timed
    const xs = [];
    for (let i = 0; i < N; i++) {
      const t0 = now();
      const ex = await sbx.runCode('1+1');
      xs.push(now() - t0);
      if (ex.text !== '2') throw new Error(`runCode gave ${ex.text}`);
    }
    lat('js-sdk', 'run_code', xs);
  } finally { await sbx.kill().catch(() => {}); }
}

runProgram('libe2b', path.join(REPO, 'build/client_bench'), ['libe2b']);
runProgram('raw curl', path.join(REPO, 'build/client_bench'), ['curl']);
try { await benchSdk(); } catch (e) { errors.push(`js-sdk: ${e.stack || e}`); }
try { await benchSdkCodeInterpreter(); } catch (e) { errors.push(`js-sdk run_code: ${e.stack || e}`); }
for (const lang of ['go', 'node', 'rust']) {
  const script = path.join(REPO, 'bindings', lang, 'bench.sh');
  if (fs.existsSync(script)) runProgram(`${lang} binding`, 'bash', [script]);
}

// ---- table ----
const find = (client, op) => results.find((r) => r.client === client && r.op === op);
const clients = [...new Set(results.map((r) => r.client).filter(Boolean))];
const order = ['js-sdk', 'libe2b', 'curl', ...clients.filter((c) => !['js-sdk', 'libe2b', 'curl'].includes(c))];
const shown = order.filter((c) => clients.includes(c));
const rows = [];
const cell = (r, op) => {
  if (!r) return '';
  if (op === 'streams') return `${r.rss_mib} MiB (+${r2(r.rss_mib - r.rss_before_mib)})`;
  if (r.p50_ms != null) return `${r.p50_ms} ms`;
  const size = r.bytes && r.bytes !== BIG ? ` (${r.bytes / 1048576} MiB)` : '';
  return `${r.mb_per_s} MB/s${r.rss_peak_mib != null ? `, peak ${r.rss_peak_mib} MiB` : ''}${size}`;
};
const verdict = (op) => {
  const s = find('js-sdk', op), l = find('libe2b', op), c = find('curl', op);
  if (!l) return '';
  if (op === 'streams') return l.rss_mib <= 64 ? 'met (< 64 MiB)' : 'NOT met (< 64 MiB)';
  if (l.p50_ms != null) {
    const a = s ? l.p50_ms / s.p50_ms : null, b = c ? l.p50_ms / c.p50_ms : null;
    return `${a != null ? `${r2(a)}x SDK` : ''} ${b != null ? `${r2(b)}x curl` : ''} → ${a != null && a <= 0.2 && b != null && b <= 1.2 ? 'met' : 'NOT met'}`;
  }
  const flat = l.rss_peak_mib - l.rss_before_mib < 8;
  return `${l.mb_per_s >= 1000 ? 'met' : 'NOT met'} (>= 1 GB/s), RSS ${flat ? 'flat' : 'grew'}${c ? `; ${r2(c.mb_per_s ? l.mb_per_s / c.mb_per_s : 0)}x curl's rate` : ''}`;
};
for (const op of ['run_true', 'stat', 'read_small', 'run_code', 'stdout_big', 'upload_big', 'download_big', 'streams']) {
  const row = { op };
  for (const c of shown) row[c] = cell(find(c, op), op);
  row.target = verdict(op);
  rows.push(row);
}
const cols = ['op', ...shown, 'target'];
const w = cols.map((k) => Math.max(k.length, ...rows.map((r) => String(r[k] ?? '').length)));
const line = (vals) => '| ' + vals.map((v, i) => String(v ?? '').padEnd(w[i])).join(' | ') + ' |';
console.log(`\nclients against one e2b-local — ${N} samples per latency op, ${BIG_MIB} MiB transfers, ${STREAMS} streams; e2b ${SDK_VERSION}`);
console.log(line(cols));
console.log('|' + w.map((x) => '-'.repeat(x + 2)).join('|') + '|');
for (const r of rows) console.log(line(cols.map((k) => r[k])));
if (errors.length) { console.log(`\n${errors.length} error(s):`); for (const e of errors) console.log('  - ' + e); }
let commit = null;
try { commit = execFileSync('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD']).toString().trim(); } catch {}
fs.mkdirSync(path.dirname(OUT), { recursive: true });
fs.writeFileSync(OUT, JSON.stringify({ meta: { date: new Date().toISOString(), commit, sdk: `e2b ${SDK_VERSION}`, N, BIG_MIB, STREAMS, node: process.version }, results, table: rows, errors }, null, 2) + '\n');
console.log(`\nJSON: ${path.relative(process.cwd(), OUT) || OUT}`);
process.exit(errors.length ? 1 : 0);
