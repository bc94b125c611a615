// Starts a private e2b-local (free port, temp state dir, fixed key) for a test file and stops it
// with SIGTERM at the end.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..', '..');
export const API_KEY = 'e2b_' + '0123456789abcdef'.repeat(3).slice(0, 40);

if (!process.env.LIBE2B_PATH) process.env.LIBE2B_PATH = path.join(repoRoot, 'build', 'libe2b.so.0');

export async function startServer() {
  const bin = process.env.E2B_LOCAL_BIN || path.join(repoRoot, 'build', 'e2b-local');
  const stateDir = mkdtempSync(path.join(tmpdir(), 'e2b-node-'));
  const child = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--state-dir', stateDir, '--api-key', API_KEY],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('e2b-local did not get ready:\n' + log)), 30000);
    const onData = (d) => {
      log += d;
      const m = /e2b-local: ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => { log += d; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`e2b-local exited (${code}):\n${log}`)); });
    child.on('error', (e) => { clearTimeout(timer); reject(new Error(`cannot start e2b-local (${bin}): ${e.message}`)); });
  });
  child.removeAllListeners('exit');
  child.stdout.resume();
  child.stderr.resume();
  const opts = { apiKey: API_KEY, apiUrl: url, sandboxUrl: url };
  return {
    url, opts, child,
    env: { ...process.env, E2B_API_URL: url, E2B_SANDBOX_URL: url, E2B_API_KEY: API_KEY },
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      let timer;
      await Promise.race([exited, new Promise((r) => { timer = setTimeout(r, 10000); })]);
      clearTimeout(timer);  // else it keeps the test process alive for 10 s
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
