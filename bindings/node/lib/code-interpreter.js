'use strict';
// The code interpreter, shaped like the official `@e2b/code-interpreter` SDK:
//   const { Sandbox } = require('libe2b/code-interpreter');
//   const sbx = await Sandbox.create();                  // template code-interpreter-v1
//   const ex = await sbx.runCode('x = 1; x + 1', { onStdout: (m) => console.log(m.line) });
//   ex.text === '2'
// Cells run in persistent contexts (kernels) through libe2b's e2b_code_* (port 49999).
const base = require('./index');
const { native } = require('./native');
const { mapError, AbortError } = require('./errors');
const { abortError, call, kvList, procTimeout } = require('./common');

function parseJson(s) {
  if (s === undefined) return undefined;
  try { return JSON.parse(s); } catch { return s; }
}

// One output line of a cell; timestamp is unix microseconds (the server's).
class OutputMessage {
  constructor(line, timestamp, error) { this.line = line; this.timestamp = timestamp; this.error = error; }
  toString() { return this.line; }
}

// The error a cell raised (not a JS Error: the run itself succeeded), as in the SDK.
class ExecutionError {
  constructor(name, value, traceback) { this.name = name; this.value = value; this.traceback = traceback; }
}

const TEXT_FORMATS = ['text', 'html', 'markdown', 'svg', 'png', 'jpeg', 'pdf', 'latex', 'json', 'javascript'];

// One result of a cell: the value of its last expression (isMainResult) or displayed data. Image
// formats are base64; data, chart and extra are parsed JSON.
class Result {
  constructor(raw) {
    for (const k of TEXT_FORMATS) if (raw[k] !== undefined) this[k] = raw[k];
    if (raw.data !== undefined) this.data = parseJson(raw.data);
    if (raw.chart !== undefined) this.chart = parseJson(raw.chart);
    if (raw.extra !== undefined) this.extra = parseJson(raw.extra);
    this.isMainResult = raw.isMainResult;
    this._formats = raw.formats;
  }
  formats() { return [...this._formats]; }
  toJSON() {
    const o = { isMainResult: this.isMainResult };
    for (const k of [...TEXT_FORMATS, 'data', 'chart', 'extra']) if (this[k] !== undefined) o[k] = this[k];
    return o;
  }
}

class Execution {
  constructor(results = [], logs = { stdout: [], stderr: [] }, error = undefined, executionCount = undefined) {
    this.results = results;
    this.logs = logs;
    this.error = error;
    this.executionCount = executionCount;
  }
  // The main result's text (the value of the cell's last expression), if any.
  get text() {
    const main = this.results.find((r) => r.isMainResult);
    return main ? main.text : undefined;
  }
  toJSON() { return { results: this.results, logs: this.logs, error: this.error, executionCount: this.executionCount }; }
  static _from(x) {
    if (!x) return new Execution();
    return new Execution(x.results.map((r) => new Result(r)), { stdout: x.stdout, stderr: x.stderr },
      x.error ? new ExecutionError(x.error.name, x.error.value, x.error.traceback) : undefined,
      x.executionCount || undefined);
  }
}

const ctxId = (c) => (typeof c === 'string' ? c : c && c.id);

class Sandbox extends base.Sandbox {
  // runCode(code, {language, context, envs, timeoutMs, requestTimeoutMs, onStdout, onStderr,
  // onResult, onError, signal}) -> Execution. A cell that raises resolves with execution.error
  // set; the run failing (timeout, cancel, a throwing callback) rejects, with the partial
  // Execution as the error's `execution`.
  async runCode(code, opts = {}) {
    if (opts.language && opts.context) throw new base.InvalidArgumentError('pass language or context, not both');
    let resolveEnd, rejectEnd, callbackError;
    const ended = new Promise((res, rej) => { resolveEnd = res; rejectEnd = rej; });
    // The run can end (and reject) before codeStart's promise settles and `await ended` is
    // reached: mark it handled now so node does not report an unhandled rejection meanwhile.
    ended.catch(() => {});
    const signal = opts.signal;
    let run = null;
    const stop = (e) => { if (!callbackError) callbackError = e; if (run) run.cancel(); return true; };
    const user = (fn, arg) => {
      if (!fn) return false;
      const r = fn(arg);
      if (r && typeof r.catch === 'function') r.catch(stop);
      return false;
    };
    const handler = (kind, a, b) => {
      try {
        switch (kind) {
          case 'stdout': return user(opts.onStdout, new OutputMessage(a, b, false));
          case 'stderr': return user(opts.onStderr, new OutputMessage(a, b, true));
          case 'result': return user(opts.onResult, new Result(a));
          case 'error': return user(opts.onError, new ExecutionError(a.name, a.value, a.traceback));
          default: break;
        }
      } catch (e) {
        return stop(e);
      }
      // end
      const execution = Execution._from(a);
      if (!b) return resolveEnd(execution);
      let err = b.e2bCode === -9 && signal && signal.aborted ? abortError(signal) : mapError(b);
      if (callbackError) err = callbackError;
      try { err.execution = execution; } catch { /* frozen reason */ }
      return rejectEnd(err);
    };
    const onAbort = () => { if (run) run.cancel(); };
    if (signal) {
      if (signal.aborted) throw abortError(signal);
      signal.addEventListener('abort', onAbort, { once: true });
    }
    try {
      run = await call(native().codeStart(this._native(), String(code), {
        language: opts.language, contextId: ctxId(opts.context), envs: kvList(opts.envs, 'envs'),
        timeoutMs: opts.timeoutMs === undefined ? undefined : procTimeout(opts.timeoutMs),
        requestTimeoutMs: opts.requestTimeoutMs,
      }, handler));
      // Aborted while starting, or a callback threw before we had the handle.
      if ((signal && signal.aborted) || callbackError) run.cancel();
      return await ended;
    } finally {
      if (signal) signal.removeEventListener('abort', onAbort);
    }
  }

  // A new context (a fresh kernel): {id, language, cwd}.
  async createCodeContext(opts = {}) {
    return call(() => native().codeContextCreate(this._native(), opts.language, opts.cwd), opts.signal);
  }
  async listCodeContexts(opts = {}) {
    return call(() => native().codeContextList(this._native()), opts.signal);
  }
  // Restarts the context's kernel (its state is lost).
  async restartCodeContext(context, opts = {}) {
    await call(() => native().codeContextOp(this._native(), 'restart', ctxId(context)), opts.signal);
  }
  async removeCodeContext(context, opts = {}) {
    await call(() => native().codeContextOp(this._native(), 'remove', ctxId(context)), opts.signal);
  }
}
Sandbox.defaultTemplate = 'code-interpreter-v1';

module.exports = { ...base, Sandbox, Execution, Result, ExecutionError, OutputMessage, AbortError };
