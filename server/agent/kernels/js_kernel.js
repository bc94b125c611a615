// e2b-agent's JavaScript kernel (embedded in the agent; run as `node -e <this>`).
// Protocol with the agent: one JSON request per line on stdin ({"code", "env"}); control
// messages on stdout as "\x1eE2B:" + JSON + "\n" (result, error, done); any other output on
// stdout/stderr is the cell's output. Cells run in one persistent vm context.
'use strict';
const vm = require('vm');
const util = require('util');
const path = require('path');
const Module = require('module');
const readline = require('readline');

const MARK = '\x1eE2B:';
const send = (msg) => process.stdout.write(MARK + JSON.stringify(msg) + '\n');

const cellRequire = Module.createRequire(path.join(process.cwd(), '__e2b_cell__.js'));
const sandbox = {
  console, process, Buffer, require: cellRequire, module: { exports: {} },
  __filename: path.join(process.cwd(), '__e2b_cell__.js'), __dirname: process.cwd(),
  setTimeout, clearTimeout, setInterval, clearInterval, setImmediate, clearImmediate, queueMicrotask,
};
for (const k of ['URL', 'URLSearchParams', 'TextEncoder', 'TextDecoder', 'structuredClone', 'fetch', 'AbortController',
  'AbortSignal', 'Headers', 'Request', 'Response', 'FormData', 'Blob', 'atob', 'btoa', 'performance', 'crypto',
  'EventTarget', 'Event', 'WebAssembly']) {
  if (globalThis[k] !== undefined) sandbox[k] = globalThis[k];
}
sandbox.exports = sandbox.module.exports;
const ctx = vm.createContext(sandbox);
vm.runInContext('globalThis.global = globalThis;', ctx);

let rejectPending = null;
class KeyboardInterrupt extends Error {
  constructor() { super('Execution interrupted'); this.name = 'KeyboardInterrupt'; }
}
process.on('SIGINT', () => { if (rejectPending) rejectPending(new KeyboardInterrupt()); });
process.on('uncaughtException', (e) => { process.stderr.write(`Uncaught ${e && e.stack ? e.stack : e}\n`); });
process.on('unhandledRejection', (e) => { process.stderr.write(`Unhandled rejection: ${e && e.stack ? e.stack : e}\n`); });

function compile(code) {
  try {
    return new vm.Script(code, { filename: '<cell>' });
  } catch (e) {
    if (!(e && e.name === 'SyntaxError' && /\bawait\b/.test(code))) throw e;
  }
  // Top-level await: run the cell as an async function. Unindented declarations become globals
  // (so they survive the cell) and the last line, if it is an expression, is returned.
  const body = code.replace(/^(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=/gm, '$1 =').replace(/\s+$/, '');
  const lines = body.split('\n');
  const head = lines.slice(0, -1);
  const last = lines[lines.length - 1].replace(/;\s*$/, '');
  const semi = last.lastIndexOf(';');
  const splits = [[head, last]];
  if (semi >= 0) splits.push([head.concat(last.slice(0, semi + 1)), last.slice(semi + 1)]);
  const candidates = [];
  for (const [h, expr] of splits) {
    if (expr.trim() && !/^\s*(?:let|const|var|if|for|while|do|switch|function|async\s+function|class|return|throw|try|import|export|\}|\/\/|\/\*)/.test(expr)) {
      candidates.push(`(async () => {\n${h.join('\n')}\nreturn (${expr});\n})()`);
    }
  }
  candidates.push(`(async () => {\n${body}\n})()`);
  for (const c of candidates) {
    try { return new vm.Script(c, { filename: '<cell>' }); } catch (_) { /* next */ }
  }
  return new vm.Script(code, { filename: '<cell>' });  // throws the original SyntaxError
}

function format(value) {
  const msg = { type: 'result', is_main_result: true };
  msg.text = typeof value === 'string' ? value : util.inspect(value, { depth: 4, colors: false });
  return msg;
}

function sendError(e) {
  if (e instanceof Error || (e && typeof e === 'object' && 'stack' in e)) {
    // The kernel's own frames (vm, this driver, node internals) are not the user's.
    const tb = String(e.stack ?? '').split('\n')
      .filter((l) => !/^\s+at .*(?:node:vm|\[eval\]|node:internal|node:events|sigintHandlersWrap)/.test(l)).join('\n');
    send({ type: 'error', name: e.name || 'Error', value: e.message ?? String(e), traceback: tb });
  } else {
    send({ type: 'error', name: 'Error', value: String(e), traceback: String(e) });
  }
}

async function execute(code) {
  let value = compile(code).runInContext(ctx, { breakOnSigint: true });
  if (value && typeof value.then === 'function') {
    value = await Promise.race([value, new Promise((_, rej) => { rejectPending = rej; })]);
  }
  if (value !== undefined) send(format(value));
}

const queue = [];
let busy = false;
async function pump() {
  if (busy) return;
  busy = true;
  while (queue.length) {
    const req = queue.shift();
    const saved = {};
    for (const [k, v] of Object.entries(req.env || {})) {
      saved[k] = Object.prototype.hasOwnProperty.call(process.env, k) ? process.env[k] : undefined;
      process.env[k] = v;
    }
    try {
      if (req.type !== 'ping') await execute(req.code || '');
    } catch (e) {
      sendError(e);
    } finally {
      rejectPending = null;
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k]; else process.env[k] = v;
      }
      send({ type: 'done' });
    }
  }
  busy = false;
}

readline.createInterface({ input: process.stdin, crlfDelay: Infinity }).on('line', (line) => {
  try { queue.push(JSON.parse(line)); } catch (_) { return; }
  pump();
}).on('close', () => process.exit(0));
