// Parity with an independent reference: the verl formulas of rl-algorithms.md written in
// PyTorch and differentiated by autograd (fixtures/make-torch-reference.py, float64).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { computeAdvantages, computePolicyObjective, type PolicyLossFnConfig } from '../../src/rl/index.ts';
import type { Datum } from '../../src/policy/types.ts';
import { close } from './helpers.ts';

interface LossCase {
  config: PolicyLossFnConfig & { tisCap: number | null };
  onPolicy: boolean;
  mask: number[][];
  logprobs: number[][];
  oldLogprobs: number[][];
  samplerLogprobs: number[][];
  refLogprobs: number[][];
  entropy: number[][];
  advantages: number[][];
  loss: number;
  dLogprobs: number[][];
  dEntropy: number[][];
  metrics: Record<string, number>;
}
interface AdvCase {
  rewards: number[];
  groupIds: number[];
  grpo: number[];
  'dr-grpo': number[];
  rloo: number[];
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/torch-reference.json', import.meta.url), 'utf8')) as { losses: LossCase[]; advantages: AdvCase[] };

test('policy objective matches the PyTorch autograd reference (loss, gradients, metrics)', () => {
  assert.equal(fixture.losses.length, 30);
  fixture.losses.forEach((c, k) => {
    const datums: Datum[] = c.mask.map((m, i) => {
      const extra: Record<string, Float32Array> = {
        advantages_T: Float32Array.from(c.advantages[i] as number[]),
        samplerLogprobs_T: Float32Array.from(c.samplerLogprobs[i] as number[]),
        refLogprobs_T: Float32Array.from(c.refLogprobs[i] as number[]),
      };
      if (!c.onPolicy) extra['oldLogprobs_T'] = Float32Array.from(c.oldLogprobs[i] as number[]);
      return { inputTokens_T: new Int32Array(m.length), targetTokens_T: new Int32Array(m.length), mask_T: Float32Array.from(m), extra };
    });
    const out = computePolicyObjective(c.config, {
      datums,
      logprobs: c.logprobs.map((r) => Float64Array.from(r)) as unknown as Float32Array[],
      entropy: c.entropy.map((r) => Float64Array.from(r)) as unknown as Float32Array[],
    });
    const label = `case ${k} (${c.config.policyLoss}/${c.config.aggMode})`;
    close(out.loss, c.loss, 1e-6 * Math.max(1, Math.abs(c.loss)), `${label} loss`);
    c.dLogprobs.forEach((row, i) => row.forEach((g, t) => close((out.dLogprobs[i] as Float32Array)[t] as number, g, 1e-6 * Math.max(1, Math.abs(g)), `${label} dLogprobs[${i},${t}]`)));
    c.dEntropy.forEach((row, i) => row.forEach((g, t) => close(out.dEntropy ? ((out.dEntropy[i] as Float32Array)[t] as number) : 0, g, 1e-7, `${label} dEntropy[${i},${t}]`)));
    for (const [name, v] of Object.entries(c.metrics)) close(out.metrics[name] as number, v, 1e-6 * Math.max(1, Math.abs(v)), `${label} ${name}`);
  });
});

test('advantages match the PyTorch loop reference (grpo, dr-grpo, rloo)', () => {
  for (const c of fixture.advantages) {
    for (const name of ['grpo', 'dr-grpo', 'rloo'] as const) {
      const a = computeAdvantages(name, { rewards_B: c.rewards, groupIds_B: c.groupIds }).advantages_B;
      c[name].forEach((v, i) => close(a[i] as number, v, 1e-9, `${name}[${i}]`));
    }
  }
});
