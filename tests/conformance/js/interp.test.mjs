// The unmodified official @e2b/code-interpreter SDK against e2b-local (port 49999 of each sandbox
// routed to the agent's code-interpreter socket): state across cells, streaming, errors, contexts,
// JavaScript, bash, PNG figures, files shared with the filesystem API.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { useServer, track, killTrackedAfter } from './harness.mjs';

const require = createRequire(import.meta.url);
const { Sandbox } = require('@e2b/code-interpreter');

await useServer();
await killTrackedAfter();

describe('code interpreter', { concurrency: true }, () => {
  let sbx;
  before(async () => {
    // the SDK's default template is code-interpreter-v1; e2b-local serves it from `base`
    sbx = await Sandbox.create({ metadata: { suite: 'interp' } });
    track(sbx);
  });

  test('python: state across cells, last expression, identity inside the sandbox', async () => {
    await sbx.runCode('x = 40');
    const r = await sbx.runCode('x + 2');
    assert.equal(r.text, '42');
    assert.equal(r.results[0].isMainResult, true);
    const who = await sbx.runCode('import os\n(os.getuid(), os.getcwd(), os.environ["E2B_SANDBOX_ID"])');
    assert.equal(who.text, `(1000, '/home/user', '${sbx.sandboxId}')`);
  });

  test('python: streamed stdout arrives before the end', async () => {
    const t0 = Date.now();
    let first = 0;
    const ex = await sbx.runCode('import time\nprint("a", flush=True)\ntime.sleep(1)\nprint("b")', {
      onStdout: (m) => { if (!first && m.line === 'a\n') first = Date.now() - t0; },
    });
    const end = Date.now() - t0;
    assert.deepEqual(ex.logs.stdout, ['a\n', 'b\n']);
    assert.ok(first && end - first >= 700, `first line at ${first} ms, end at ${end} ms`);
  });

  test('errors are in-band with name, value and traceback; the context survives', async () => {
    const e = await sbx.runCode('y = 5\n1/0');
    assert.equal(e.error.name, 'ZeroDivisionError');
    assert.match(e.error.traceback, /ZeroDivisionError/);
    assert.equal((await sbx.runCode('y')).text, '5');
  });

  test('contexts are isolated from each other and listed; delete works', async () => {
    const c1 = await sbx.createCodeContext();
    const c2 = await sbx.createCodeContext({ language: 'python' });
    await sbx.runCode('v = "one"', { context: c1 });
    const other = await sbx.runCode('v', { context: c2 });
    assert.equal(other.error?.name, 'NameError');
    assert.equal((await sbx.runCode('v', { context: c1 })).text, 'one');
    const ids = (await sbx.listCodeContexts()).map((c) => c.id);
    assert.ok(ids.includes(c1.id) && ids.includes(c2.id));
    await sbx.removeCodeContext(c1);
    // short requestTimeoutMs: the SDK (2.7.1) leaves its request timer running when /execute
    // answers an error, which would keep the test process alive for the default 60 s
    await assert.rejects(sbx.runCode('1', { context: c1, requestTimeoutMs: 2000 }), /not found/i);
  });

  test('javascript and bash contexts keep state', async () => {
    await sbx.runCode('const k = 20', { language: 'js' });
    assert.equal((await sbx.runCode('k * 2 + 2', { language: 'javascript' })).text, '42');
    await sbx.runCode('export Z=7; cd /tmp', { language: 'bash' });
    const b = await sbx.runCode('echo $Z; pwd', { language: 'bash' });
    assert.deepEqual(b.logs.stdout.join(''), '7\n/tmp\n');
  });

  test('matplotlib figure comes back as a PNG result', async () => {
    const probe = await sbx.runCode('import importlib.util\nimportlib.util.find_spec("matplotlib") is not None');
    if (probe.text !== 'True') {
      test.skip?.('matplotlib is not installed on the host (scripts/install-deps.sh installs python3-matplotlib)');
      assert.fail('matplotlib missing from the base template (python3-matplotlib not installed on the host)');
    }
    const r = await sbx.runCode('import matplotlib.pyplot as plt\nplt.plot([1, 2, 3], [1, 4, 9])\nplt.show()');
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    const png = r.results.find((x) => x.png);
    assert.ok(png, `no PNG result: ${JSON.stringify(r.results.map((x) => Object.keys(x)))}`);
    assert.equal(Buffer.from(png.png, 'base64').subarray(1, 4).toString(), 'PNG');
  });

  test('files written by code are visible to the files API, and the reverse', async () => {
    await sbx.runCode('open("/home/user/from_code.txt", "w").write("made by code")');
    assert.equal(await sbx.files.read('/home/user/from_code.txt'), 'made by code');
    await sbx.files.write('/home/user/to_code.txt', 'made by files api');
    assert.equal((await sbx.runCode('open("/home/user/to_code.txt").read()')).text, 'made by files api');
  });

  test('a runaway cell is bounded by its timeout; the context keeps its state', async () => {
    // its own context: the interrupt must not race the other tests' cells on the default one
    const ctx = await sbx.createCodeContext();
    await sbx.runCode('kept = 1', { context: ctx });
    await assert.rejects(sbx.runCode('while True: pass', { context: ctx, timeoutMs: 1500 }));
    const r = await sbx.runCode('kept + 1', { context: ctx });
    assert.equal(r.text, '2', `after the interrupt: ${JSON.stringify(r.error ?? r.logs)}`);
  });
});
