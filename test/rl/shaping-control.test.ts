import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aepoSelect, maskTruncated, negativeGradientClip, overlongPenalty, rlBatchMetrics } from '../../src/rl/index.ts';
import { UserError } from '../../src/util/errors.ts';
import { close, closeArray } from './helpers.ts';

test('overlong penalty: verl DAPO form, QwenLong values (L_max 10000, buffer 1000, κ 1)', () => {
  assert.equal(overlongPenalty(8000, 10000, 1000, 1), 0);
  assert.equal(overlongPenalty(9000, 10000, 1000, 1), 0); // exactly L_max − buffer
  close(overlongPenalty(9500, 10000, 1000, 1), -0.5, 1e-15);
  close(overlongPenalty(10000, 10000, 1000, 1), -1, 1e-15);
  close(overlongPenalty(9500, 10000, 1000, 0.5), -0.25, 1e-15);
  close(overlongPenalty(10500, 10000, 1000, 1), -1.5, 1e-15); // not clamped (verl)
  // DAPO reference: 4K buffer on 20K responses
  close(overlongPenalty(18000, 20480, 4096, 1), -(18000 - 16384) / 4096, 1e-15);
  assert.throws(() => overlongPenalty(10, 100, 0, 1), UserError);
});

test('overlong filtering masks truncated responses only', () => {
  const m = [Float32Array.from([0, 1, 1]), Float32Array.from([1, 1]), Float32Array.from([0, 1])];
  const out = maskTruncated(m, ['stop', 'length', 'stop']);
  assert.equal(out[0], m[0]);
  assert.deepEqual(Array.from(out[1] as Float32Array), [0, 0]);
  assert.ok(out[1] instanceof Float32Array);
  assert.deepEqual(Array.from(m[1] as Float32Array), [1, 1]); // input untouched
  assert.throws(() => maskTruncated(m, ['stop']), UserError);
});

test('negative-gradient clipping by token entropy and by sequence entropy', () => {
  const adv = [Float64Array.from([0, -1, -1, -1]), Float64Array.from([2, 2, 2])];
  const H = [Float64Array.from([9, 0.5, 1.5, 2.5]), Float64Array.from([5, 5, 5])];
  const mask = [Float32Array.from([0, 1, 1, 1]), Float32Array.from([1, 1, 1])];
  const tok = negativeGradientClip({ mode: 'token', threshold: 1 }, adv, H, mask);
  closeArray(tok.keep_B_T[0] as Float64Array, [0, 1, 0, 0]);
  closeArray(tok.keep_B_T[1] as Float64Array, [1, 1, 1]); // positive advantages are never clipped
  close(tok.clippedFrac, 2 / 6, 1e-15);
  // sequence 0 mean entropy (0.5 + 1.5 + 2.5)/3 = 1.5: above τ = 1.4 → all clipped; τ = 1.6 → kept
  closeArray(negativeGradientClip({ mode: 'sequence', threshold: 1.4 }, adv, H, mask).keep_B_T[0] as Float64Array, [0, 0, 0, 0]);
  closeArray(negativeGradientClip({ mode: 'sequence', threshold: 1.6 }, adv, H, mask).keep_B_T[0] as Float64Array, [0, 1, 1, 1]);
});

test('AEPO paper variant: hysteresis between H_low and H_high', () => {
  const cfg = { low: 0.2, high: 0.5 };
  const adv = [1, -1, 0, 0.5];
  let r = aepoSelect(cfg, { advantages_B: adv, batchEntropy: 0.3 });
  assert.deepEqual(r.keep, [0, 1, 2, 3]); // inside the band, starting state: negatives in
  r = aepoSelect(cfg, { advantages_B: adv, batchEntropy: 0.6, state: r.state });
  assert.deepEqual(r.keep, [0, 3]); // above H_high: drop A ≤ 0
  assert.equal(r.metrics['aepo/dropped'], 2);
  r = aepoSelect(cfg, { advantages_B: adv, batchEntropy: 0.3, state: r.state });
  assert.deepEqual(r.keep, [0, 3]); // still inside the band: state persists
  r = aepoSelect(cfg, { advantages_B: adv, batchEntropy: 0.1, state: r.state });
  assert.deepEqual(r.keep, [0, 1, 2, 3]); // below H_low: negatives come back
  assert.equal(r.state.maskNegatives, false);
});

test('AEPO README variant: inside the band keep adv > 0 and reward > 0, multiple of world size', () => {
  const cfg = { low: 0.2, high: 0.5, variant: 'readme' as const, multipleOf: 2 };
  const r = aepoSelect(cfg, { advantages_B: [1, 2, -1, 0.5, 3], rewards_B: [1, 1, 0, 0, 1], batchEntropy: 0.3 });
  assert.deepEqual(r.keep, [0, 1]); // [0, 1, 4] truncated to a multiple of 2
  assert.deepEqual(aepoSelect(cfg, { advantages_B: [1, -1], rewards_B: [1, 0], batchEntropy: 0.7 }).keep, [0, 1]);
  assert.throws(() => aepoSelect(cfg, { advantages_B: [1], batchEntropy: 0.3 }), UserError);
});

test('batch metrics under verl names', () => {
  const m = rlBatchMetrics({
    scores_B: [1, 0, 1],
    rewards_B: [1, -0.5, 0.75],
    advantages_B_T: [Float32Array.from([9, 1, 1]), Float32Array.from([-2, -2]), Float32Array.from([NaN])],
    mask_B_T: [Float32Array.from([0, 1, 1]), Float32Array.from([1, 1]), Float32Array.from([0])],
    responseLengths_B: [2, 2, 10],
    maxResponseLength: 10,
  });
  close(m['critic/score/mean'] as number, 2 / 3, 1e-15);
  assert.equal(m['critic/rewards/min'], -0.5);
  assert.equal(m['critic/advantages/mean'], -0.5); // tokens [1, 1, −2, −2]
  assert.equal(m['critic/advantages/max'], 1);
  assert.equal(m['critic/advantages/min'], -2);
  close(m['response_length/clip_ratio'] as number, 1 / 3, 1e-15);
});

test('entropy bonus: −coef·agg(H) and its gradient', async () => {
  const { entropyBonus } = await import('../../src/rl/index.ts');
  const r = entropyBonus([Float32Array.from([1, 2, NaN]), Float32Array.from([3])], [Float32Array.from([1, 1, 0]), Float32Array.from([1])], 0.01);
  close(r.entropy, 2, 1e-15);
  close(r.loss, -0.02, 1e-15);
  closeArray(r.dEntropy_B_T[0] as Float64Array, [-0.01 / 3, -0.01 / 3, 0], 1e-15);
  const s = entropyBonus([Float32Array.from([1, 2])], [Float32Array.from([1, 1])], 0.5, 'seq-mean-token-sum');
  close(s.loss, -1.5, 1e-15);
});

test('makeRlDatum: token convention, extras, empty and truncated responses', async () => {
  const { makeRlDatum, withExtra } = await import('../../src/rl/index.ts');
  const d = makeRlDatum({ promptTokens: [10, 11, 12], tokens: [20, 21], logprobs: [-0.5, -1.5] }, 0.75);
  assert.deepEqual(Array.from(d.inputTokens_T), [10, 11, 12, 20]);
  assert.deepEqual(Array.from(d.targetTokens_T), [11, 12, 20, 21]);
  assert.deepEqual(Array.from(d.mask_T), [0, 0, 1, 1]);
  assert.deepEqual(Array.from(d.extra?.['advantages_T'] as Float32Array), [0, 0, 0.75, 0.75]);
  assert.deepEqual(Array.from(d.extra?.['samplerLogprobs_T'] as Float32Array), [0, 0, -0.5, -1.5]);
  const e = makeRlDatum({ promptTokens: [1, 2], tokens: [], logprobs: [] }, 1);
  assert.deepEqual(Array.from(e.mask_T), [0]);
  const t = makeRlDatum({ promptTokens: [1], tokens: [5, 6], logprobs: [-1, -1], finishReason: 'length' }, 1, { maskTruncated: true });
  assert.deepEqual(Array.from(t.mask_T), [0, 0]);
  const [w] = withExtra([d], 'oldLogprobs_T', [Float32Array.from([0, 0, -0.4, -1.4])]);
  assert.deepEqual(Array.from(w?.extra?.['oldLogprobs_T'] as Float32Array).map((x) => Math.round(x * 10) / 10), [0, 0, -0.4, -1.4]);
  assert.throws(() => withExtra([d], 'x', [new Float32Array(2)]), UserError);
});
