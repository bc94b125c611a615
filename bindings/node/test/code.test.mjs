// The code interpreter (require('libe2b/code-interpreter')) on template code-interpreter-v1:
// state across cells, exceptions, streamed output, results, contexts, cancel and timeouts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './harness.mjs';
import ci from '../lib/code-interpreter.js';

const { Sandbox, Execution, Result, ExecutionError, OutputMessage, AbortError, TimeoutError, NotFoundError, InvalidArgumentError } = ci;
let srv, sbx;
// A str result's text: Jupyter gives its repr ('x'), e2b-local's interpreter the plain value.
const unq = (s) => (typeof s === 'string' ? s.replace(/^'(.*)'$/s, '$1') : s);

before(async () => {
  srv = await startServer();
  sbx = await Sandbox.create(srv.opts);
});
after(async () => {
  if (sbx) await sbx.kill().catch(() => {});
  if (srv) await srv.stop();
});

test('the default template is code-interpreter-v1', async () => {
  assert.equal((await sbx.getInfo()).templateId, 'code-interpreter-v1');
});

test('state persists across cells; the main result is the last expression', async () => {
  const a = await sbx.runCode('x = 40\nprint("set")');
  assert.ok(a instanceof Execution);
  assert.deepEqual(a.logs, { stdout: ['set\n'], stderr: [] });
  assert.equal(a.text, undefined);
  assert.equal(a.error, undefined);
  const b = await sbx.runCode('x + 2');
  assert.equal(b.text, '42');
  assert.equal(b.results.length, 1);
  assert.ok(b.results[0] instanceof Result);
  assert.equal(b.results[0].isMainResult, true);
  assert.deepEqual(b.results[0].formats(), []);  // as the SDK: text is not listed
  assert.ok(b.executionCount > a.executionCount, `${a.executionCount} -> ${b.executionCount}`);
  assert.deepEqual(JSON.parse(JSON.stringify(b)).results, [{ isMainResult: true, text: '42' }]);
  // Per-cell envs.
  const e = await sbx.runCode('import os\nos.environ["CELL_VAR"]', { envs: { CELL_VAR: 'v1' } });
  assert.equal(unq(e.text), 'v1');
});

test('an exception is the execution error, not a rejection; onError sees it', async () => {
  const seen = [];
  const ex = await sbx.runCode('print("before")\n1 / 0', { onError: (e) => seen.push(e) });
  assert.ok(ex.error instanceof ExecutionError);
  assert.equal(ex.error.name, 'ZeroDivisionError');
  assert.equal(ex.error.value, 'division by zero');
  assert.match(ex.error.traceback, /ZeroDivisionError/);
  assert.deepEqual(ex.logs.stdout, ['before\n']);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].name, 'ZeroDivisionError');
  // The context survives the exception.
  assert.equal((await sbx.runCode('x')).text, '40');
});

test('stdout and stderr stream line by line before the cell ends; onResult', async () => {
  const events = [];
  const t0 = Date.now();
  const ex = await sbx.runCode(
    'import sys, time\nfor i in range(3):\n    print(f"out{i}", flush=True)\n    print(f"err{i}", file=sys.stderr, flush=True)\n    time.sleep(0.2)\n"done"',
    {
      onStdout: (m) => events.push(['out', m, Date.now() - t0]),
      onStderr: (m) => events.push(['err', m, Date.now() - t0]),
      onResult: (r) => events.push(['result', r, Date.now() - t0]),
    });
  const outs = events.filter((e) => e[0] === 'out');
  assert.deepEqual(outs.map((e) => e[1].line), ['out0\n', 'out1\n', 'out2\n']);
  assert.deepEqual(events.filter((e) => e[0] === 'err').map((e) => e[1].line), ['err0\n', 'err1\n', 'err2\n']);
  assert.ok(outs[0][1] instanceof OutputMessage);
  assert.equal(outs[0][1].error, false);
  assert.equal(events.find((e) => e[0] === 'err')[1].error, true);
  assert.ok(outs[0][1].timestamp > 1.6e15, 'unix microseconds');
  // The first line came well before the end (0.6 s of sleeps).
  assert.ok(outs[2][2] - outs[0][2] >= 300, JSON.stringify(outs.map((e) => e[2])));
  assert.equal(events.at(-1)[0], 'result');
  assert.equal(unq(events.at(-1)[1].text), 'done');
  assert.equal(unq(ex.text), 'done');
});

test('contexts: create, run in it, isolated, list, restart, remove', async () => {
  const ctx = await sbx.createCodeContext({ cwd: '/tmp' });
  assert.equal(ctx.language, 'python');
  assert.equal(ctx.cwd, '/tmp');
  assert.equal(unq((await sbx.runCode('import os\nos.getcwd()', { context: ctx })).text), '/tmp');
  await sbx.runCode('y = 7', { context: ctx });
  assert.equal((await sbx.runCode('y', { context: ctx.id })).text, '7');
  // The default context does not see it.
  assert.equal((await sbx.runCode('y')).error.name, 'NameError');
  const ids = (await sbx.listCodeContexts()).map((c) => c.id);
  assert.ok(ids.includes(ctx.id));
  await sbx.restartCodeContext(ctx);
  assert.equal((await sbx.runCode('y', { context: ctx })).error.name, 'NameError');
  await sbx.removeCodeContext(ctx.id);
  assert.ok(!(await sbx.listCodeContexts()).some((c) => c.id === ctx.id));
  await assert.rejects(sbx.runCode('1', { context: ctx }), (e) => e instanceof NotFoundError && e.code === 'E2B_ENOTFOUND');
  await assert.rejects(sbx.removeCodeContext(ctx.id), NotFoundError);
  await assert.rejects(sbx.runCode('1', { language: 'python', context: 'x' }), InvalidArgumentError);
  const js = await sbx.createCodeContext({ language: 'javascript' });
  assert.equal((await sbx.runCode('[1, 2].map((v) => v * 3).join(",")', { context: js })).text.replace(/'/g, ''), '3,6');
  await sbx.removeCodeContext(js);
  await assert.rejects(sbx.createCodeContext({ language: 'cobol' }), (e) => e.e2bCode === -1 && /Unsupported language/i.test(e.message));
});

test('cancel with an AbortSignal: the cell is interrupted, the context keeps its state', async () => {
  await sbx.runCode('kept = "yes"');
  const ac = new AbortController();
  const lines = [];
  const p = sbx.runCode('import time\nprint("started", flush=True)\ntime.sleep(60)\nprint("never")', {
    signal: ac.signal,
    onStdout: (m) => { lines.push(m.line); ac.abort(); },
  });
  const t0 = Date.now();
  await assert.rejects(p, (e) => {
    assert.ok(e instanceof AbortError, String(e));
    assert.deepEqual(e.execution.logs.stdout, ['started\n']);
    return true;
  });
  assert.ok(Date.now() - t0 < 10000);
  assert.deepEqual(lines, ['started\n']);
  assert.equal(unq((await sbx.runCode('kept')).text), 'yes');
  await assert.rejects(sbx.runCode('1', { signal: AbortSignal.abort() }), AbortError);
});

test('a throwing callback stops the run and is what runCode rejects with', async () => {
  const boom = new Error('boom');
  await assert.rejects(sbx.runCode('import time\nprint("a", flush=True)\ntime.sleep(30)', {
    onStdout: () => { throw boom; },
  }), (e) => e === boom && e.execution instanceof Execution);
  await assert.rejects(sbx.runCode('import time\nprint("a", flush=True)\ntime.sleep(30)', {
    onStdout: async () => { throw boom; },
  }), (e) => e === boom);
  assert.equal((await sbx.runCode('2 * 21')).text, '42');
});

test('the execution timeout rejects with TimeoutError and the partial execution', async () => {
  await assert.rejects(sbx.runCode('import time\nprint("t", flush=True)\ntime.sleep(30)', { timeoutMs: 800 }), (e) => {
    assert.ok(e instanceof TimeoutError, String(e));
    assert.deepEqual(e.execution.logs.stdout, ['t\n']);
    return true;
  });
  assert.equal(unq((await sbx.runCode('"alive"')).text), 'alive');
});
