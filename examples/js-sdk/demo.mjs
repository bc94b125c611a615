// The official E2B JS SDK, unmodified, against e2b-local. Run through scripts/demo.sh, which
// starts the server and sets E2B_API_URL, E2B_SANDBOX_URL and E2B_API_KEY.
import { Sandbox } from 'e2b'

const ms = (t0) => `${(performance.now() - t0).toFixed(1)} ms`

let t0 = performance.now()
const sbx = await Sandbox.create({ metadata: { demo: 'e2b-local' }, timeoutMs: 120_000 })
console.log(`created sandbox ${sbx.sandboxId} in ${ms(t0)}`)

console.log('\n$ streamed command (output arrives as it is printed):')
t0 = performance.now()
await sbx.commands.run('for i in 1 2 3; do echo "tick $i"; sleep 0.2; done; uname -sr; id', {
  onStdout: (line) => process.stdout.write(`  [${ms(t0)}] ${line}`),
})

await sbx.files.write('/home/user/hello.py', 'import sys\nprint("hello from", sys.version.split()[0])\n')
const py = await sbx.commands.run('python3 hello.py')
console.log(`\n$ python3 hello.py -> ${py.stdout.trim()}`)
console.log('files in /home/user:', (await sbx.files.list('/home/user')).map((e) => e.name).join(', '))

console.log('\n$ background counter, then pause (memory kept) and connect:')
await sbx.commands.run('i=0; while true; do i=$((i+1)); echo $i > /tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.1; done', { background: true, timeoutMs: 0 })
await new Promise((r) => setTimeout(r, 500))
const before = (await sbx.files.read('/tmp/count')).trim()
t0 = performance.now()
await sbx.pause()
console.log(`  paused at count=${before} in ${ms(t0)}; running=${await sbx.isRunning()}`)
await new Promise((r) => setTimeout(r, 1000))
t0 = performance.now()
const again = await Sandbox.connect(sbx.sandboxId)
console.log(`  resumed in ${ms(t0)}; count right after resume=${(await again.files.read('/tmp/count')).trim()} (no restart from 0)`)

const listed = await Sandbox.list({ query: { metadata: { demo: 'e2b-local' } } }).nextItems()
console.log(`\nlisted: ${listed.map((s) => `${s.sandboxId} (${s.state})`).join(', ')}`)
console.log('killed:', await again.kill())
