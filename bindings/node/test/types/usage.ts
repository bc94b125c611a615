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
