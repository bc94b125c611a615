// An e2b-local restart loses no sandbox: files survive, and what could not be kept (processes,
// memory) is reported as such; the sandboxes come back paused and connect boots them again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sandbox } from 'e2b';
import { startServer, stopServer } from './harness.mjs';

test('sandboxes survive an e2b-local restart: listed paused, files kept, connect boots them', async () => {
  const srv1 = await startServer();
  const env = (srv) => {
    process.env.E2B_API_URL = srv.url;
    process.env.E2B_SANDBOX_URL = srv.url;
    process.env.E2B_API_KEY = srv.apiKey;
  };
  env(srv1);
  const running = await Sandbox.create({ metadata: { suite: 'restart', which: 'running' } });
  await running.files.write('/home/user/keep.txt', 'kept across restart');
  await running.commands.run('sleep 1000', { background: true, timeoutMs: 0 });
  const paused = await Sandbox.create({ metadata: { suite: 'restart', which: 'paused' } });
  await paused.commands.run('echo paused-file > /tmp/p.txt');
  assert.equal(await paused.pause(), true);
  const p1 = await stopServer(srv1, { keepRunDir: true });
  assert.deepEqual(p1, []);

  const srv2 = await startServer({ reuse: srv1 });
  try {
    env(srv2);
    const listed = await Sandbox.list({ query: { metadata: { suite: 'restart' } } }).nextItems();
    const byId = Object.fromEntries(listed.map((s) => [s.sandboxId, s.state]));
    assert.equal(byId[running.sandboxId], 'paused');
    assert.equal(byId[paused.sandboxId], 'paused');

    // the loss is reported, not silent
    const logs = await (await fetch(`${srv2.url}/sandboxes/${running.sandboxId}/logs`, { headers: { 'X-API-KEY': srv2.apiKey } })).json();
    assert.ok(logs.logs.some((l) => /processes and memory were lost/.test(l.line)), JSON.stringify(logs));

    const back = await Sandbox.connect(running.sandboxId);
    assert.equal(await back.files.read('/home/user/keep.txt'), 'kept across restart');
    assert.equal((await back.commands.run('pgrep -x sleep || echo none')).stdout.trim(), 'none');
    const back2 = await Sandbox.connect(paused.sandboxId);
    assert.equal((await back2.commands.run('cat /tmp/p.txt')).stdout, 'paused-file\n');
    assert.equal(await back.kill(), true);
    assert.equal(await back2.kill(), true);
  } finally {
    const p2 = await stopServer(srv2);
    assert.deepEqual(p2, []);
  }
});
