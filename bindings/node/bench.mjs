// Bench of the Node binding against a running e2b-local (E2B_API_URL, E2B_SANDBOX_URL,
// E2B_API_KEY from the environment; LIBE2B_PATH for the library). Prints one JSON line:
// run('true') round trip p50/p95 over BENCH_N runs, and one 64 MiB upload.
import e2b from './lib/index.js';

const { Sandbox } = e2b;
const n = Number(process.env.BENCH_N || 50);
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

const sbx = await Sandbox.create({ timeoutMs: 300000 });
try {
  await sbx.commands.run('true');  // warm-up: connection and thread pool
  const rt = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await sbx.commands.run('true');
    rt.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  rt.sort((a, b) => a - b);
  const data = Buffer.alloc(64 * 1024 * 1024, 0x5a);
  const rssBefore = process.memoryUsage().rss / 1048576;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, process.memoryUsage().rss / 1048576); }, 20);
  const t = process.hrtime.bigint();
  await sbx.files.write('/tmp/bench-64m.bin', data);
  const uploadMs = Number(process.hrtime.bigint() - t) / 1e6;
  clearInterval(sampler);
  if (process.env.BENCH_FORMAT === 'ops') {
    // bench/clients.mjs format: one JSON line per operation.
    const r2 = (x) => +x.toFixed(2);
    console.log(JSON.stringify({ client: 'node-binding', op: 'run_true', n, p50_ms: r2(pct(rt, 50)), p95_ms: r2(pct(rt, 95)) }));
    console.log(JSON.stringify({ client: 'node-binding', op: 'upload_big', bytes: data.length, ms: r2(uploadMs),
      mb_per_s: r2(64 / (uploadMs / 1000)), rss_before_mib: r2(rssBefore), rss_peak_mib: r2(rssPeak) }));
  } else console.log(JSON.stringify({
    binding: 'node', runs: n, run_true_p50_ms: +pct(rt, 50).toFixed(3), run_true_p95_ms: +pct(rt, 95).toFixed(3),
    upload_64mib_ms: +uploadMs.toFixed(1),
  }));
} finally {
  await sbx.kill();
}
