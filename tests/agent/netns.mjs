// Runs an agent test file's suite inside a private network namespace (root only), where the SDK's
// fixed debug ports (49983, 49999) cannot collide with anything else on the machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Outside the namespace: one test that re-runs this file inside it (with `flag` set) and passes
// when the inner run passes. Inside: runs `inner`.
export async function suiteInPrivateNetns({ fileUrl, flag, title, skipReason, inner }) {
  if (process.env[flag]) return inner();
  test(title, { skip: skipReason ?? false }, () => {
    const env = { ...process.env, [flag]: '1' };
    delete env.NODE_TEST_CONTEXT;  // the inner run is its own top-level test process
    const r = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$0" "$1"', process.execPath, fileURLToPath(fileUrl)],
      { stdio: 'inherit', env });
    assert.equal(r.status, 0, 'inner suite failed (see output above)');
  });
}
