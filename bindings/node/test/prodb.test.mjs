// Production layer B: warm pool, resource profiles, cost tracking, Prometheus metrics, and the
// structured log callback (client option onLog).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from './harness.mjs';
import e2b from '../lib/index.js';

const { Sandbox, SandboxPool, PoolExhaustedError, InvalidArgumentError, AbortError, telemetry, getProfile } = e2b;
let srv, tmp;

before(async () => {
  srv = await startServer();
  tmp = mkdtempSync(path.join(tmpdir(), 'e2b-node-prodb-'));
});
after(async () => {
  if (srv) await srv.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function until(what, fn, ms = 15000) {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('pool: acquire, exhausted, release detaches streams, reuse, discard, close kills', async () => {
  const pool = new SandboxPool({ ...srv.opts, name: 'nodetest', maxSize: 2, metadata: { pool: 'node' } });
  const a = await pool.acquire();
  const b = await pool.acquire();
  assert.notEqual(a.sandboxId, b.sandboxId);
  assert.equal((await a.commands.run('echo pooled')).stdout, 'pooled\n');
  await assert.rejects(pool.acquire({ timeoutMs: 100 }), (e) => e instanceof PoolExhaustedError && e.code === 'E2B_EPOOL_EXHAUSTED');
  assert.equal(pool.stats().active, 2);

  // Open streams of a released sandbox end at once; the object is unusable afterwards.
  const bg = await a.commands.run('sleep 600', { background: true });
  bg.watchStall({ idleMs: 60000, onStall: () => {} });  // detached before the command it watches
  await a.files.makeDir('/home/user/w');
  let watchEnded = false;
  await a.files.watchDir('/home/user/w', () => {}, { onExit: () => { watchEnded = true; } });
  const aId = a.sandboxId;
  pool.release(a);
  await assert.rejects(bg.wait(), (e) => e instanceof AbortError && /released to its pool/.test(e.message));
  await until('the watch end', () => watchEnded);
  await assert.rejects(a.commands.run('true'), (e) => e instanceof InvalidArgumentError && /released/.test(e.message));
  assert.throws(() => pool.release(a), InvalidArgumentError);
  assert.equal(pool.stats().idle, 1);

  const c = await pool.acquire();
  assert.equal(c.sandboxId, aId);  // the warm one
  assert.equal(await c.files.exists('/home/user/w'), true);
  assert.equal(pool.stats().reused, 1);
  pool.release(c, { discard: true });
  assert.equal(pool.stats().evicted, 1);
  await until('the discarded sandbox to die', async () => !(await Sandbox.getInfo(aId, srv.opts).then(() => true, () => false)));

  const foreign = await Sandbox.create(srv.opts);
  assert.throws(() => pool.release(foreign), InvalidArgumentError);
  await foreign.kill();

  await pool.close();  // b is still acquired: released, then killed with the pool
  await assert.rejects(Sandbox.getInfo(b.sandboxId, srv.opts), e2b.SandboxNotFoundError);
  assert.throws(() => pool.stats(), InvalidArgumentError);
  await assert.rejects(pool.acquire(), InvalidArgumentError);
  await pool.close();  // idempotent
});

test('pool: minIdle prewarms; an aborted acquire gives its sandbox back', async () => {
  const pool = new SandboxPool({ ...srv.opts, minIdle: 1, maxSize: 3 });
  await until('prewarm', () => { pool.maintain(); return pool.stats().idle === 1; });
  const ac = new AbortController();
  const p = pool.acquire({ signal: ac.signal });
  ac.abort();
  await assert.rejects(p, AbortError);
  await until('the aborted acquisition back', () => pool.stats().active === 0);
  const s = await pool.acquire();
  assert.equal(await s.isRunning(), true);
  await pool.close();
  assert.throws(() => new SandboxPool({ ...srv.opts, minIdle: 3, maxSize: 2 }), InvalidArgumentError);
});

test('profiles: lookup, and a sandbox sized by one', async () => {
  assert.deepEqual(getProfile('heavy'), { cpuCount: 4, memoryMB: 8192, timeoutMs: 3600000 });
  assert.throws(() => getProfile('gigantic'), (e) => e instanceof InvalidArgumentError && /light/.test(e.message));
  const s = await Sandbox.create({ ...srv.opts, profile: 'light', memoryMB: 768 });
  try {
    const info = await s.getInfo();
    assert.equal(info.cpuCount, 1);
    assert.equal(info.memoryMB, 768);  // explicit values override the profile's
  } finally {
    await s.kill();
  }
  await assert.rejects(Sandbox.create({ ...srv.opts, profile: 'nope' }), InvalidArgumentError);
});

test('cost tracking and Prometheus metrics of a connection', async () => {
  const opts = { ...srv.opts, requestTimeoutMs: 45000 };  // its own client: clean totals
  const s = await Sandbox.create({ ...opts, cpuCount: 2 });
  await s.commands.run('true');
  await s.kill();
  const t = telemetry.costTotals(opts);
  assert.equal(t.sandboxes, 1);
  assert.ok(t.vcpuSeconds > 0 && t.costUsd > 0, JSON.stringify(t));
  const report = telemetry.costReport(opts);
  assert.equal(report.sandboxes[0].sandbox_id, s.sandboxId);
  assert.equal(report.sandboxes[0].vcpu, 2);
  telemetry.setCostPrices({ vcpuSecond: 1, gibSecond: 0 }, opts);
  assert.ok(Math.abs(telemetry.costTotals(opts).costUsd - telemetry.costTotals(opts).vcpuSeconds) < 1e-9);
  assert.throws(() => telemetry.setCostPrices({ vcpuSecond: -1 }, opts), InvalidArgumentError);

  const text = telemetry.metrics(opts);
  assert.match(text, /^e2b_sandboxes_created_total 1$/m);
  assert.match(text, /e2b_requests_total\{op="sandbox.create"\} 1/);
  const port = telemetry.serveMetrics(0, opts);
  assert.ok(port > 0);
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /e2b_sandboxes_created_total 1/);
    assert.throws(() => telemetry.serveMetrics(0, opts), InvalidArgumentError);  // already serving
  } finally {
    telemetry.stopServingMetrics(opts);
  }
});

test('structured logs: onLog gets events as objects, logLevel filters, logFile appends', async () => {
  const events = [];
  const logFile = path.join(tmp, 'e2b.log');
  const opts = { ...srv.opts, onLog: (e) => events.push(e), logFile };
  const s = await Sandbox.create(opts);
  await s.commands.run('echo x');
  telemetry.log('node.custom', { level: 'warn', sandboxId: s.sandboxId, message: 'hello' }, opts);
  await s.kill();
  await until('log events', () => events.some((e) => e.event === 'sandbox.kill'));
  const create = events.find((e) => e.event === 'sandbox.create');
  assert.equal(create.sandbox_id, s.sandboxId);
  assert.equal(create.level, 'info');
  assert.equal(typeof create.duration_ms, 'number');
  assert.ok(events.some((e) => e.event === 'node.custom' && e.level === 'warn' && e.message === 'hello'));
  const lines = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(lines.some((l) => l.event === 'sandbox.create'));

  // From warn up: successful calls log nothing, a failing one (a 404: warn) does.
  const warned = [];
  const wopts = { ...srv.opts, onLog: (e) => warned.push(e), logLevel: 'warn' };
  const w = await Sandbox.create(wopts);
  await w.kill();
  await assert.rejects(Sandbox.connect('nosuchsandbox', wopts));
  await until('the warning', () => warned.length > 0);
  assert.deepEqual(warned.map((e) => [e.event, e.level, e.sandbox_id]), [['sandbox.connect', 'warn', 'nosuchsandbox']]);
  assert.match(warned[0].error, /not_found/);
  assert.throws(() => telemetry.log('x', { level: 'loud' }, srv.opts), InvalidArgumentError);
  assert.throws(() => telemetry.metrics({ ...srv.opts, logLevel: 'chatty' }), InvalidArgumentError);
});

test('stall detection: a silent command is reported, killed with kill: true; sandbox watch; stop', async () => {
  const s = await Sandbox.create(srv.opts);
  try {
    const chatty = await s.commands.run('for i in $(seq 1 40); do echo tick; sleep 0.05; done', { background: true });
    const silent = await s.commands.run('echo start; sleep 30', { background: true });
    const seen = [];
    const w1 = chatty.watchStall({ idleMs: 400, onStall: (ev) => seen.push(['chatty', ev]) });
    const w2 = silent.watchStall({ idleMs: 400, kill: true, onStall: (ev) => seen.push(['silent', ev]) });
    await assert.rejects(silent.wait());  // killed by the stall watch
    await until('the stall report', () => seen.some(([w]) => w === 'silent'));
    const ev = seen.find(([w]) => w === 'silent')[1];
    assert.equal(ev.pid, silent.pid);
    assert.equal(ev.sandboxId, s.sandboxId);
    assert.equal(ev.killed, true);
    assert.ok(ev.idleMs >= 400);
    await chatty.wait();
    assert.ok(!seen.some(([w]) => w === 'chatty'), JSON.stringify(seen));
    w1.stop();
    w2.stop();

    const sb = [];
    const ws = s.watchStall({ idleMs: 300, onStall: (e) => sb.push(e) });
    await s.commands.run('sleep 30', { background: true });
    await until('the sandbox stall', () => sb.length > 0);
    assert.equal(sb[0].pid, 0);
    assert.equal(sb[0].killed, false);
    ws.stop();
    ws.stop();  // idempotent
    assert.throws(() => s.watchStall({ idleMs: 0, onStall: () => {} }), InvalidArgumentError);
    assert.throws(() => s.watchStall({ idleMs: 100 }), InvalidArgumentError);
  } finally {
    await s.kill();
  }
});
