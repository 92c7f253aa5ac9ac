/** AdamW + clipping against a float64 hand computation; LR schedules; cross-entropy loss. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdamW } from '../../src/model/optim.ts';
import { learningRateAt } from '../../src/model/schedule.ts';
import { crossEntropyLoss } from '../../src/model/losses.ts';
import { getKernels } from '../../src/engine/index.ts';

test('AdamW with global-norm clipping matches a float64 reference over 3 steps', () => {
  const k = getKernels();
  const p = Float32Array.from([0.5, -1, 2, 0.1]);
  const ref = Array.from(p, Number);
  const opt = new AdamW(p.length);
  const m = [0, 0, 0, 0], v = [0, 0, 0, 0];
  const hp = { learningRate: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, gradClipNorm: 1 };
  for (let step = 1; step <= 3; step++) {
    const g = [3 * step, -4, 0.5, 1];
    const grads = Float32Array.from(g);
    const r = opt.apply(k, p, grads, hp);
    const norm = Math.sqrt(g.reduce((a, x) => a + x * x, 0));
    assert.ok(Math.abs(r.gradNorm - norm) < 1e-9 * norm);
    assert.equal(r.step, step);
    assert.ok(grads.every((x) => x === 0), 'gradients zeroed');
    const c = Math.min(1, 1 / (norm + 1e-6));
    for (let i = 0; i < 4; i++) {
      const gi = g[i]! * c;
      m[i] = 0.9 * m[i]! + 0.1 * gi;
      v[i] = 0.99 * v[i]! + 0.01 * gi * gi;
      const mh = m[i]! / (1 - 0.9 ** step);
      const vh = v[i]! / (1 - 0.99 ** step);
      ref[i] = ref[i]! * (1 - 0.1 * 0.1) - 0.1 * mh / (Math.sqrt(vh) + 1e-8);
    }
  }
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(p[i]! - ref[i]!) < 1e-5, `${p[i]} vs ${ref[i]}`);
});

test('learning-rate schedules: warmup, linear, cosine', () => {
  const s = { lr: 1, warmupSteps: 10, totalSteps: 110 };
  assert.equal(learningRateAt({ ...s, type: 'constant' }, 0), 0);
  assert.equal(learningRateAt({ ...s, type: 'constant' }, 5), 0.5);
  assert.equal(learningRateAt({ ...s, type: 'constant' }, 50), 1);
  assert.equal(learningRateAt({ ...s, type: 'linear' }, 60), 0.5);
  assert.equal(learningRateAt({ ...s, type: 'linear' }, 110), 0);
  assert.ok(Math.abs(learningRateAt({ ...s, type: 'cosine' }, 60) - 0.5) < 1e-12);
  assert.ok(Math.abs(learningRateAt({ ...s, type: 'cosine', minLrRatio: 0.1 }, 110) - 0.1) < 1e-12);
});

test('learning-rate schedule wsd: warmup, the peak until the last decayRatio of the steps, linear to the floor', () => {
  const s = { type: 'wsd' as const, lr: 1, warmupSteps: 10, totalSteps: 110, minLrRatio: 0.1 };
  assert.equal(learningRateAt(s, 5), 0.5);
  assert.equal(learningRateAt(s, 87), 1); // decay starts at 110 - 22 = 88
  assert.equal(learningRateAt(s, 88), 1);
  assert.ok(Math.abs(learningRateAt(s, 99) - (0.1 + 0.9 * 0.5)) < 1e-12);
  assert.ok(Math.abs(learningRateAt(s, 110) - 0.1) < 1e-12);
  assert.ok(Math.abs(learningRateAt({ ...s, decayRatio: 0.5 }, 66) - (0.1 + 0.9 * 0.8)) < 1e-12); // decay from 55
  // a decay longer than the steps after warmup starts at the end of warmup
  assert.equal(learningRateAt({ ...s, decayRatio: 1 }, 10), 1);
  assert.ok(learningRateAt({ ...s, decayRatio: 1 }, 11) < 1);
});

test('cross-entropy: weighted token mean and sum', () => {
  const datums = [
    { inputTokens_T: new Int32Array(3), targetTokens_T: new Int32Array(3), mask_T: Float32Array.from([0, 1, 1]) },
    { inputTokens_T: new Int32Array(2), targetTokens_T: new Int32Array(2), mask_T: Float32Array.from([2, 0]) },
  ];
  const logprobs = [Float32Array.from([-9, -1, -2]), Float32Array.from([-0.5, -7])];
  const mean = crossEntropyLoss()({ datums, logprobs, entropy: null });
  assert.ok(Math.abs(mean.loss - (1 + 2 + 2 * 0.5) / 4) < 1e-12);
  assert.deepEqual(Array.from(mean.dLogprobs[0]!), [-0, -0.25, -0.25]);
  assert.deepEqual(Array.from(mean.dLogprobs[1]!), [-0.5, -0]);
  const sum = crossEntropyLoss({ normalize: 'sum' })({ datums, logprobs, entropy: null });
  assert.ok(Math.abs(sum.loss - 4) < 1e-12);
});
