import { test } from 'node:test';
import assert from 'node:assert/strict';
import { klPenalty, KL_KINDS, applyKlInReward, updateAdaptiveKlCoef } from '../../src/rl/index.ts';
import { UserError } from '../../src/util/errors.ts';
import { close, closeArray } from './helpers.ts';

test('k1/k2/k3 at x = ±30 hit the reference clamps', () => {
  // x = logπ − logπ_ref
  const at = (kind: Parameters<typeof klPenalty>[0], x: number) => klPenalty(kind, x, 0);
  assert.deepEqual(at('k1', 30), { value: 30, grad: 1 });
  assert.deepEqual(at('kl', -30), { value: -30, grad: 1 });
  assert.deepEqual(at('k2', 30), { value: 450, grad: 30 });
  assert.deepEqual(at('mse', -30), { value: 450, grad: -30 });
  assert.deepEqual(at('abs', -30), { value: 30, grad: -1 });
  // k3, x = 30: y = clamp(−30) = −20 → e^−20 + 19 ≈ 19 → clamped to 10, no gradient
  assert.deepEqual(at('k3', 30), { value: 10, grad: 0 });
  // k3, x = −30: y = 20 → e^20 − 21 → clamped to 10, no gradient
  assert.deepEqual(at('low_var_kl', -30), { value: 10, grad: 0 });
  // k3, x = −3: y = 3 → e^3 − 4 = 16.09 → clamped to 10
  assert.deepEqual(at('k3', -3), { value: 10, grad: 0 });
  // "+" kinds: forward value of the base, gradient of k2 (= x)
  assert.deepEqual(at('k3+', 30), { value: 10, grad: 30 });
  assert.deepEqual(at('k1+', -30), { value: -30, grad: -30 });
});

test('k3 inside the clamps: e^y − y − 1 and 1 − e^y (hand values)', () => {
  // x = 0.5: y = −0.5 → e^−0.5 − 0.5 = 0.10653065971263342; ∂ = 1 − e^−0.5 = 0.3934693402873666
  const a = klPenalty('k3', 0.5, 0);
  close(a.value, 0.10653065971263342, 1e-12);
  close(a.grad, 0.3934693402873666, 1e-12);
  // x = −2 (ref above π): y = 2 → e² − 3 = 4.38905609893065; ∂ = 1 − e² = −6.38905609893065
  const b = klPenalty('k3', -1.25, 0.75);
  close(b.value, 4.38905609893065, 1e-12);
  close(b.grad, -6.38905609893065, 1e-12);
  close(klPenalty('k3+', 0.5, 0).grad, 0.5, 0);
});

test('every kind: gradient = central difference (sg terms held fixed)', () => {
  const xs = [-2.7, -0.9, -0.2, 0.15, 0.8, 1.9];
  for (const kind of KL_KINDS) {
    for (const x of xs) {
      const ref = -1.1;
      const lp = ref + x;
      const h = 1e-6;
      const fd = (klPenalty(kind, lp + h, ref, lp).value - klPenalty(kind, lp - h, ref, lp).value) / (2 * h);
      close(klPenalty(kind, lp, ref).grad, fd, 1e-6, `${kind} at x=${x}`);
    }
  }
  assert.throws(() => klPenalty('full' as never, 0, 0), UserError);
});

test('KL in the reward: score on the last valid token, −β·kl per token, empty response at row end', () => {
  const out = applyKlInReward({
    scores_B: [1, 0.5],
    oldLogprobs_B_T: [Float32Array.from([9, -1, -2, -0.5, 7]), Float32Array.from([0, 0])],
    refLogprobs_B_T: [Float32Array.from([0, -1.5, -1, -0.5, 0]), Float32Array.from([0, 0])],
    mask_B_T: [Float32Array.from([0, 1, 1, 1, 0]), Float32Array.from([0, 0])],
    beta: 0.1,
    kind: 'kl',
  });
  // kl = old − ref = [_, 0.5, −1, 0, _]; last valid token is t = 3
  closeArray(out.tokenRewards_B_T[0] as Float64Array, [0, -0.05, 0.1, 1, 0], 1e-7);
  closeArray(out.tokenRewards_B_T[1] as Float64Array, [0, 0.5], 1e-12);
  closeArray(out.rewards_B, [1.05, 0.5], 1e-7);
  // batch mean of per-sequence masked means: ((0.5 − 1 + 0)/3 + 0)/2
  close(out.metrics['actor/reward_kl_penalty'] as number, -0.5 / 3 / 2, 1e-7);
});

test('adaptive KL coefficient (verl AdaptiveKLController)', () => {
  // error clipped to +0.2: 0.1 · (1 + 0.2 · 100/10000) = 0.1002
  close(updateAdaptiveKlCoef(0.1, 0.5, 100), 0.1002, 1e-15);
  // KL/target − 1 = −0.5 → −0.2: 0.1 · (1 − 0.2 · 1000/10000) = 0.098
  close(updateAdaptiveKlCoef(0.1, 0.05, 1000, { targetKl: 0.1, horizon: 10000 }), 0.098, 1e-15);
  // inside the clip: 0.12/0.1 − 1 = 0.2 exactly; 0.11 → 0.1
  close(updateAdaptiveKlCoef(1, 0.11, 10000), 1.1, 1e-12);
});
