import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { nativeKernels } from '../../src/engine/index.ts';

const root = new URL('../../', import.meta.url).pathname;
const cli = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['bin/longrl.js', 'engine', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });

test('longrl engine prints the backend as JSON', () => {
  const r = cli([]);
  assert.equal(r.status, 0, r.stderr);
  const o = JSON.parse(r.stdout) as { backend: string; isa: string; threads: number; cores: number; features: Record<string, boolean> };
  const nat = nativeKernels();
  assert.equal(o.backend, nat ? 'native' : 'js');
  if (nat) {
    assert.ok(['avx512', 'avx2', 'portable'].includes(o.isa));
    assert.ok(o.threads >= 1 && o.threads <= o.cores);
    assert.equal(typeof o.features.avx2, 'boolean');
  }
});

test('longrl engine --threads 1; LONGRL_BACKEND=js reports the fallback and why', () => {
  const r = cli(['--threads', '1']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { threads: number }).threads, 1);
  const j = cli([], { LONGRL_BACKEND: 'js' });
  assert.equal(j.status, 0, j.stderr);
  const o = JSON.parse(j.stdout) as { backend: string; isa: string; fallbackReason: string };
  assert.deepEqual([o.backend, o.isa, o.fallbackReason], ['js', 'js', 'LONGRL_BACKEND=js']);
  const bad = cli(['--threads', 'x']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--threads must be a positive integer/);
});
