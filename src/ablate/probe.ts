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
  /** RL training: sequence length (longest prompt + response) and sequences per step. */
  rlTrainTokens?: number;
  rlBatchSize?: number;
}

/** Median of a few values (the probe repeats each measurement: one stall on a shared machine should not decide the plan). */
function median(x: number[]): number {
  const y = [...x].sort((a, b) => a - b);
  const m = y.length >> 1;
  return y.length % 2 ? (y[m] as number) : ((y[m - 1] as number) + (y[m] as number)) / 2;
}

export async function probeRates(policy: Policy, fm: FlopModel, shape: ProbeShape, repeats = 2): Promise<Rates> {
  const rng = Rng.derive(0, 'ablate-probe');
  const ids = (len: number) => Array.from({ length: len }, () => 10 + rng.int(Math.max(1, shape.vocabSize - 20)));
  const datums = Array.from({ length: shape.batchSize }, () => responseDatum(ids(shape.trainTokens - 8), ids(8)));
  const buckets = lengthBuckets(datums.map((d) => d.inputTokens_T.length), shape.batchSize);
  const prompts = Array.from({ length: shape.prompts }, () => ids(shape.promptTokens));
  const rlDatums = shape.rlTrainTokens && shape.rlBatchSize
    ? Array.from({ length: shape.rlBatchSize }, () => responseDatum(ids(shape.rlTrainTokens! - shape.maxTokens), ids(shape.maxTokens)))
    : null;
  const rlBuckets = rlDatums ? lengthBuckets(rlDatums.map((d) => d.inputTokens_T.length), rlDatums.length) : [];
  const train_s: number[] = [];
  const sample_s: number[] = [];
  const rlTrain_s: number[] = [];
  // Seconds per counted FLOP of one training step on these datums (a learning rate of ~0 keeps the weights).
  const timeTrainStep = async (batch: typeof datums, bk: number[][]): Promise<number> => {
    const t = performance.now();
    const m = await supervisedStep(policy, batch, bk, 0, { batchSize: batch.length, schedule: { type: 'constant', lr: 1e-9 }, weightDecay: 0, gradClip: 1, seed: 0, label: 'probe' }, fm);
    return (performance.now() - t) / 1000 / (m['perf/flops'] as number);
  };
  // One untimed round first: buffers, workspaces and the thread pool are set up on first use.
  for (let r = -1; r < repeats; r++) {
    const trainS = await timeTrainStep(datums, buckets);
    if (r >= 0) train_s.push(trainS);
    const t = performance.now();
    const out = await policy.sample(prompts, { n: shape.n, temperature: 1, topP: 1, topK: -1, maxTokens: shape.maxTokens, seed: r + 1 });
    const dt = (performance.now() - t) / 1000;
    let f = 0;
    out.forEach((group, i) => (f += sampleFlops(fm, prompts[i]!.length, group.map((s) => s.tokens.length))));
    if (r >= 0) sample_s.push(dt / f);
    if (rlDatums) {
      const rlS = await timeTrainStep(rlDatums, rlBuckets);
      if (r >= 0) rlTrain_s.push(rlS);
    }
  }
  return { train_s: median(train_s), sample_s: median(sample_s), ...(rlDatums ? { rlTrain_s: median(rlTrain_s) } : {}) };
}
