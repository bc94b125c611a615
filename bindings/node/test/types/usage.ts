// Compile-only check (tsc --noEmit) that lib/index.d.ts describes the SDK-shaped API.
import { Sandbox, CommandExitError, SandboxNotFoundError, CommandHandle, CommandResult, EntryInfo } from '../../lib';

async function usage(): Promise<void> {
  const sbx = await Sandbox.create({ timeoutMs: 60_000, metadata: { a: 'b' } });
  const r: CommandResult = await sbx.commands.run('echo hi', { onStdout: (d: string) => void d });
  const h: CommandHandle = await sbx.commands.run('sleep 1', { background: true });
  for await (const c of h) { const s: 'stdout' | 'stderr' = c.stream; void s; }
  const text: string = await sbx.files.read('/etc/hostname');
  const bytes: Uint8Array = await sbx.files.read('/etc/hostname', { format: 'bytes' });
  const stream: ReadableStream<Uint8Array> = await sbx.files.read('/x', { format: 'stream' });
  const entries: EntryInfo[] = await sbx.files.list('/');
  await sbx.files.write('/a', new Uint8Array(3));
  const w = await sbx.files.watchDir('/tmp', (e) => void e.type, { recursive: true });
  await w.stop();
  const pty = await sbx.pty.create({ cols: 80, rows: 24, onData: (d: Uint8Array) => void d });
  await sbx.pty.resize(pty.pid, { cols: 100, rows: 30 });
  const host: string = sbx.getHost(3000);
  const paused: boolean = await sbx.pause();
  const again: Sandbox = await Sandbox.connect(sbx.sandboxId);
  const p = Sandbox.list({ query: { state: ['running'] } });
  while (p.hasNext) for (const i of await p.nextItems()) void i.startedAt.getTime();
  try { await again.kill(); } catch (e) {
    if (e instanceof CommandExitError) void e.exitCode;
    if (e instanceof SandboxNotFoundError) void (e.code + e.e2bCode);
  }
  void [r, text, bytes, stream, entries, host, paused];
}
void usage;

// The surface added with ports, code interpreter, production layers.
import { Session, SandboxPool, telemetry, getProfile, SandboxWebSocket, PortResponse, PoolExhaustedError, Artifact } from '../../lib';
import * as ci from '../../lib/code-interpreter';

async function usage2(): Promise<void> {
  const sbx = await Sandbox.create({ profile: 'light', onLog: (e) => void e.event, logLevel: 'warn' });
  const res: PortResponse = await sbx.ports.fetch(3000, '/x', { method: 'POST', body: 'b', headers: { a: 'b' } });
  const t: string = await res.text();
  const ws: SandboxWebSocket = await sbx.ports.webSocket(8765, '/');
  ws.addEventListener('message', (ev) => void ev);
  ws.onmessage = (ev) => void ev.data;
  ws.send('x');
  for await (const m of ws) void m;
  const c = await ws.closed;
  void c.code;
  const arts: Artifact[] = await sbx.artifacts.download('/out', '**/*.png', '/tmp/out', { onProgress: (p) => void p.bytesDone });
  const { entries } = await sbx.workspace.push('./proj', '/home/user/proj', { signal: AbortSignal.timeout(1000) });
  const m = await sbx.getMetrics({ start: new Date() });
  const l = await Sandbox.getLogs(sbx.sandboxId, { direction: 'backward', limit: 10 });
  const s = await Session.start({ idlePauseMs: 60_000 });
  const st: 'active' | 'paused' | 'ended' = await Session.getState(s.sessionId);
  await (await Session.resume(s.sessionId)).end();
  const pool = new SandboxPool({ maxSize: 2, minIdle: 1 });
  const pooled = await pool.acquire({ timeoutMs: 100 });
  pool.release(pooled, { discard: true });
  void pool.stats().idle;
  await pool.close();
  const text: string = telemetry.metrics();
  const usd: number = telemetry.costTotals().costUsd;
  const prof = getProfile('ml');
  const cis = await ci.Sandbox.create();
  const ex: ci.Execution = await cis.runCode('1 + 1', { onStdout: (o) => void o.line, context: await cis.createCodeContext() });
  void [t, arts, entries, m, l, st, text, usd, prof.cpuCount, ex.text, ex.results[0]?.formats(), PoolExhaustedError];
}
void usage2;
