// Pause / connect (resume) through the SDK.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Sandbox, SandboxNotFoundError } from 'e2b';
import { useServer, createSandbox, killTrackedAfter, sleep, waitFor } from './harness.mjs';

await useServer();
await killTrackedAfter();

// read through a command (not files.read) so the pause checks do not depend on GET /files
const readCounter = async (s) => Number((await s.commands.run('cat /tmp/c')).stdout.trim());

describe('pause/connect', { concurrency: true }, () => {
  test('a background process keeps its memory state across pause/connect', async () => {
    const sbx = await createSandbox({ metadata: { suite: 'pause', t: 'counter' } });
    const h = await sbx.commands.run(`bash -c 'i=0; while true; do i=$((i+1)); echo $i > /tmp/c.new; mv /tmp/c.new /tmp/c; sleep 0.1; done'`, { background: true, timeoutMs: 0 });
    await h.disconnect();
    // a second process keeping state only in memory
    const py = await sbx.commands.run(`python3 -c 'import sys
n = 0
for line in sys.stdin:
    n += int(line)
    print(n, flush=True)'`, { background: true, stdin: true, timeoutMs: 0 });
    await sbx.commands.sendStdin(py.pid, '5\n');
    await waitFor(() => py.stdout.includes('5\n'), { timeoutMs: 5000, what: 'python accumulator' });
    await py.disconnect();

    await waitFor(async () => (await readCounter(sbx)) >= 5, { timeoutMs: 5000, what: 'counter to run' });
    const v1 = await readCounter(sbx);
    assert.equal(await sbx.pause(), true);
    assert.equal(await sbx.pause(), false, 'pausing a paused sandbox returns false (409)');
    const info = await sbx.getInfo();
    assert.equal(info.state, 'paused');
    assert.equal(await sbx.isRunning(), false, 'isRunning is false while paused');
    await assert.rejects(sbx.commands.run('true', { requestTimeoutMs: 10_000 }), 'commands on a paused sandbox fail');
    await assert.rejects(sbx.files.read('/tmp/c', { requestTimeoutMs: 10_000 }), 'files on a paused sandbox fail');
    const listed = await Sandbox.list({ query: { metadata: { suite: 'pause', t: 'counter' }, state: ['paused'] } }).nextItems();
    assert.deepEqual(listed.map((x) => x.sandboxId), [sbx.sandboxId]);
    assert.equal(listed[0].state, 'paused');
    const running = await Sandbox.list({ query: { metadata: { suite: 'pause', t: 'counter' }, state: ['running'] } }).nextItems();
    assert.deepEqual(running, []);

    await sleep(1500); // ~15 ticks would happen if the process were not frozen

    const s2 = await Sandbox.connect(sbx.sandboxId);
    assert.equal(s2.sandboxId, sbx.sandboxId);
    const v2 = await readCounter(s2);
    assert.ok(v2 >= v1, `counter went backwards (restarted?): before pause ${v1}, after connect ${v2}`);
    assert.ok(v2 - v1 <= 6, `counter advanced by ${v2 - v1} ticks while paused for 1.5 s (before ${v1}, after ${v2}): process was not frozen`);
    await sleep(600);
    const v3 = await readCounter(s2);
    assert.ok(v3 > v2, `counter does not continue after connect (${v2} -> ${v3})`);
    assert.equal((await s2.getInfo()).state, 'running');
    assert.equal(await s2.isRunning(), true);

    // the in-memory python state survived
    const pyh = await s2.commands.connect(py.pid, { timeoutMs: 0 });
    await s2.commands.sendStdin(py.pid, '7\n');
    await waitFor(() => pyh.stdout.includes('12\n'), { timeoutMs: 5000, what: 'python accumulator to print 12 (5+7) after resume' });
    await pyh.disconnect();
    const list = await s2.commands.list();
    assert.ok(list.some((p) => p.pid === h.pid), 'the counter process is still listed after resume');

    // connect on a running sandbox works too (200) and does not restart anything
    const s3 = await sbx.connect();
    assert.equal(await s3.isRunning(), true);
    assert.ok((await readCounter(s3)) >= v3);
  });

  test('connect returns a working sandbox; new commands and files work after resume', async () => {
    const sbx = await createSandbox({ metadata: { suite: 'pause', t: 'fs' } });
    await sbx.files.write('/home/user/persist.txt', 'kept');
    await sbx.commands.run('echo tmp > /tmp/tmpfile');
    assert.equal(await Sandbox.pause(sbx.sandboxId), true);
    assert.equal((await Sandbox.getInfo(sbx.sandboxId)).state, 'paused');
    const s2 = await Sandbox.connect(sbx.sandboxId, { timeoutMs: 120_000 });
    const info = await s2.getInfo();
    assert.equal(info.state, 'running');
    const left = info.endAt.getTime() - Date.now();
    assert.ok(left > 100_000 && left < 130_000, `endAt after connect(timeoutMs 120s) is ${left} ms away`);
    assert.equal(await s2.files.read('/home/user/persist.txt'), 'kept');
    assert.equal((await s2.commands.run('cat /tmp/tmpfile; echo $E2B_SANDBOX_ID')).stdout, `tmp\n${sbx.sandboxId}\n`);
    // the old object keeps working too (same id and access token)
    assert.equal((await sbx.commands.run('echo old-handle')).stdout, 'old-handle\n');
  });

  test('kill while paused', async () => {
    const sbx = await createSandbox({ metadata: { suite: 'pause', t: 'kill' } });
    assert.equal(await sbx.pause(), true);
    assert.equal(await sbx.kill(), true);
    await assert.rejects(Sandbox.getInfo(sbx.sandboxId), SandboxNotFoundError);
    await assert.rejects(Sandbox.connect(sbx.sandboxId), SandboxNotFoundError);
    assert.equal(await Sandbox.kill(sbx.sandboxId), false);
  });
});
