// Filesystem service + /files through the SDK.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { FileNotFoundError, NotFoundError, FileType } from 'e2b';
import { useServer, createSandbox, killTrackedAfter, sleep, waitFor } from './harness.mjs';

const srv = await useServer();
await killTrackedAfter();

let sbx;
before(async () => { sbx = await createSandbox({ metadata: { suite: 'files' } }); });

const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');
const ab = (buf) => buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);

describe('files', { concurrency: true }, () => {
  test('write/read text (absolute and relative to home), result info', async () => {
    const info = await sbx.files.write('/home/user/t/hello.txt', 'hello wörld\n');
    assert.equal(info.path, '/home/user/t/hello.txt');
    assert.equal(info.name, 'hello.txt');
    assert.equal(await sbx.files.read('/home/user/t/hello.txt'), 'hello wörld\n');
    await sbx.files.write('rel-dir/rel.txt', 'relative');
    assert.equal(await sbx.files.read('/home/user/rel-dir/rel.txt'), 'relative');
    assert.equal(await sbx.files.read('rel-dir/rel.txt'), 'relative');
    // overwrite truncates
    await sbx.files.write('/home/user/t/hello.txt', 'x');
    assert.equal(await sbx.files.read('/home/user/t/hello.txt'), 'x');
  });

  test('write/read bytes: 8 MiB random binary, hashes match (SDK and in-sandbox sha256sum)', async () => {
    const data = crypto.randomBytes(8 * 1024 * 1024);
    await sbx.files.write('/home/user/big.bin', ab(data));
    const got = await sbx.files.read('/home/user/big.bin', { format: 'bytes' });
    assert.equal(got.byteLength, data.length);
    assert.equal(sha(got), sha(data));
    const r = await sbx.commands.run('sha256sum /home/user/big.bin; stat -c %s /home/user/big.bin');
    assert.equal(r.stdout, `${sha(data)}  /home/user/big.bin\n${data.length}\n`);
    const blob = await sbx.files.read('/home/user/big.bin', { format: 'blob' });
    assert.equal(sha(Buffer.from(await blob.arrayBuffer())), sha(data));
  });

  test('read as stream', async () => {
    const data = crypto.randomBytes(3 * 1024 * 1024 + 17);
    await sbx.files.write('/home/user/stream.bin', ab(data));
    const stream = await sbx.files.read('/home/user/stream.bin', { format: 'stream' });
    const parts = [];
    for await (const c of stream) parts.push(Buffer.from(c));
    assert.equal(sha(Buffer.concat(parts)), sha(data));
  });

  test('write an array of files (multipart with full-path filenames)', async () => {
    const res = await sbx.files.write([
      { path: '/home/user/multi/a.txt', data: 'A' },
      { path: '/home/user/multi/sub/b.txt', data: 'B' },
      { path: '/tmp/multi-c.txt', data: 'C' },
    ]);
    assert.equal(res.length, 3);
    assert.deepEqual(res.map((x) => x.path).sort(), ['/home/user/multi/a.txt', '/home/user/multi/sub/b.txt', '/tmp/multi-c.txt']);
    assert.equal(await sbx.files.read('/home/user/multi/a.txt'), 'A');
    assert.equal(await sbx.files.read('/home/user/multi/sub/b.txt'), 'B');
    assert.equal(await sbx.files.read('/tmp/multi-c.txt'), 'C');
    // no stray base-named copies in home
    assert.equal(await sbx.files.exists('/home/user/a.txt'), false);
  });

  test('gzip and octet-stream uploads, gzip download', async () => {
    const data = crypto.randomBytes(256 * 1024);
    await sbx.files.write('/home/user/gz/up.bin', ab(data), { gzip: true });
    assert.equal(sha(await sbx.files.read('/home/user/gz/up.bin', { format: 'bytes' })), sha(data));
    await sbx.files.write('/home/user/gz/oct.bin', ab(data), { useOctetStream: true });
    assert.equal(sha(await sbx.files.read('/home/user/gz/oct.bin', { format: 'bytes', gzip: true })), sha(data));
    const text = 'compressible '.repeat(10000);
    await sbx.files.write('/home/user/gz/t.txt', text, { gzip: true });
    assert.equal(await sbx.files.read('/home/user/gz/t.txt', { gzip: true }), text);
  });

  test('list with depth', async () => {
    await sbx.commands.run('mkdir -p /home/user/tree/a/b/c && echo 1 > /home/user/tree/f1 && echo 2 > /home/user/tree/a/f2 && echo 3 > /home/user/tree/a/b/f3');
    const d1 = await sbx.files.list('/home/user/tree');
    assert.deepEqual(d1.map((e) => e.path).sort(), ['/home/user/tree/a', '/home/user/tree/f1']);
    const a = d1.find((e) => e.name === 'a');
    assert.equal(a.type, FileType.DIR);
    const f1 = d1.find((e) => e.name === 'f1');
    assert.equal(f1.type, FileType.FILE);
    assert.equal(f1.size, 2);
    const d2 = await sbx.files.list('/home/user/tree', { depth: 2 });
    assert.deepEqual(d2.map((e) => e.path).sort(), ['/home/user/tree/a', '/home/user/tree/a/b', '/home/user/tree/a/f2', '/home/user/tree/f1']);
    const d9 = await sbx.files.list('/home/user/tree', { depth: 9 });
    assert.deepEqual(d9.map((e) => e.path).sort(), ['/home/user/tree/a', '/home/user/tree/a/b', '/home/user/tree/a/b/c', '/home/user/tree/a/b/f3', '/home/user/tree/a/f2', '/home/user/tree/f1']);
    await assert.rejects(sbx.files.list('/home/user/no-such-dir'), NotFoundError);
  });

  test('exists / getInfo (type, size, permissions, owner)', async () => {
    await sbx.files.write('/home/user/info.txt', '12345');
    assert.equal(await sbx.files.exists('/home/user/info.txt'), true);
    assert.equal(await sbx.files.exists('/home/user/nope.txt'), false);
    const fi = await sbx.files.getInfo('/home/user/info.txt');
    assert.equal(fi.name, 'info.txt');
    assert.equal(fi.path, '/home/user/info.txt');
    assert.equal(fi.type, FileType.FILE);
    assert.equal(fi.size, 5);
    assert.equal(fi.permissions, '-rw-r--r--');
    assert.equal(fi.mode, 0o644);
    assert.equal(fi.owner, 'user');
    assert.equal(fi.group, 'user');
    assert.ok(fi.modifiedTime instanceof Date && Math.abs(fi.modifiedTime.getTime() - Date.now()) < 60_000, `modifiedTime ${fi.modifiedTime}`);
    const di = await sbx.files.getInfo('/home/user');
    assert.equal(di.type, FileType.DIR);
    assert.match(di.permissions, /^d/);
    assert.equal(di.owner, 'user');
    await sbx.commands.run('ln -sf /home/user/info.txt /home/user/info-link');
    const li = await sbx.files.getInfo('/home/user/info-link');
    assert.equal(li.symlinkTarget, '/home/user/info.txt');
    await assert.rejects(sbx.files.getInfo('/home/user/nope.txt'), FileNotFoundError);
  });

  test('makeDir (true, then false), rename, remove (missing path does not throw)', async () => {
    assert.equal(await sbx.files.makeDir('/home/user/mk/a/b'), true);
    assert.equal(await sbx.files.makeDir('/home/user/mk/a/b'), false);
    assert.equal((await sbx.files.getInfo('/home/user/mk/a')).owner, 'user');
    await sbx.files.write('/home/user/mk/old.txt', 'move me');
    const moved = await sbx.files.rename('/home/user/mk/old.txt', '/home/user/mk/new/place.txt');
    assert.equal(moved.path, '/home/user/mk/new/place.txt');
    assert.equal(await sbx.files.exists('/home/user/mk/old.txt'), false);
    assert.equal(await sbx.files.read('/home/user/mk/new/place.txt'), 'move me');
    await assert.rejects(sbx.files.rename('/home/user/mk/missing', '/home/user/mk/x'), NotFoundError);
    await sbx.files.remove('/home/user/mk');
    assert.equal(await sbx.files.exists('/home/user/mk'), false);
    await sbx.files.remove('/home/user/mk'); // missing path: no throw
    await sbx.files.remove('/home/user/never-existed/deeper');
  });

  test('read of a missing file -> FileNotFoundError; reading a directory fails', async () => {
    await assert.rejects(sbx.files.read('/home/user/missing.txt'), FileNotFoundError);
    await assert.rejects(sbx.files.read('/home/user'));
  });

  test('files written by a command are visible to files.read and vice versa; ownership', async () => {
    await sbx.commands.run('printf "from-cmd" > /home/user/x-cmd.txt');
    assert.equal(await sbx.files.read('/home/user/x-cmd.txt'), 'from-cmd');
    await sbx.files.write('/home/user/x-sdk.txt', 'from-sdk');
    const r = await sbx.commands.run('cat /home/user/x-sdk.txt; stat -c " %U %a" /home/user/x-sdk.txt');
    assert.equal(r.stdout, 'from-sdk user 644\n');
    // /tmp is shared between commands and files
    await sbx.files.write('/tmp/shared.txt', 'tmp-ok');
    assert.equal((await sbx.commands.run('cat /tmp/shared.txt')).stdout, 'tmp-ok');
  });

  test('user root writes to /root; user cannot read it', async () => {
    await sbx.files.write('/root/secret.txt', 'root-only', { user: 'root' });
    assert.equal(await sbx.files.read('/root/secret.txt', { user: 'root' }), 'root-only');
    const info = await sbx.files.getInfo('/root/secret.txt', { user: 'root' });
    assert.equal(info.owner, 'root');
    const r = await sbx.commands.run('cat /root/secret.txt', { user: 'root' });
    assert.equal(r.stdout, 'root-only');
    await assert.rejects(sbx.commands.run('cat /root/secret.txt'));
    await assert.rejects(sbx.files.read('/root/secret.txt'));
    // relative paths resolve against the user's home
    await sbx.files.write('rootrel.txt', 'rr', { user: 'root' });
    assert.equal((await sbx.commands.run('cat /root/rootrel.txt', { user: 'root' })).stdout, 'rr');
  });

  test('uploadUrl / downloadUrl (presigned) with plain fetch', async () => {
    const up = await sbx.uploadUrl('/home/user/presigned/up.txt');
    const u = new URL(up);
    assert.equal(u.origin, new URL(srv.url).origin, 'presigned URLs point at E2B_SANDBOX_URL');
    assert.ok(u.searchParams.get('signature')?.startsWith('v1_'), 'signature param');
    const fd = new FormData();
    fd.append('file', new Blob(['presigned-content']), 'ignored-name.txt');
    let res = await fetch(up, { method: 'POST', body: fd });
    assert.equal(res.status, 200, `upload status ${res.status}: ${await res.clone().text()}`);
    assert.equal(await sbx.files.read('/home/user/presigned/up.txt'), 'presigned-content');

    const down = await sbx.downloadUrl('/home/user/presigned/up.txt');
    res = await fetch(down);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'presigned-content');

    // tampered signature / wrong path -> 401
    const bad = new URL(down); bad.searchParams.set('signature', 'v1_AAAA');
    assert.equal((await fetch(bad)).status, 401);
    const other = new URL(down); other.searchParams.set('path', '/home/user/presigned/other.txt');
    assert.equal((await fetch(other)).status, 401, 'signature must cover the path');
    // signature for read does not allow write
    res = await fetch(down, { method: 'POST', body: fd });
    assert.equal(res.status, 401, 'read signature must not authorize an upload');

    // expiring signatures
    const exp = await sbx.downloadUrl('/home/user/presigned/up.txt', { useSignatureExpiration: 60 });
    assert.ok(new URL(exp).searchParams.get('signature_expiration'));
    res = await fetch(exp);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    const expired = await sbx.downloadUrl('/home/user/presigned/up.txt', { useSignatureExpiration: 1 });
    await sleep(2100);
    assert.equal((await fetch(expired)).status, 401, 'expired signature rejected');
  });

  test('watchDir: create/write/remove events from a command, recursive', async () => {
    await sbx.files.makeDir('/home/user/watched/sub');
    const events = [];
    const handle = await sbx.files.watchDir('/home/user/watched', (e) => events.push(e), { recursive: true, timeoutMs: 30_000 });
    try {
      await sleep(200);
      await sbx.commands.run('echo one > /home/user/watched/f.txt; echo two >> /home/user/watched/f.txt; echo deep > /home/user/watched/sub/deep.txt; rm /home/user/watched/f.txt');
      const has = (name, type) => events.some((e) => e.name === name && e.type === type);
      await waitFor(() => has('f.txt', 'create') && has('f.txt', 'write') && has('f.txt', 'remove') && has('sub/deep.txt', 'create'),
        { timeoutMs: 5000, what: 'watch events; got ' + JSON.stringify(events.map((e) => [e.name, e.type])) });
      assert.ok(has('sub/deep.txt', 'write'));
    } finally {
      await handle.stop();
    }
    // non-recursive watch does not see sub-dir events
    const flat = [];
    const h2 = await sbx.files.watchDir('/home/user/watched', (e) => flat.push(e), { timeoutMs: 30_000 });
    try {
      await sleep(200);
      await sbx.commands.run('echo x > /home/user/watched/sub/deep2.txt; echo y > /home/user/watched/top.txt');
      await waitFor(() => flat.some((e) => e.name === 'top.txt'), { timeoutMs: 5000, what: 'top-level event' });
      await sleep(300);
      assert.ok(!flat.some((e) => e.name.includes('deep2')), 'non-recursive watch reported a sub-dir event');
    } finally {
      await h2.stop();
    }
    await assert.rejects(sbx.files.watchDir('/home/user/not-a-dir-xyz', () => {}), NotFoundError);
  });
});
