/**
 * The quick measured probe behind the time estimate: one training step and one sampling
 * call on the model the ablation starts from (random weights are as fast as trained ones),
 * turned into seconds per counted FLOP. Machine load at probe time is part of the
 * measurement; the runner corrects the estimate with each finished run's actual time.
 */
import type { Policy } from '../policy/types.ts';
import { sampleFlops, type FlopModel } from '../train/flops.ts';
import { lengthBuckets, responseDatum, supervisedStep } from '../train/sft.ts';
import { Rng } from '../util/rng.ts';
import type { Rates } from './budget.ts';

export interface ProbeShape {
  /** Training sequence length and batch size. */
  trainTokens: number;
  batchSize: number;
  /** Sampling: prompts per call, prompt length, samples per prompt, tokens generated at most. */
  prompts: number;
  promptTokens: number;
  n: number;
  maxTokens: number;
  vocabSize: number;
}

export async function probeRates(policy: Policy, fm: FlopModel, shape: ProbeShape): Promise<Rates> {
  const rng = Rng.derive(0, 'ablate-probe');
  const ids = (len: number) => Array.from({ length: len }, () => 10 + rng.int(Math.max(1, shape.vocabSize - 20)));
  const datums = Array.from({ length: shape.batchSize }, () => responseDatum(ids(shape.trainTokens - 8), ids(8)));
  const buckets = lengthBuckets(datums.map((d) => d.inputTokens_T.length), shape.batchSize);
  let t = performance.now();
  const m = await supervisedStep(policy, datums, buckets, 0, { batchSize: shape.batchSize, schedule: { type: 'constant', lr: 1e-9 }, weightDecay: 0, gradClip: 1, seed: 0, label: 'probe' }, fm);
  const trainS = (performance.now() - t) / 1000;
  const prompts = Array.from({ length: shape.prompts }, () => ids(shape.promptTokens));
  t = performance.now();
  const out = await policy.sample(prompts, { n: shape.n, temperature: 1, topP: 1, topK: -1, maxTokens: shape.maxTokens, seed: 0 });
  const sampleS = (performance.now() - t) / 1000;
  let f = 0;
  out.forEach((group, i) => (f += sampleFlops(fm, prompts[i]!.length, group.map((s) => s.tokens.length))));
  return { train_s: trainS / (m['perf/flops'] as number), sample_s: sampleS / f };
}
