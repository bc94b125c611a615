// Raw HTTP against the server: error shapes, routing, auth (no SDK in between).
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { useServer, createSandbox, killTrackedAfter, randomKey, sleep } from './harness.mjs';

const srv = await useServer();
await killTrackedAfter();

let sbx;
before(async () => { sbx = await createSandbox({ metadata: { suite: 'api' }, envs: { API_ENV: 'yes' } }); });

const api = (p, init = {}) => fetch(srv.url + p, { ...init, headers: { 'X-API-KEY': srv.apiKey, ...(init.headers || {}) } });
const unknownId = () => 'i' + crypto.randomBytes(10).toString('hex');

async function jsonError(res, status) {
  const text = await res.text();
  assert.equal(res.status, status, `status ${res.status}, body ${text}`);
  let body;
  try { body = JSON.parse(text); } catch { assert.fail(`error body is not JSON: ${text}`); }
  assert.equal(typeof body.message, 'string', `message in ${text}`);
  return body;
}

describe('raw api', { concurrency: true }, () => {
  test('GET /health -> 204 (openapi.yml: "The service is healthy")', async () => {
    const r = await fetch(srv.url + '/health');
    assert.equal(r.status, 204);
  });

  test('malformed JSON on POST /sandboxes -> 400 {code,message}', async () => {
    const r = await api('/sandboxes', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"templateID": "base",' });
    const b = await jsonError(r, 400);
    assert.equal(b.code, 400);
    const r2 = await api('/sandboxes', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"templateID":"base","timeout":-5}' });
    assert.equal((await jsonError(r2, 400)).code, 400);
  });

  test('bad or missing key -> 401 {code,message}', async () => {
    for (const headers of [{ 'X-API-KEY': randomKey() }, {}]) {
      const r = await fetch(srv.url + '/v2/sandboxes', { headers });
      assert.equal((await jsonError(r, 401)).code, 401);
      const c = await fetch(srv.url + '/sandboxes', { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: '{"templateID":"base"}' });
      assert.equal((await jsonError(c, 401)).code, 401);
    }
  });

  test('unknown sandbox on the control plane -> 404 {code,message}', async () => {
    assert.equal((await jsonError(await api(`/sandboxes/${unknownId()}`), 404)).code, 404);
    assert.equal((await jsonError(await api(`/sandboxes/${unknownId()}`, { method: 'DELETE' }), 404)).code, 404);
    const p = await api(`/sandboxes/${unknownId()}/connect`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"timeout":10}' });
    assert.equal((await jsonError(p, 404)).code, 404);
  });

  test('create with chunked body + telemetry headers, legacy composite id, list headers', async () => {
    const body = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('{"templateID":"base","timeout":60,"metadata":{"suite":"api-raw"},')); c.enqueue(new TextEncoder().encode('"secure":true,"allow_internet_access":true}')); c.close(); } });
    const r = await api('/sandboxes', { method: 'POST', headers: { 'Content-Type': 'application/json', lang_version: 'v20', sdk_runtime: 'node' }, body, duplex: 'half' });
    const text = await r.text();
    assert.equal(r.status, 201, text);
    const s = JSON.parse(text);
    await import('./harness.mjs').then((h) => h.track(s.sandboxID));
    assert.match(s.sandboxID, /^[a-z0-9]+$/);
    assert.equal(s.clientID, '6532622b');
    assert.equal(typeof s.envdVersion, 'string');
    assert.equal(typeof s.envdAccessToken, 'string');
    assert.ok(s.envdAccessToken.length > 0);
    const g = await api(`/sandboxes/${s.sandboxID}-6532622b`);
    assert.equal(g.status, 200, 'legacy <id>-<clientID> form is accepted');
    assert.equal((await g.json()).sandboxID, s.sandboxID);
    const l = await api('/v2/sandboxes?state=running,paused&limit=100&metadata=' + encodeURIComponent('suite=api-raw'));
    assert.equal(l.status, 200);
    const arr = await l.json();
    assert.deepEqual(arr.map((x) => x.sandboxID), [s.sandboxID]);
    assert.equal(l.headers.get('x-next-token'), null);
    const bad = await api('/v2/sandboxes?nextToken=definitely-not-a-token');
    assert.equal(bad.status, 400);
    await bad.arrayBuffer();
    const d = await api(`/sandboxes/${s.sandboxID}`, { method: 'DELETE' });
    assert.equal(d.status, 204);
  });

  test('data plane: unknown sandbox -> 502 JSON', async () => {
    const id = unknownId();
    const r = await fetch(srv.url + '/health', { headers: { 'E2b-Sandbox-Id': id, 'E2b-Sandbox-Port': '49983' } });
    const b = await jsonError(r, 502);
    assert.equal(b.code, 502);
    assert.equal(b.sandboxId, id);
    const rpc = await fetch(srv.url + '/process.Process/List', { method: 'POST', headers: { 'E2b-Sandbox-Id': id, 'E2b-Sandbox-Port': '49983', 'Content-Type': 'application/json', 'Connect-Protocol-Version': '1' }, body: '{}' });
    assert.equal(rpc.status, 502);
    await rpc.arrayBuffer();
  });

  test('data plane: missing one routing header -> 400', async () => {
    const base = { 'Content-Type': 'application/json', 'Connect-Protocol-Version': '1', 'X-Access-Token': sbx.envdAccessToken };
    const a = await fetch(srv.url + '/process.Process/List', { method: 'POST', headers: { ...base, 'E2b-Sandbox-Id': sbx.sandboxId }, body: '{}' });
    assert.equal(a.status, 400, 'only E2b-Sandbox-Id');
    await a.arrayBuffer();
    const b = await fetch(srv.url + '/process.Process/List', { method: 'POST', headers: { ...base, 'E2b-Sandbox-Port': '49983' }, body: '{}' });
    assert.equal(b.status, 400, 'only E2b-Sandbox-Port');
    await b.arrayBuffer();
  });

  test('envd /metrics: the sandbox\'s limits and its own usage', async () => {
    const route = { 'E2b-Sandbox-Id': sbx.sandboxId, 'E2b-Sandbox-Port': '49983', 'X-Access-Token': sbx.envdAccessToken };
    const info = await sbx.getInfo();
    await sbx.commands.run('python3 -c "x = bytearray(64 << 20); import time; time.sleep(3)"', { background: true });
    await sleep(1500);
    const m = await (await fetch(srv.url + '/metrics', { headers: route })).json();
    assert.equal(m.cpu_count, info.cpuCount);
    assert.equal(m.mem_total, info.memoryMB * 1024 * 1024);
    assert.ok(m.mem_used >= 64 * 1024 * 1024 && m.mem_used < m.mem_total, `mem_used ${m.mem_used}`);
    assert.ok(m.cpu_used_pct >= 0 && m.cpu_used_pct <= 100 * m.cpu_count, `cpu_used_pct ${m.cpu_used_pct}`);
    assert.ok(m.disk_total > 0 && m.disk_used > 0);
  });

  test('envd: health 204, access token enforced (401), unknown method 404 unimplemented, /envs', async () => {
    const route = { 'E2b-Sandbox-Id': sbx.sandboxId, 'E2b-Sandbox-Port': '49983' };
    const h = await fetch(srv.url + '/health', { headers: route });
    assert.equal(h.status, 204);
    const rpcHeaders = { ...route, 'Content-Type': 'application/json', 'Connect-Protocol-Version': '1' };
    const noTok = await fetch(srv.url + '/process.Process/List', { method: 'POST', headers: rpcHeaders, body: '{}' });
    assert.equal(noTok.status, 401, 'RPC without X-Access-Token on a secure sandbox');
    await noTok.arrayBuffer();
    const badTok = await fetch(srv.url + '/process.Process/List', { method: 'POST', headers: { ...rpcHeaders, 'X-Access-Token': 'wrong' }, body: '{}' });
    assert.equal(badTok.status, 401);
    await badTok.arrayBuffer();
    const filesNoTok = await fetch(srv.url + '/files?path=/etc/hostname', { headers: route });
    assert.equal(filesNoTok.status, 401, 'GET /files without token or signature');
    await filesNoTok.arrayBuffer();
    const ok = await fetch(srv.url + '/process.Process/List', { method: 'POST', headers: { ...rpcHeaders, 'X-Access-Token': sbx.envdAccessToken }, body: '{}' });
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get('content-type'), /^application\/json/);
    assert.ok(Array.isArray((await ok.json()).processes ?? []));
    const um = await fetch(srv.url + '/process.Process/NoSuchMethod', { method: 'POST', headers: { ...rpcHeaders, 'X-Access-Token': sbx.envdAccessToken }, body: '{}' });
    assert.equal(um.status, 404);
    assert.equal((await um.json()).code, 'unimplemented');
    const nf = await fetch(srv.url + '/filesystem.Filesystem/Stat', { method: 'POST', headers: { ...rpcHeaders, 'X-Access-Token': sbx.envdAccessToken }, body: '{"path":"/nope/nope"}' });
    assert.equal(nf.status, 404);
    assert.equal((await nf.json()).code, 'not_found');
    const envs = await fetch(srv.url + '/envs', { headers: { ...route, 'X-Access-Token': sbx.envdAccessToken } });
    assert.equal(envs.status, 200);
    const e = await envs.json();
    assert.equal(e.API_ENV, 'yes');
  });

  test('streaming Start over raw Connect framing: start first, end, end-of-stream frame', async () => {
    const msg = Buffer.from(JSON.stringify({ process: { cmd: '/bin/bash', args: ['-l', '-c', 'echo raw; exit 4'] }, stdin: false }));
    const env = Buffer.alloc(5); env.writeUInt32BE(msg.length, 1);
    const r = await fetch(srv.url + '/process.Process/Start', {
      method: 'POST',
      headers: { 'E2b-Sandbox-Id': sbx.sandboxId, 'E2b-Sandbox-Port': '49983', 'X-Access-Token': sbx.envdAccessToken, 'Content-Type': 'application/connect+json', 'Connect-Protocol-Version': '1', 'Connect-Timeout-Ms': '10000', 'Keepalive-Ping-Interval': '50' },
      body: Buffer.concat([env, msg]),
    });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^application\/connect\+json/);
    let buf = Buffer.from(await r.arrayBuffer());
    const frames = [];
    while (buf.length >= 5) { const len = buf.readUInt32BE(1); frames.push({ flags: buf[0], json: JSON.parse(buf.subarray(5, 5 + len).toString()) }); buf = buf.subarray(5 + len); }
    assert.equal(buf.length, 0, 'no trailing garbage');
    assert.ok(frames[0].json.event.start.pid > 0, 'start event first');
    const last = frames[frames.length - 1];
    assert.equal(last.flags & 2, 2, 'end-of-stream frame last');
    assert.deepEqual(last.json, {});
    const end = frames.find((f) => f.json.event?.end)?.json.event.end;
    assert.equal(end.exitCode, 4);
    assert.equal(end.exited, true);
    assert.equal(end.status, 'exit status 4');
    const out = frames.filter((f) => f.json.event?.data?.stdout).map((f) => Buffer.from(f.json.event.data.stdout, 'base64').toString()).join('');
    assert.equal(out, 'raw\n');
  });
});
