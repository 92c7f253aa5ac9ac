import { test } from 'node:test';
import assert from 'node:assert/strict';
import { policyLoss } from '../../src/rl/index.ts';
import { UserError } from '../../src/util/errors.ts';
import { close, closeArray } from './helpers.ts';

const L = Math.log;

// Vanilla PPO with clip-higher (ε_low 0.2, ε_high 0.28) and dual-clip c = 3, worked by hand
// from rl-algorithms.md §2 (logπ_old = 0 so logρ = logπ):
//  t0  A = 1,  ρ = 1.5  (above 1.28): L1 = −1.5, L2 = −1.28 → ℓ = −1.28, ∂ = 0, clipped
//  t1  A = 1,  ρ = 0.5  (below 0.8):  L1 = −0.5, L2 = −0.8  → ℓ = −0.5,  ∂ = −ρ = −0.5
//  t2  A = −1, ρ = 0.5:  L1 = 0.5, L2 = 0.8 → Lc = 0.8 (clipped, ∂ = 0); L3 = 3 > 0.8 → ℓ = 0.8
//  t3  A = −1, ρ = 5:    L1 = 5, L2 = 1.28 → Lc = 5; L3 = 3 < 5 → dual-clip ℓ = 3, ∂ = 0, lower
//  t4  A = −2, ρ = 1.1 (inside): L1 = L2 = 2.2 → ℓ = 2.2, ∂ = −A·ρ = 2.2
//  t5  A = 1,  logρ = 25 → clamped to 20: L1 = −e^20, L2 = −1.28 → ℓ = −1.28, ∂ = 0, clipped
//  t6  masked, NaN everywhere
const lp = Float64Array.from([L(1.5), L(0.5), L(0.5), L(5), L(1.1), 25, NaN]);
const old = Float64Array.from([0, 0, 0, 0, 0, 0, NaN]);
const adv = Float64Array.from([1, 1, -1, -1, -2, 1, NaN]);
const mask = Float32Array.from([1, 1, 1, 1, 1, 1, 0]);
const cfg = { clipLow: 0.2, clipHigh: 0.28, clipC: 3 };

test('vanilla: clip-higher, dual-clip, ratio clamp — golden per-token loss, gradient, metrics', () => {
  const out = policyLoss('vanilla', { logprobs_B_T: [lp], oldLogprobs_B_T: [old], advantages_B_T: [adv], mask_B_T: [mask] }, cfg);
  closeArray(out.loss_B_T[0] as Float64Array, [-1.28, -0.5, 0.8, 3, 2.2, -1.28, 0], 1e-12, 'loss');
  closeArray(out.dLoss_B_T[0] as Float64Array, [0, -0.5, 0, 0, 2.2, 0, 0], 1e-12, 'grad');
  close(out.metrics['actor/pg_clipfrac'] as number, 3 / 6, 1e-8);
  close(out.metrics['actor/pg_clipfrac_lower'] as number, 1 / 6, 1e-8);
  // ppo_kl = mean(−logρ) with logρ clamped at 20
  close(out.metrics['actor/ppo_kl'] as number, -(L(1.5) + 2 * L(0.5) + L(5) + L(1.1) + 20) / 6, 1e-8);
  assert.equal(out.forcedAggMode, null);
});

test('vanilla without dual-clip: the large-ratio negative advantage is not capped', () => {
  const out = policyLoss('ppo', { logprobs_B_T: [lp], oldLogprobs_B_T: [old], advantages_B_T: [adv], mask_B_T: [mask] }, { ...cfg, clipC: null });
  close((out.loss_B_T[0] as Float64Array)[3] as number, 5, 1e-12);
  close((out.dLoss_B_T[0] as Float64Array)[3] as number, 5, 1e-12); // ∂(−Aρ)/∂logπ = −A·ρ
  assert.equal(out.metrics['actor/pg_clipfrac_lower'], 0);
  assert.throws(() => policyLoss('vanilla', { logprobs_B_T: [lp], advantages_B_T: [adv], mask_B_T: [mask] }, { clipC: 1 }), UserError);
});

test('on-policy shortcut (no old log-probs): ρ ≡ 1, ℓ = −A, ∂ = −A', () => {
  const out = policyLoss('vanilla', { logprobs_B_T: [Float64Array.from([-3, -0.1])], advantages_B_T: [Float64Array.from([0.5, -2])], mask_B_T: [Float32Array.from([1, 1])] });
  closeArray(out.loss_B_T[0] as Float64Array, [-0.5, 2], 1e-12);
  closeArray(out.dLoss_B_T[0] as Float64Array, [-0.5, 2], 1e-12);
  assert.equal(out.metrics['actor/ppo_kl'], 0);
  assert.equal(out.metrics['actor/pg_clipfrac'], 0);
});

test('truncated importance weight vs the sampler: w = min(exp(old − sampler), cap)', () => {
  const out = policyLoss(
    'vanilla',
    {
      logprobs_B_T: [Float64Array.from([0, 0])],
      oldLogprobs_B_T: [Float64Array.from([0, 0])],
      samplerLogprobs_B_T: [Float64Array.from([-L(4), L(2)])], // exp(old − sampler) = 4 → capped 2; 0.5
      advantages_B_T: [Float64Array.from([1, 1])],
      mask_B_T: [Float32Array.from([1, 1])],
    },
    { tisCap: 2 },
  );
  closeArray(out.loss_B_T[0] as Float64Array, [-2, -0.5], 1e-12);
  closeArray(out.dLoss_B_T[0] as Float64Array, [-2, -0.5], 1e-12);
  close(out.metrics['actor/tis_capped_frac'] as number, 0.5, 1e-8);
  close(out.metrics['rollout/logprob_gap'] as number, (L(4) + L(2)) / 2, 1e-8);
});

test('gspo: sequence ratio exp(mean log-ratio), forced seq-mean-token-mean', () => {
  // log-ratios [0.1, −0.3, 0.5] → mean 0.1 → s = e^0.1 = 1.1051709180756477, inside [0.8, 1.28]
  const o = Float64Array.from([-1, -2, -3]);
  const l = Float64Array.from([-0.9, -2.3, -2.5]);
  const out = policyLoss('gspo', { logprobs_B_T: [l], oldLogprobs_B_T: [o], advantages_B_T: [Float64Array.from([1, 1, 1])], mask_B_T: [Float32Array.from([1, 1, 1])] }, cfg);
  closeArray(out.loss_B_T[0] as Float64Array, [-1.1051709180756477, -1.1051709180756477, -1.1051709180756477], 1e-12);
  closeArray(out.dLoss_B_T[0] as Float64Array, [-1.1051709180756477, -1.1051709180756477, -1.1051709180756477], 1e-12);
  assert.equal(out.forcedAggMode, 'seq-mean-token-mean');
  // mean log-ratio 0.5 → s = 1.6487 > 1.28: clipped, no gradient
  const hi = policyLoss('gspo', { logprobs_B_T: [Float64Array.from([0.5, 0.5])], oldLogprobs_B_T: [Float64Array.from([0, 0])], advantages_B_T: [Float64Array.from([1, 1])], mask_B_T: [Float32Array.from([1, 1])] }, cfg);
  closeArray(hi.loss_B_T[0] as Float64Array, [-1.28, -1.28], 1e-12);
  closeArray(hi.dLoss_B_T[0] as Float64Array, [0, 0], 1e-12);
  close(hi.metrics['actor/pg_clipfrac'] as number, 1, 1e-8);
});

test('cispo: −sg[clip(ρ)]·A·logπ', () => {
  // ρ = 1.5 → w = 1.28; ρ = 0.5 → w = 0.8; ρ = 1 → 1
  const l = Float64Array.from([L(1.5) - 1, L(0.5) - 1, -1]);
  const out = policyLoss('cispo', { logprobs_B_T: [l], oldLogprobs_B_T: [Float64Array.from([-1, -1, -1])], advantages_B_T: [Float64Array.from([2, 2, -1])], mask_B_T: [Float32Array.from([1, 1, 1])] }, cfg);
  closeArray(out.loss_B_T[0] as Float64Array, [-1.28 * 2 * (L(1.5) - 1), -0.8 * 2 * (L(0.5) - 1), -1], 1e-12);
  closeArray(out.dLoss_B_T[0] as Float64Array, [-2.56, -1.6, 1], 1e-12);
  close(out.metrics['actor/pg_clipfrac'] as number, 1 / 3, 1e-8);
  close(out.metrics['actor/pg_clipfrac_lower'] as number, 1 / 3, 1e-8);
});

test('policy losses: empty mask gives zeros; shape errors name the field', () => {
  for (const name of ['vanilla', 'gspo', 'cispo'] as const) {
    const out = policyLoss(name, { logprobs_B_T: [Float64Array.from([NaN, Infinity])], oldLogprobs_B_T: [Float64Array.from([NaN, 0])], advantages_B_T: [Float64Array.from([NaN, NaN])], mask_B_T: [Float32Array.from([0, 0])] });
    assert.deepEqual(Array.from(out.loss_B_T[0] as Float64Array), [0, 0]);
    assert.deepEqual(Array.from(out.dLoss_B_T[0] as Float64Array), [0, 0]);
    assert.ok(Object.values(out.metrics).every((v) => v === 0), name);
  }
  assert.throws(
    () => policyLoss('vanilla', { logprobs_B_T: [Float64Array.from([0])], advantages_B_T: [Float64Array.from([])], mask_B_T: [Float32Array.from([1])] }),
    /advantages_B_T\[0\] has 0 tokens/,
  );
});
