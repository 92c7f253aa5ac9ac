/**
 * The RL library through the real `Policy` seam (LocalPolicy on a tiny random model in a
 * temp dir): one on-policy GRPO step. Checks the sign convention of `dLogprobs` end to end
 * (the advantage-weighted log-likelihood rises after the step) and the on-policy metrics
 * (ρ ≡ 1: `actor/ppo_kl` 0, no clipping; sampler and trainer log-probs agree).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalPolicy } from '../../src/policy/local.ts';
import { getPreset, presetConfig } from '../../src/model/presets.ts';
import { initModelWeights } from '../../src/model/init.ts';
import { writeModelFolder } from '../../src/model/folder.ts';
import { computeAdvantages, makePolicyLossFn, makeRlDatum, withExtra } from '../../src/rl/index.ts';
import type { Datum } from '../../src/policy/types.ts';

function weightedLogLik(datums: readonly Datum[], logprobs: readonly Float32Array[]): number {
  let j = 0;
  datums.forEach((d, i) => {
    const A_T = d.extra?.['advantages_T'] as Float32Array;
    for (let t = 0; t < d.mask_T.length; t++) if ((d.mask_T[t] as number) > 0) j += (A_T[t] as number) * ((logprobs[i] as Float32Array)[t] as number);
  });
  return j;
}

test('one GRPO step through LocalPolicy: on-policy metrics and the direction of the update', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'longrl-rl-'));
  try {
    const cfg = presetConfig(getPreset('tiny'), { bosTokenId: null, eosTokenIds: [1] });
    writeModelFolder(dir, { config: cfg, weights: initModelWeights(cfg, 7) });
    const policy = LocalPolicy.fromFolder(dir, { threads: 1 });
    const prompts = [[5, 9, 12, 40, 41], [7, 7, 300, 2]];
    const G = 4;
    const groups = await policy.sample(prompts, { n: G, temperature: 1, topP: 1, topK: 0, maxTokens: 6, seed: 3 });
    // reward: share of even token ids in the response (varies within a group)
    const rewards_B: number[] = [];
    const groupIds_B: number[] = [];
    const samples = groups.flatMap((g, k) => g.map((s) => {
      rewards_B.push(s.tokens.length ? s.tokens.filter((x) => x % 2 === 0).length / s.tokens.length : 0);
      groupIds_B.push(k);
      return { promptTokens: prompts[k] as number[], tokens: s.tokens, logprobs: s.logprobs, finishReason: s.finishReason };
    }));
    const { advantages_B } = computeAdvantages('grpo', { rewards_B, groupIds_B });
    assert.ok(advantages_B.some((a) => a !== 0), 'rewards vary within a group');
    let datums = samples.map((s, i) => makeRlDatum(s, advantages_B[i] as number));
    const before = await policy.forward(datums);
    datums = withExtra(datums, 'oldLogprobs_T', before.logprobs);
    const lossFn = makePolicyLossFn({ aggMode: 'token-mean', clipHigh: 0.28, entropyCoef: 0.001 });
    const out = await policy.forwardBackward(datums, lossFn);
    assert.ok(Math.abs(out.metrics['actor/ppo_kl'] as number) < 1e-6, `ppo_kl ${out.metrics['actor/ppo_kl']}`);
    assert.equal(out.metrics['actor/pg_clipfrac'], 0);
    assert.ok((out.metrics['rollout/logprob_gap'] as number) < 1e-3, `sampler vs trainer gap ${out.metrics['rollout/logprob_gap']}`);
    assert.ok((out.metrics['actor/entropy'] as number) > 0);
    await policy.optimStep({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, gradClipNorm: 0 });
    const after = await policy.forward(datums);
    const j0 = weightedLogLik(datums, before.logprobs);
    const j1 = weightedLogLik(datums, after.logprobs);
    assert.ok(j1 > j0, `Σ A·logπ should rise: ${j0} → ${j1}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
