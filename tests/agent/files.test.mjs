// Filesystem service + /files endpoints of e2b-agent, driven by the official E2B JS SDK in
// debug mode (which always talks to http://localhost:49983). To not collide with anything else
// on that port, the suite re-runs itself inside a private network namespace (needs root),
// where socat bridges 49983 to the agent's unix socket.
//
//   node --test tests/agent/files.test.mjs
// Env: E2B_AGENT_BIN (default build/e2b-agent), E2B_SDK_DIR (dir with node_modules/e2b,
// default /var/tmp/sdkfs).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { suiteInPrivateNetns } from './netns.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const agentBin = process.env.E2B_AGENT_BIN ?? path.join(repo, 'build/e2b-agent');
const sdkDir = process.env.E2B_SDK_DIR ?? '/var/tmp/sdkfs';
const TOKEN = 'fs-test-token';

function skipReason() {
  if (process.getuid?.() !== 0) return 'needs root (network namespace, chown)';
  if (!fs.existsSync(agentBin)) return `agent binary not found at ${agentBin} (build the e2b-agent target)`;
  if (!fs.existsSync(path.join(sdkDir, 'node_modules/e2b'))) return `E2B JS SDK not installed: cd ${sdkDir} && npm install e2b@2.45.0`;
  for (const b of ['socat', 'unshare', 'ip']) if (spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0) return `${b} not installed`;
  return null;
}

await suiteInPrivateNetns({
  fileUrl: import.meta.url, flag: 'E2B_FS_TEST_INNER', title: 'agent filesystem suite (in a private netns)',
  skipReason: skipReason(), inner,
});

async function inner() {
  const require = createRequire(path.join(sdkDir, 'package.json'));
  const { Sandbox, FileType, FilesystemEventType, getSignature, NotFoundError, FileNotFoundError, InvalidArgumentError } = require('e2b');

  // A real non-root account makes ownership checks meaningful; fall back to root.
  const pw = fs.readFileSync('/etc/passwd', 'utf8').split('\n').map((l) => l.split(':'));
  const acct = pw.find((f) => f[2] === '1000') ?? pw.find((f) => f[0] === 'root');
  const [user, , uidS, gidS, , home] = acct;
  const uid = Number(uidS), gid = Number(gidS);

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'e2b-fs-'));
  fs.chmodSync(work, 0o755);
  const sock = path.join(work, 'agent.sock');
  fs.writeFileSync(path.join(work, 'cfg.json'), JSON.stringify({ sandboxId: 'fs-test', defaultUser: user, accessToken: TOKEN, envdVersion: '0.6.13' }));
  const d = path.join(work, 'data');
  fs.mkdirSync(d);
  fs.chownSync(d, uid, gid);

  const agent = spawn(agentBin, ['--socket', sock, '--config', path.join(work, 'cfg.json')], { stdio: ['ignore', 'inherit', 'inherit'] });
  for (let i = 0; i < 100 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
  const socat = spawn('socat', ['TCP-LISTEN:49983,bind=127.0.0.1,reuseaddr,fork', `UNIX-CONNECT:${sock}`], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  const base = 'http://localhost:49983';

  after(() => {
    socat.kill();
    agent.kill();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const sbx = new Sandbox({ sandboxId: 'fs-test', envdVersion: '0.6.13', envdAccessToken: TOKEN, debug: true });
  const files = sbx.files;
  // Non-socket fds only: idle keep-alive connections of the HTTP client come and go.
  const agentFds = () => fs.readdirSync(`/proc/${agent.pid}/fd`)
    .map((f) => { try { return fs.readlinkSync(`/proc/${agent.pid}/fd/${f}`); } catch { return 'gone'; } })
    .filter((l) => !l.startsWith('socket:'));
  const fdsAtStart = agentFds();

  test('write + read text/bytes/blob/stream, getInfo', async () => {
    const p = `${d}/hello.txt`;
    const info = await files.write(p, 'hello world\n');
    assert.equal(info.path, p);
    assert.equal(info.name, 'hello.txt');
    assert.equal(info.type, 'file');
    assert.equal(await files.read(p), 'hello world\n');
    assert.deepEqual(Buffer.from(await files.read(p, { format: 'bytes' })), Buffer.from('hello world\n'));
    assert.equal(await (await files.read(p, { format: 'blob' })).text(), 'hello world\n');
    const chunks = [];
    for await (const c of await files.read(p, { format: 'stream' })) chunks.push(Buffer.from(c));
    assert.equal(Buffer.concat(chunks).toString(), 'hello world\n');
    assert.equal(await files.read(p, { gzip: true }), 'hello world\n');

    const st = await files.getInfo(p);
    assert.equal(st.type, FileType.FILE);
    assert.equal(st.size, 12);
    assert.equal(st.mode, 0o644);
    assert.equal(st.permissions, '-rw-r--r--');
    assert.equal(st.owner, user);
    assert.ok(st.modifiedTime instanceof Date && Math.abs(st.modifiedTime - Date.now()) < 60000);
    assert.equal(fs.statSync(p).uid, uid);
    // empty file
    await files.write(`${d}/empty`, '');
    assert.equal(await files.read(`${d}/empty`), '');
  });

  test('write array to nested paths; relative path goes to the home directory', async () => {
    const res = await files.write([
      { path: `${d}/multi/a/one.txt`, data: 'one' },
      { path: `${d}/multi/b/two.bin`, data: new Uint8Array([0, 1, 2, 255]) },
    ]);
    assert.equal(res.length, 2);
    assert.deepEqual(res.map((r) => r.path), [`${d}/multi/a/one.txt`, `${d}/multi/b/two.bin`]);
    assert.equal(await files.read(`${d}/multi/a/one.txt`), 'one');
    assert.deepEqual([...(await files.read(`${d}/multi/b/two.bin`, { format: 'bytes' }))], [0, 1, 2, 255]);
    assert.equal(fs.statSync(`${d}/multi/a`).uid, uid, 'created parents are chowned to the user');

    const rel = `e2b-fs-test-${process.pid}.txt`;
    const r = await files.write(rel, 'rel');
    assert.equal(r.path, path.join(home, rel));
    assert.equal(fs.readFileSync(path.join(home, rel), 'utf8'), 'rel');
    await files.remove(rel);
    assert.equal(fs.existsSync(path.join(home, rel)), false);
  });

  test('octet-stream, gzip, stream body, metadata', async () => {
    await files.write(`${d}/oct.txt`, 'octets', { useOctetStream: true });
    assert.equal(await files.read(`${d}/oct.txt`), 'octets');
    const big = randomBytes(3 << 20);
    await files.write(`${d}/gz.bin`, big, { gzip: true });
    assert.ok(Buffer.from(await files.read(`${d}/gz.bin`, { format: 'bytes' })).equals(big));
    const rs = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('str')); c.enqueue(new TextEncoder().encode('eam')); c.close(); } });
    await files.write(`${d}/stream.txt`, rs);
    assert.equal(await files.read(`${d}/stream.txt`), 'stream');

    const w = await files.write(`${d}/meta.txt`, 'm', { metadata: { Owner: 'alice', kind: 'doc' } });
    assert.deepEqual(w.metadata, { owner: 'alice', kind: 'doc' });
    assert.deepEqual((await files.getInfo(`${d}/meta.txt`)).metadata, { owner: 'alice', kind: 'doc' });
    await files.write(`${d}/meta.txt`, 'm2', { metadata: { kind: 'x' } });
    assert.deepEqual((await files.getInfo(`${d}/meta.txt`)).metadata, { kind: 'x' }, 'upload replaces the metadata set');
    await files.write(`${d}/meta.txt`, 'm3');
    assert.equal((await files.getInfo(`${d}/meta.txt`)).metadata, undefined);
  });

  test('overwrite keeps mode, follows symlinks; directory target rejected', async () => {
    fs.writeFileSync(`${d}/exec.sh`, 'old');
    fs.chmodSync(`${d}/exec.sh`, 0o750);
    await files.write(`${d}/exec.sh`, 'new');
    assert.equal(fs.statSync(`${d}/exec.sh`).mode & 0o777, 0o750);
    fs.symlinkSync(`${d}/exec.sh`, `${d}/link.sh`);
    await files.write(`${d}/link.sh`, 'via link');
    assert.ok(fs.lstatSync(`${d}/link.sh`).isSymbolicLink());
    assert.equal(fs.readFileSync(`${d}/exec.sh`, 'utf8'), 'via link');
    await assert.rejects(files.write(`${d}/multi`, 'x'), InvalidArgumentError);
    await assert.rejects(files.read(`${d}/multi`), InvalidArgumentError);
    await assert.rejects(files.read(`${d}/nope`), FileNotFoundError);
    assert.deepEqual(fs.readdirSync(`${d}`).filter((n) => n.includes('.upload-')), [], 'no temp files left');
  });

  test('list depth 1 and 3, exists, symlinks', async () => {
    fs.mkdirSync(`${d}/tree/x/y/z`, { recursive: true });
    fs.writeFileSync(`${d}/tree/x/y/z/deep.txt`, 'deep');
    fs.writeFileSync(`${d}/tree/b.txt`, 'b');
    fs.symlinkSync(`${d}/tree/x`, `${d}/tree/lx`);
    fs.symlinkSync(`${d}/tree/none`, `${d}/tree/dangling`);
    const l1 = await files.list(`${d}/tree`);
    assert.deepEqual(l1.map((e) => e.name), ['b.txt', 'lx', 'x'], 'dangling link skipped by the SDK');
    const lx = l1.find((e) => e.name === 'lx');
    assert.equal(lx.type, FileType.DIR);
    assert.equal(lx.symlinkTarget, `${d}/tree/x`);
    assert.equal(lx.permissions, 'Lrwxrwxrwx');
    assert.equal(l1.find((e) => e.name === 'x').permissions, 'drwxr-xr-x');
    const l3 = await files.list(`${d}/tree`, { depth: 3 });
    assert.deepEqual(l3.map((e) => e.path), [`${d}/tree/b.txt`, `${d}/tree/lx`, `${d}/tree/x`, `${d}/tree/x/y`, `${d}/tree/x/y/z`]);
    await assert.rejects(files.list(`${d}/nope`), FileNotFoundError);
    await assert.rejects(files.list(`${d}/tree/b.txt`), InvalidArgumentError);
    assert.equal(await files.exists(`${d}/tree/b.txt`), true);
    assert.equal(await files.exists(`${d}/tree/nope`), false);
    await assert.rejects(files.getInfo(`${d}/tree/nope`), FileNotFoundError);
    assert.equal((await files.getInfo(`${d}/tree/../tree/./b.txt`)).path, `${d}/tree/b.txt`);
  });

  test('makeDir twice, rename, remove', async () => {
    assert.equal(await files.makeDir(`${d}/mk/a/b`), true);
    assert.equal(await files.makeDir(`${d}/mk/a/b`), false);
    assert.equal(fs.statSync(`${d}/mk/a`).uid, uid);
    await assert.rejects(files.makeDir(`${d}/hello.txt`), InvalidArgumentError);
    await files.write(`${d}/mk/a/b/f.txt`, 'f');
    const moved = await files.rename(`${d}/mk/a`, `${d}/mv/new/a2`);
    assert.equal(moved.path, `${d}/mv/new/a2`);
    assert.equal(moved.type, FileType.DIR);
    assert.equal(await files.read(`${d}/mv/new/a2/b/f.txt`), 'f');
    await assert.rejects(files.rename(`${d}/nope`, `${d}/nope2`), FileNotFoundError);
    await files.remove(`${d}/mv`);
    assert.equal(fs.existsSync(`${d}/mv`), false);
    await files.remove(`${d}/mv`);  // missing is fine
  });

  test('watchDir recursive with includeEntry', async () => {
    fs.mkdirSync(`${d}/w/sub`, { recursive: true });
    const events = [];
    const h = await files.watchDir(`${d}/w`, (e) => events.push(e), { recursive: true, includeEntry: true, timeoutMs: 30000 });
    fs.writeFileSync(`${d}/w/a.txt`, 'a');
    fs.writeFileSync(`${d}/w/sub/b.txt`, 'b');
    fs.mkdirSync(`${d}/w/new`);
    await new Promise((r) => setTimeout(r, 100));
    fs.writeFileSync(`${d}/w/new/c.txt`, 'c');
    fs.chmodSync(`${d}/w/a.txt`, 0o600);
    fs.renameSync(`${d}/w/a.txt`, `${d}/w/a2.txt`);
    fs.rmSync(`${d}/w/sub/b.txt`);
    await new Promise((r) => setTimeout(r, 500));
    await h.stop();
    const has = (name, type) => events.find((e) => e.name === name && e.type === type);
    assert.ok(has('a.txt', FilesystemEventType.CREATE), JSON.stringify(events));
    assert.ok(has('a.txt', FilesystemEventType.WRITE));
    assert.ok(has('sub/b.txt', FilesystemEventType.CREATE));
    assert.ok(has('new', FilesystemEventType.CREATE));
    assert.ok(has('new/c.txt', FilesystemEventType.CREATE), 'new subdirectories are watched');
    assert.ok(has('a.txt', FilesystemEventType.CHMOD));
    assert.ok(has('a.txt', FilesystemEventType.RENAME));
    assert.ok(has('a2.txt', FilesystemEventType.CREATE));
    assert.ok(has('sub/b.txt', FilesystemEventType.REMOVE));
    const c = has('new/c.txt', FilesystemEventType.CREATE);
    assert.equal(c.entry?.path, `${d}/w/new/c.txt`);
    assert.equal(has('sub/b.txt', FilesystemEventType.REMOVE).entry, undefined);
    await assert.rejects(files.watchDir(`${d}/nope`, () => {}), FileNotFoundError);
  });

  test('presigned URLs and access-token checks on /files', async () => {
    await files.write(`${d}/sig.txt`, 'signed');
    const plain = new Sandbox({ sandboxId: 'fs-test', envdVersion: '0.6.13', envdAccessToken: TOKEN, debug: true });
    const dl = await plain.downloadUrl(`${d}/sig.txt`);
    assert.match(dl, /signature=v1_/);
    let r = await fetch(dl);
    assert.equal(r.status, 200);
    assert.equal(await r.text(), 'signed');
    assert.match(r.headers.get('content-disposition'), /inline; filename="sig.txt"/);
    const dlx = await plain.downloadUrl(`${d}/sig.txt`, { useSignatureExpiration: 60 });
    assert.equal((await fetch(dlx)).status, 200);
    // tampered / expired / missing
    assert.equal((await fetch(dl.replace('signature=v1_', 'signature=v1_x'))).status, 401);
    const { signature, expiration: exp } = await getSignature({ path: `${d}/sig.txt`, operation: 'read', user: undefined, expirationInSeconds: -10, envdAccessToken: TOKEN });
    r = await fetch(`${base}/files?path=${encodeURIComponent(`${d}/sig.txt`)}&signature=${signature}&signature_expiration=${exp}`);
    assert.equal(r.status, 401);
    assert.match((await r.json()).message, /expired/);
    r = await fetch(`${base}/files?path=${encodeURIComponent(`${d}/sig.txt`)}`);
    assert.equal(r.status, 401);
    assert.equal((await r.json()).code, 401);
    // a read signature does not allow writing
    const up = await plain.uploadUrl(`${d}/sig-up.txt`);
    const fd = new FormData();
    fd.append('file', new Blob(['uploaded']), `${d}/sig-up.txt`);
    r = await fetch(up, { method: 'POST', body: fd });
    assert.equal(r.status, 200, await r.clone().text());
    assert.equal(fs.readFileSync(`${d}/sig-up.txt`, 'utf8'), 'uploaded');
    r = await fetch(dl.replace('/files?', '/files?x=1&'), { method: 'POST', body: fd });
    assert.equal(r.status, 401);
    // manual signature, computed like envd
    const raw = `${d}/sig.txt:read:${user}:${TOKEN}`;
    const sig = 'v1_' + createHash('sha256').update(raw).digest('base64').replace(/=+$/, '');
    r = await fetch(`${base}/files?path=${encodeURIComponent(`${d}/sig.txt`)}&username=${user}&signature=${encodeURIComponent(sig)}`);
    assert.equal(r.status, 200);
    r = await fetch(`${base}/files?path=${encodeURIComponent(`${d}/sig.txt`)}&username=nosuchuserxyz`, { headers: { 'X-Access-Token': TOKEN } });
    assert.equal(r.status, 401);
    assert.equal((await r.json()).message, "error looking up user 'nosuchuserxyz'");
  });

  test('raw /files edge cases', async () => {
    const H = { 'X-Access-Token': TOKEN };
    const q = (p) => `${base}/files?path=${encodeURIComponent(p)}`;
    let r = await fetch(q(`${d}/x.txt`), { method: 'POST', headers: { ...H, 'Content-Type': 'text/plain' }, body: 'x' });
    assert.equal(r.status, 400);
    r = await fetch(`${base}/files`, { method: 'POST', headers: { ...H, 'Content-Type': 'application/octet-stream' }, body: 'x' });
    assert.equal(r.status, 400);
    const fd = new FormData();
    fd.append('file', new Blob(['1']), `${d}/dup.txt`);
    fd.append('file', new Blob(['2']), `${d}/dup.txt`);
    r = await fetch(`${base}/files`, { method: 'POST', headers: H, body: fd });
    assert.equal(r.status, 400);
    // other form fields are ignored; full filename respected
    const fd2 = new FormData();
    fd2.append('note', 'ignored');
    fd2.append('file', new Blob(['deep']), `${d}/full/path/name.txt`);
    r = await fetch(`${base}/files`, { method: 'POST', headers: H, body: fd2 });
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), [{ path: `${d}/full/path/name.txt`, name: 'name.txt', type: 'file' }]);
    r = await fetch(q(`${d}/nope`), { headers: H });
    assert.equal(r.status, 404);
    assert.deepEqual(await r.json(), { code: 404, message: `path '${d}/nope' does not exist` });
    r = await fetch(q(`${d}/bad.gz`), { method: 'POST', headers: { ...H, 'Content-Type': 'application/octet-stream', 'Content-Encoding': 'gzip' }, body: 'not gzip' });
    assert.equal(r.status, 400);
    assert.equal(fs.existsSync(`${d}/bad.gz`), false);
    // a fixed Content-Length body above Beast's default 1 MiB header-time limit
    const sized = randomBytes(5 << 20);
    r = await fetch(q(`${d}/sized.bin`), { method: 'POST', headers: { ...H, 'Content-Type': 'application/octet-stream' }, body: sized });
    assert.equal(r.status, 200, await r.clone().text());
    assert.ok(fs.readFileSync(`${d}/sized.bin`).equals(sized));
  });

  test('truncated upload keeps the old file and leaves no temp file', async () => {
    fs.writeFileSync(`${d}/keep.txt`, 'original');
    const net = await import('node:net');
    await new Promise((resolve, reject) => {
      const s = net.connect(sock, () => {
        s.write(`POST /files?path=${encodeURIComponent(`${d}/keep.txt`)} HTTP/1.1\r\nHost: x\r\nX-Access-Token: ${TOKEN}\r\n` +
          'Content-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\npartial data');
        setTimeout(() => s.destroy(), 200);
      });
      s.on('close', resolve);
      s.on('error', reject);
    });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(fs.readFileSync(`${d}/keep.txt`, 'utf8'), 'original');
    assert.deepEqual(fs.readdirSync(d).filter((n) => n.includes('.upload-')), []);
  });

  test('large file streams through (64 MiB multipart + download)', async () => {
    const size = 64 << 20;
    const buf = randomBytes(size);
    await files.write(`${d}/big.bin`, buf);
    assert.equal(fs.statSync(`${d}/big.bin`).size, size);
    const got = Buffer.from(await files.read(`${d}/big.bin`, { format: 'bytes' }));
    assert.ok(got.equals(buf));
    const rss = Number(fs.readFileSync(`/proc/${agent.pid}/status`, 'utf8').match(/VmHWM:\s+(\d+)/)[1]) * 1024;
    assert.ok(rss < 48 << 20, `agent peak RSS ${rss} should stay well below the file size`);
    fs.rmSync(`${d}/big.bin`);
  });

  test('no fd leak in the agent', async () => {
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(agentFds(), fdsAtStart);
  });
}
