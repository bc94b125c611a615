// A complete program: create a sandbox, stream a command, round-trip a file, watch, clean up.
// Run: E2B_API_URL=... E2B_SANDBOX_URL=... E2B_API_KEY=... node examples/hello.mjs
import e2b from '../lib/index.js';

const { Sandbox, CommandExitError, FileNotFoundError } = e2b;

const sbx = await Sandbox.create({ timeoutMs: 60_000 });
console.log('sandbox', sbx.sandboxId);
try {
  await sbx.commands.run('for i in 1 2 3; do echo step $i; sleep 0.2; done', {
    onStdout: (line) => process.stdout.write(`[sandbox] ${line}`),
  });
  const watch = await sbx.files.watchDir('/home/user', (ev) => console.log('event', ev.type, ev.name));
  await sbx.files.write('/home/user/hello.txt', 'Hello from Node\n');
  console.log(await sbx.files.read('/home/user/hello.txt'));
  await watch.stop();
  try {
    await sbx.commands.run('exit 2');
  } catch (e) {
    if (e instanceof CommandExitError) console.log('exit code', e.exitCode);
  }
  await sbx.files.read('/home/user/missing').catch((e) => {
    if (e instanceof FileNotFoundError) console.log('missing file:', e.code, e.message);
  });
} finally {
  await sbx.kill();
}
