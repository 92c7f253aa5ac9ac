import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

test('longrl --help lists the commands that exist', () => {
  const res = spawnSync(process.execPath, ['bin/longrl.js', '--help'], { encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  assert.match(res.stdout, /Usage: longrl/);
  assert.match(res.stdout, /Commands:/);
});
