// Callback state must not leak: hundreds of exec streams, read streams (TSFN) and watches, then
// the event loop must exit by itself and memory must stay flat across rounds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
let srv;
before(async () => { srv = await startServer(); });
after(async () => { if (srv) await srv.stop(); });

test('many streams, then the loop exits and memory is flat', { timeout: 90000 }, async () => {
  const child = spawn(process.execPath, ['--expose-gc', path.join(here, 'leak-child.mjs')], {
    env: { ...process.env, E2B_TEST_OPTS: JSON.stringify(srv.opts), ROUNDS: '6' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '', err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const code = await new Promise((resolve) => {
    const t = setTimeout(() => { child.kill('SIGKILL'); resolve('hung'); }, 80000);
    child.on('exit', (c) => { clearTimeout(t); resolve(c); });
  });
  assert.equal(code, 0, `child ${code}: ${err}`);
  const { samples } = JSON.parse(out.trim().split('\n').pop());
  // Round 1 warms up (thread pool, JIT, allocator); compare round 2 with the last.
  const first = samples[1], last = samples[samples.length - 1];
  const MiB = 1024 * 1024;
  assert.ok(last.heap - first.heap < 4 * MiB, `JS heap grew ${(last.heap - first.heap) / MiB} MiB: ${JSON.stringify(samples)}`);
  assert.ok(last.external - first.external < 4 * MiB, `external grew: ${JSON.stringify(samples)}`);
  assert.ok(last.rss - first.rss < 24 * MiB, `RSS grew ${(last.rss - first.rss) / MiB} MiB: ${JSON.stringify(samples)}`);
});
