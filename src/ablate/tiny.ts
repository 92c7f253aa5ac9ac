/**
 * `--size tiny`: the smoke-test scale of a recipe (as `longrl demo --size tiny`): the same
 * pipeline with a handful of steps and items, so an ablation checks its machinery in
 * well under a minute. It checks plumbing, not learning.
 */
import type { Recipe } from '../train/config.ts';

const cap = (x: number | undefined, m: number) => (x === undefined ? undefined : Math.min(x, m));

export function shrinkTiny(recipe: Recipe): Recipe {
  const r: Recipe = structuredClone(recipe);
  if (r.pretrain) r.pretrain = { ...r.pretrain, steps: Math.min(r.pretrain.steps, 3), batchSize: Math.min(r.pretrain.batchSize, 4), warmupSteps: Math.min(r.pretrain.warmupSteps, 1) };
  if (r.sft) {
    const { epochs: _e, ...rest } = r.sft;
    r.sft = { ...rest, steps: Math.min(r.sft.steps ?? 6, 6), batchSize: Math.min(r.sft.batchSize, 4), warmupSteps: Math.min(r.sft.warmupSteps, 1), evalEvery: 0 };
  }
  const s = r.data.synth;
  if (s) {
    s.sft = { ...s.sft, count: Math.min(s.sft.count, 24) };
    s.rl = { ...s.rl, count: Math.min(s.rl.count, 8) };
    s.test = { ...s.test, count: Math.min(s.test.count, 4) };
    if (s.pretrain) s.pretrain = { ...s.pretrain, count: Math.min(s.pretrain.count, 16) };
    s.heldOutSft = Math.min(s.heldOutSft, 4);
  }
  r.rl.promptsPerStep = Math.min(r.rl.promptsPerStep, 2);
  r.rl.groupSize = Math.min(r.rl.groupSize, 4);
  r.rl.miniBatches = 1;
  if (r.rl.dynamicSampling.genBatchPrompts !== undefined) r.rl.dynamicSampling = { ...r.rl.dynamicSampling, genBatchPrompts: Math.min(r.rl.dynamicSampling.genBatchPrompts, 2), maxGenBatches: Math.min(r.rl.dynamicSampling.maxGenBatches, 2) };
  r.rl.stages = r.rl.stages.map((st) => {
    const { steps, epochs: _e, flops, ...rest } = st;
    if (flops !== undefined && steps === undefined) return { ...rest, steps: 1 };
    return { ...rest, maxOutputTokens: Math.min(st.maxOutputTokens, 24), steps: cap(steps, 1) ?? 1 };
  });
  r.eval = { ...r.eval, itemsPerLength: Math.min(r.eval.itemsPerLength, 4), batchPrompts: Math.min(r.eval.batchPrompts, 8) };
  if (r.eval.maxTokens !== undefined) r.eval.maxTokens = Math.min(r.eval.maxTokens, 24);
  r.checkpoint = { every: Math.min(r.checkpoint.every, 2), keep: 2 };
  return r;
}
