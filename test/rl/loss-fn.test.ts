import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AGG_MODES, computePolicyObjective, makePolicyLossFn, type PolicyLossFnConfig } from '../../src/rl/index.ts';
import type { Datum, LossInputs } from '../../src/policy/types.ts';
import { Rng } from '../../src/util/rng.ts';
import { UserError } from '../../src/util/errors.ts';
import { close, closeArray } from './helpers.ts';

interface Batch {
  datums: Datum[];
  logprobs_B_T: Float64Array[];
  entropy_B_T: Float64Array[];
}

/** Random datums: 2 prompt positions masked, one empty response, NaN stored in masked extras. */
function makeBatch(seed: number, withOld: boolean): Batch {
  const rng = new Rng(seed);
  const lengths = [5, 7, 3, 6];
  const datums: Datum[] = [];
  const logprobs_B_T: Float64Array[] = [];
  const entropy_B_T: Float64Array[] = [];
  lengths.forEach((T, i) => {
    const mask_T = new Float32Array(T);
    for (let t = 2; t < T; t++) mask_T[t] = i === 2 ? 0 : 1; // datum 2: zero-length response
    const lp_T = new Float64Array(T);
    const H_T = new Float64Array(T);
    const old_T = new Float32Array(T);
    const sampler_T = new Float32Array(T);
    const ref_T = new Float32Array(T);
    const adv_T = new Float32Array(T);
    const A = [1.3, -2.1, 0.7, -0.4][i] as number;
    for (let t = 0; t < T; t++) {
      lp_T[t] = -0.2 - 2 * rng.float();
      H_T[t] = 0.1 + 2 * rng.float();
      const valid = (mask_T[t] as number) > 0;
      // ratios spread over both clip edges and past the dual-clip constant for A < 0
      old_T[t] = valid ? (lp_T[t] as number) - 0.9 * rng.normal() : NaN;
      sampler_T[t] = valid ? (old_T[t] as number) + 0.5 * rng.normal() : NaN;
      ref_T[t] = valid ? (lp_T[t] as number) + 0.6 * rng.normal() : NaN;
      adv_T[t] = valid ? A : NaN;
    }
    const extra: Record<string, Float32Array> = { advantages_T: adv_T, samplerLogprobs_T: sampler_T, refLogprobs_T: ref_T };
    if (withOld) extra['oldLogprobs_T'] = old_T;
    datums.push({ inputTokens_T: new Int32Array(T), targetTokens_T: new Int32Array(T), mask_T, extra });
    logprobs_B_T.push(lp_T);
    entropy_B_T.push(H_T);
  });
  return { datums, logprobs_B_T, entropy_B_T };
}

function objective(cfg: PolicyLossFnConfig, b: Batch, lp: Float64Array[], H: Float64Array[]) {
  return computePolicyObjective(cfg, {
    datums: b.datums,
    logprobs: lp as unknown as Float32Array[],
    entropy: H as unknown as Float32Array[],
    detachedLogprobs: b.logprobs_B_T, // sg[·] held at the base point
  });
}

/** Central differences of the loss in float64 against the analytic dLogprobs and dEntropy. */
function checkGradients(cfg: PolicyLossFnConfig, b: Batch, label: string): void {
  const base = objective(cfg, b, b.logprobs_B_T, b.entropy_B_T);
  assert.ok(Number.isFinite(base.loss), `${label}: loss ${base.loss}`);
  const h = 1e-5;
  for (let i = 0; i < b.datums.length; i++) {
    const T = (b.logprobs_B_T[i] as Float64Array).length;
    for (let t = 0; t < T; t++) {
      const bump = (rows: Float64Array[], d: number) => rows.map((r, j) => { const c = Float64Array.from(r); if (j === i) c[t] = (c[t] as number) + d; return c; });
      const fdLp = (objective(cfg, b, bump(b.logprobs_B_T, h), b.entropy_B_T).loss - objective(cfg, b, bump(b.logprobs_B_T, -h), b.entropy_B_T).loss) / (2 * h);
      const g = (base.dLogprobs[i] as Float32Array)[t] as number;
      close(g, fdLp, 1e-6 * Math.max(1, Math.abs(fdLp)), `${label} dLogprob[${i},${t}]`);
      if ((b.datums[i] as Datum).mask_T[t] === 0) assert.equal(g, 0, `${label}: masked gradient`);
      const fdH = (objective(cfg, b, b.logprobs_B_T, bump(b.entropy_B_T, h)).loss - objective(cfg, b, b.logprobs_B_T, bump(b.entropy_B_T, -h)).loss) / (2 * h);
      const gH = base.dEntropy ? ((base.dEntropy[i] as Float32Array)[t] as number) : 0;
      close(gH, fdH, 1e-7, `${label} dEntropy[${i},${t}]`);
    }
  }
}

test('every policy loss × aggregation mode: analytic gradient = central finite differences', () => {
  for (const policyLoss of ['vanilla', 'gspo', 'cispo'] as const) {
    for (const aggMode of AGG_MODES) {
      const b = makeBatch(11, true);
      const cfg: PolicyLossFnConfig = { policyLoss, aggMode, clipLow: 0.2, clipHigh: 0.28, clipC: 3 };
      checkGradients(cfg, b, `${policyLoss}/${aggMode}`);
    }
  }
});

test('gradient checks with TIS, KL in the loss (k1, k3, k2+, k3+), entropy bonus, scale, on-policy, negative-gradient clipping', () => {
  const variants: [string, PolicyLossFnConfig, boolean][] = [
    ['tis', { tisCap: 1.5 }, true],
    ['kl-k3', { klCoef: 0.3, klKind: 'low_var_kl' }, true],
    ['kl-k1', { klCoef: 0.3, klKind: 'k1', aggMode: 'seq-mean-token-mean' }, true],
    ['kl-k2+', { klCoef: 0.2, klKind: 'k2+' }, true],
    ['kl-k3+', { klCoef: 0.2, klKind: 'k3+', aggMode: 'seq-mean-token-sum-norm', agg: { normLength: 16 } }, true],
    ['entropy', { entropyCoef: 0.01, scale: 0.25 }, true],
    ['on-policy', { entropyCoef: 0.001, aggMode: 'token-sum' }, false],
    ['gspo+kl+entropy', { policyLoss: 'gspo', klCoef: 0.1, entropyCoef: 0.02, clipLow: 3e-4, clipHigh: 4e-4 }, true],
    ['neg-clip-token', { negativeGradientClip: { mode: 'token', threshold: 1.0 } }, true],
    ['neg-clip-seq', { negativeGradientClip: { mode: 'sequence', threshold: 1.0 }, entropyCoef: 0.01 }, true],
    ['global-counts', { agg: { globalTokens: 40, dpSize: 2 }, clipC: null }, true],
  ];
  for (const [label, cfg, withOld] of variants) checkGradients(cfg, makeBatch(23, withOld), label);
});

test('golden: DAPO-style on-policy token-mean objective (loss 0, gradient not 0) with entropy bonus', () => {
  // datum a: 2 response tokens, A = 1; datum b: 4 tokens, A = −0.5; ρ ≡ 1 ⇒ ℓ = −A.
  // token-mean: (2·(−1) + 4·0.5)/6 = 0; ∂/∂logπ = −A/6; entropy bonus −0.001·mean(H).
  const a: Datum = { inputTokens_T: new Int32Array(3), targetTokens_T: new Int32Array(3), mask_T: Float32Array.from([0, 1, 1]), extra: { advantages_T: Float32Array.from([0, 1, 1]) } };
  const b: Datum = { inputTokens_T: new Int32Array(4), targetTokens_T: new Int32Array(4), mask_T: Float32Array.from([1, 1, 1, 1]), extra: { advantages_T: Float32Array.from([-0.5, -0.5, -0.5, -0.5]) } };
  const fn = makePolicyLossFn({ aggMode: 'token-mean', entropyCoef: 0.001 });
  assert.equal(fn.needsEntropy, true);
  const inputs: LossInputs = {
    datums: [a, b],
    logprobs: [Float32Array.from([NaN, -1, -2]), Float32Array.from([-0.5, -0.25, -3, -1])],
    entropy: [Float32Array.from([NaN, 0.5, 1.5]), Float32Array.from([1, 1, 2, 2])],
  };
  const out = fn(inputs);
  // mean H over 6 tokens = 8/6; loss = 0 − 0.001·8/6
  close(out.loss, -0.001 * (8 / 6), 1e-9);
  closeArray(out.dLogprobs[0] as Float32Array, [0, -1 / 6, -1 / 6], 1e-7);
  closeArray(out.dLogprobs[1] as Float32Array, [0.5 / 6, 0.5 / 6, 0.5 / 6, 0.5 / 6], 1e-7);
  closeArray(out.dEntropy?.[0] as Float32Array, [0, -0.001 / 6, -0.001 / 6], 1e-9);
  close(out.metrics['actor/pg_loss'] as number, 0, 1e-12);
  close(out.metrics['actor/entropy'] as number, 8 / 6, 1e-7);
  assert.equal(out.metrics['actor/pg_clipfrac'], 0);
});

test('empty masks: loss 0, zero gradients, no NaN from masked positions', () => {
  const d: Datum = { inputTokens_T: new Int32Array(2), targetTokens_T: new Int32Array(2), mask_T: new Float32Array(2), extra: { advantages_T: Float32Array.from([NaN, Infinity]), refLogprobs_T: Float32Array.from([NaN, NaN]) } };
  for (const aggMode of AGG_MODES) {
    const out = makePolicyLossFn({ aggMode, klCoef: 0.1, entropyCoef: 0.01 })({ datums: [d], logprobs: [Float32Array.from([NaN, -Infinity])], entropy: [Float32Array.from([NaN, NaN])] });
    assert.equal(out.loss, 0, aggMode);
    assert.deepEqual(Array.from(out.dLogprobs[0] as Float32Array), [0, 0]);
    assert.deepEqual(Array.from(out.dEntropy?.[0] as Float32Array), [0, 0]);
    assert.ok(Object.values(out.metrics).every(Number.isFinite), aggMode);
  }
});

test('missing inputs are user errors that name the datum and field; determinism', () => {
  const d: Datum = { inputTokens_T: new Int32Array(1), targetTokens_T: new Int32Array(1), mask_T: Float32Array.from([1]) };
  assert.throws(() => makePolicyLossFn()({ datums: [d], logprobs: [Float32Array.from([-1])], entropy: null }), (e: unknown) => e instanceof UserError && /datum 0 has no extra\.advantages_T/.test(e.message));
  const d2: Datum = { ...d, extra: { advantages_T: Float32Array.from([1]) } };
  assert.throws(() => makePolicyLossFn({ klCoef: 0.1 })({ datums: [d2], logprobs: [Float32Array.from([-1])], entropy: null }), /refLogprobs_T/);
  assert.throws(() => makePolicyLossFn({ tisCap: 2 })({ datums: [d2], logprobs: [Float32Array.from([-1])], entropy: null }), /samplerLogprobs_T/);
  assert.throws(() => makePolicyLossFn({ aggMode: 'sum' as never }), /unknown loss aggregation mode/);
  const b = makeBatch(5, true);
  const cfg: PolicyLossFnConfig = { klCoef: 0.1, entropyCoef: 0.01, tisCap: 2 };
  const x = objective(cfg, b, b.logprobs_B_T, b.entropy_B_T);
  const y = objective(cfg, b, b.logprobs_B_T, b.entropy_B_T);
  assert.deepEqual(x, y);
});
