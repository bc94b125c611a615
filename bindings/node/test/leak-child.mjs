// Run by leak.test.mjs in its own process: many streams of every kind, memory sampled after
// each round, then it simply returns; the process must exit on its own (no handle left ref'd).
import e2b from '../lib/index.js';

const { Sandbox } = e2b;
const opts = JSON.parse(process.env.E2B_TEST_OPTS);
const rounds = Number(process.env.ROUNDS || 6);
const sbx = await Sandbox.create(opts);
await sbx.files.write('/home/user/blob.bin', Buffer.alloc(256 * 1024, 7));
const samples = [];
for (let r = 0; r < rounds; r++) {
  const jobs = [];
  for (let i = 0; i < 40; i++) {
    jobs.push(sbx.commands.run(`echo line${i}; echo err >&2`, { onStdout: () => {}, onStderr: () => {} }));
  }
  for (let i = 0; i < 10; i++) {
    jobs.push((async () => {
      let n = 0;
      for await (const c of await sbx.files.read('/home/user/blob.bin', { format: 'stream' })) n += c.length;
      if (n !== 256 * 1024) throw new Error(`short stream: ${n}`);
    })());
  }
  for (let i = 0; i < 5; i++) {
    jobs.push((async () => {
      const w = await sbx.files.watchDir('/home/user', () => {});
      await w.stop();
      const h = await sbx.commands.run('sleep 10', { background: true });
      await h.disconnect();
      await sbx.commands.kill(h.pid);
    })());
  }
  await Promise.all(jobs);
  global.gc();
  await new Promise((r) => setTimeout(r, 50));
  global.gc();
  const m = process.memoryUsage();
  samples.push({ rss: m.rss, heap: m.heapUsed, external: m.external });
}
await sbx.kill();
console.log(JSON.stringify({ samples, resources: process.getActiveResourcesInfo() }));
// No process.exit(): the test checks that the event loop ends by itself.
