/**
 * scripts/kernel-ab.sh, the in-process A/B of the attention kernels: it builds native/ at a
 * git ref and the working tree into one binary and prints one bench line per kernel. Against
 * HEAD with native/ unchanged both sides are the same code, so the outputs must be equal
 * bit for bit (a nonzero difference would mean the harness feeds the two sides differently).
 * The lines cover the attention forward and backward and the training step's products.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const avx512 = existsSync('/proc/cpuinfo') && /\bavx512f\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
const git = spawnSync('git', ['-C', root, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).status === 0;
const gxx = spawnSync('g++', ['--version']).status === 0;
const skip = !avx512 ? 'needs an AVX-512 CPU' : !git ? 'needs the git checkout' : !gxx ? 'needs g++' : false;

test('kernel-ab: one JSON line per kernel, and HEAD against an unchanged tree differs in nothing', { skip }, () => {
  const r = spawnSync('bash', [root + 'scripts/kernel-ab.sh', 'HEAD', '300', '--', '1', '1'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, number | string | null>);
  const products = ['qkv', 'o', 'gate_up', 'down', 'lm_head'].flatMap((w) => ['fwd', 'dx', 'dw'].map((k) => `sgemm_${w}_${k}`));
  assert.deepEqual(lines.map((l) => l.bench), ['attention_fwd', 'attention_bwd', ...products, 'sgemm_square', 'sgemm_square', 'sgemm_square']);
  assert.deepEqual(lines.slice(-3).map((l) => l.shape), ['2048x512x512', '2048x512x2048', '1024x1024x1024']);
  assert.equal(lines[0]!.shape, 'T=300,H=4,Hkv=2,D=64,causal');
  assert.equal(lines.find((l) => l.bench === 'sgemm_down_dw')!.shape, '256x704x300,ta');
  for (const l of lines) {
    // The contracts' bench line: the working tree is ours, the ref the peer.
    for (const key of ['bench', 'shape', 'threads', 'gflops', 'pct_peak', 'peer', 'vs_peer']) assert.ok(key in l, `${l.bench}: no ${key}`);
    assert.equal(l.peer, 'native/ at HEAD');
    assert.equal(l.threads, 1);
    assert.ok(Number(l.gflops) > 0 && Number(l.best_s) > 0 && Number(l.peer_best_s) > 0 && Number.isFinite(Number(l.vs_peer)));
  }
  const nativeChanged = spawnSync('git', ['-C', root, 'diff', '--quiet', 'HEAD', '--', 'native'], { encoding: 'utf8' }).status !== 0;
  if (!nativeChanged) for (const l of lines) assert.equal(l.max_abs_diff, 0, `${l.bench}: same code, different output`);
});

test('kernel-ab: a bad argument is refused with a message', { skip }, () => {
  const r = spawnSync('bash', [root + 'scripts/kernel-ab.sh', 'no-such-ref'], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /no-such-ref/);
});
