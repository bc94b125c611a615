// Lifecycle: create/getInfo/isRunning/setTimeout/kill/list/auth/timeouts.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { Sandbox, SandboxNotFoundError, AuthenticationError } from 'e2b';
import { useServer, createSandbox, track, killTrackedAfter, sleep, randomKey, waitFor } from './harness.mjs';

await useServer();
await killTrackedAfter();

const RUN = crypto.randomBytes(6).toString('hex');

async function listAll(opts) {
  const pager = Sandbox.list(opts);
  const items = [];
  let pages = 0;
  while (pager.hasNext) {
    items.push(...(await pager.nextItems()));
    if (++pages > 50) throw new Error('paginator does not terminate');
  }
  return items;
}

describe('lifecycle', { concurrency: true }, () => {
  test('create with metadata, envs and timeoutMs; getInfo fields; isRunning', async () => {
    const before = Date.now();
    const sbx = await createSandbox({ metadata: { suite: RUN, purpose: 'info' }, envs: { X: 'hello-env', Y: 'two words' }, timeoutMs: 120_000 });
    assert.match(sbx.sandboxId, /^[a-z0-9]+$/, 'sandbox id must be lowercase alnum');
    const r = await sbx.commands.run('echo "$X|$Y"');
    assert.equal(r.stdout, 'hello-env|two words\n');
    const info = await sbx.getInfo();
    assert.equal(info.sandboxId, sbx.sandboxId);
    assert.equal(info.state, 'running');
    assert.deepEqual(info.metadata, { suite: RUN, purpose: 'info' });
    assert.ok(Number.isInteger(info.cpuCount) && info.cpuCount > 0, `cpuCount ${info.cpuCount}`);
    assert.ok(Number.isInteger(info.memoryMB) && info.memoryMB > 0, `memoryMB ${info.memoryMB}`);
    assert.ok(info.startedAt instanceof Date && !isNaN(info.startedAt), 'startedAt is a date');
    assert.ok(info.endAt instanceof Date && !isNaN(info.endAt), 'endAt is a date');
    assert.ok(info.startedAt.getTime() >= before - 5000 && info.startedAt.getTime() <= Date.now() + 5000, `startedAt ${info.startedAt.toISOString()} ~ now`);
    const life = info.endAt.getTime() - info.startedAt.getTime();
    assert.ok(Math.abs(life - 120_000) < 5000, `endAt - startedAt = ${life} ms, expected ~120000`);
    assert.ok(typeof info.envdVersion === 'string' && info.envdVersion.length > 0);
    assert.equal(await sbx.isRunning(), true);
    const static_ = await Sandbox.getInfo(sbx.sandboxId);
    assert.equal(static_.sandboxId, sbx.sandboxId);
  });

  test('setTimeout extends and shortens endAt; a shortened sandbox expires', async () => {
    const sbx = await createSandbox({ metadata: { suite: RUN, purpose: 'settimeout' }, timeoutMs: 60_000 });
    await sbx.setTimeout(200_000);
    let info = await sbx.getInfo();
    let left = info.endAt.getTime() - Date.now();
    assert.ok(left > 190_000 && left < 210_000, `after setTimeout(200s) endAt is ${left} ms away`);
    await sbx.setTimeout(2_000);
    info = await sbx.getInfo();
    left = info.endAt.getTime() - Date.now();
    assert.ok(left < 5_000, `after setTimeout(2s) endAt is ${left} ms away (may shorten)`);
    await waitFor(async () => !(await sbx.isRunning()), { timeoutMs: 10_000, intervalMs: 250, what: 'sandbox to expire after setTimeout(2000)' });
    await assert.rejects(sbx.getInfo(), SandboxNotFoundError);
  });

  test('kill: isRunning false, getInfo -> SandboxNotFoundError, second kill -> false', async () => {
    const sbx = await createSandbox({ metadata: { suite: RUN, purpose: 'kill' } });
    assert.equal(await sbx.kill(), true);
    assert.equal(await sbx.isRunning(), false);
    await assert.rejects(sbx.getInfo(), SandboxNotFoundError);
    await assert.rejects(Sandbox.getInfo(sbx.sandboxId), SandboxNotFoundError);
    assert.equal(await sbx.kill(), false);
    assert.equal(await Sandbox.kill(sbx.sandboxId), false);
    await assert.rejects(sbx.commands.run('true', { requestTimeoutMs: 10_000 }));
  });

  test('timeout expiry: created with timeoutMs 3000 it is gone a few seconds later', async () => {
    const sbx = await createSandbox({ metadata: { suite: RUN, purpose: 'expiry' }, timeoutMs: 3000 });
    assert.equal(await sbx.isRunning(), true);
    const t0 = Date.now();
    await waitFor(async () => {
      try { await Sandbox.getInfo(sbx.sandboxId); return false; } catch (e) { if (e instanceof SandboxNotFoundError) return true; throw e; }
    }, { timeoutMs: 12_000, intervalMs: 250, what: 'expired sandbox to disappear' });
    assert.ok(Date.now() - t0 >= 1500, 'sandbox must not disappear long before its timeout');
    assert.equal(await sbx.isRunning(), false);
    await assert.rejects(Sandbox.connect(sbx.sandboxId), SandboxNotFoundError);
  });

  test('unknown sandbox: connect/getInfo/setTimeout/pause -> SandboxNotFoundError, kill -> false', async () => {
    const id = 'i' + crypto.randomBytes(10).toString('hex');
    await assert.rejects(Sandbox.connect(id), SandboxNotFoundError);
    await assert.rejects(Sandbox.getInfo(id), SandboxNotFoundError);
    await assert.rejects(Sandbox.setTimeout(id, 10_000), SandboxNotFoundError);
    await assert.rejects(Sandbox.pause(id), SandboxNotFoundError);
    assert.equal(await Sandbox.kill(id), false);
  });

  test('auth: wrong key -> AuthenticationError on create, list, getInfo, kill', async () => {
    const apiKey = randomKey();
    await assert.rejects(Sandbox.create({ apiKey }), AuthenticationError);
    await assert.rejects(Sandbox.list({ apiKey }).nextItems(), AuthenticationError);
    await assert.rejects(Sandbox.getInfo('i' + crypto.randomBytes(10).toString('hex'), { apiKey }), AuthenticationError);
    await assert.rejects(Sandbox.kill('i' + crypto.randomBytes(10).toString('hex'), { apiKey }), AuthenticationError);
  });

  test('list: state, metadata (URL-encoding), limit + pagination', async () => {
    const tag = RUN + '-list';
    const [a, b, c] = await Promise.all([
      createSandbox({ metadata: { suite: tag, name: 'a', 'k y': 'v&1' } }),
      createSandbox({ metadata: { suite: tag, name: 'b', 'we=ird': 'x/y?z=1#%' } }),
      createSandbox({ metadata: { suite: tag, name: 'c' } }),
    ]);
    const ids = (xs) => xs.map((x) => x.sandboxId).sort();

    // metadata filter only returns ours
    let items = await listAll({ query: { metadata: { suite: tag } } });
    assert.deepEqual(ids(items), ids([a, b, c]));
    const la = items.find((x) => x.sandboxId === a.sandboxId);
    assert.equal(la.state, 'running');
    assert.deepEqual(la.metadata, { suite: tag, name: 'a', 'k y': 'v&1' });
    assert.ok(la.startedAt instanceof Date && la.endAt instanceof Date);
    assert.ok(la.cpuCount > 0 && la.memoryMB > 0);

    // keys/values that need URL encoding
    items = await listAll({ query: { metadata: { 'k y': 'v&1' } } });
    assert.deepEqual(ids(items), [a.sandboxId]);
    items = await listAll({ query: { metadata: { 'we=ird': 'x/y?z=1#%' } } });
    assert.deepEqual(ids(items), [b.sandboxId]);
    items = await listAll({ query: { metadata: { suite: tag, name: 'c' } } });
    assert.deepEqual(ids(items), [c.sandboxId], 'metadata filters are ANDed');
    items = await listAll({ query: { metadata: { suite: tag, name: 'nope' } } });
    assert.deepEqual(items, []);

    // pagination: limit 2 over 3 matches -> 2 pages
    const pager = Sandbox.list({ limit: 2, query: { metadata: { suite: tag } } });
    assert.equal(pager.hasNext, true);
    const p1 = await pager.nextItems();
    assert.equal(p1.length, 2, 'first page has limit items');
    assert.equal(pager.hasNext, true, 'hasNext after first page (X-Next-Token)');
    assert.ok(pager.nextToken, 'nextToken set');
    const p2 = await pager.nextItems();
    assert.equal(p2.length, 1);
    assert.equal(pager.hasNext, false, 'no X-Next-Token on the last page');
    assert.deepEqual(ids([...p1, ...p2]), ids([a, b, c]), 'pages are disjoint and complete');

    // exact page boundary: limit 3 -> one page, no next token
    const pager3 = Sandbox.list({ limit: 3, query: { metadata: { suite: tag } } });
    assert.equal((await pager3.nextItems()).length, 3);
    assert.equal(pager3.hasNext, false, 'X-Next-Token must be absent when there are no more items');

    // state filter
    assert.equal(await c.pause(), true);
    const running = await listAll({ query: { metadata: { suite: tag }, state: ['running'] } });
    assert.deepEqual(ids(running), ids([a, b]));
    const paused = await listAll({ query: { metadata: { suite: tag }, state: ['paused'] } });
    assert.deepEqual(ids(paused), [c.sandboxId]);
    assert.equal(paused[0].state, 'paused');
    const both = await listAll({ query: { metadata: { suite: tag }, state: ['running', 'paused'] } });
    assert.deepEqual(ids(both), ids([a, b, c]));
    // killed sandboxes disappear from the list
    await b.kill();
    const after = await listAll({ query: { metadata: { suite: tag } } });
    assert.deepEqual(ids(after), ids([a, c]));
  });
});
