/**
 * Supervised training over the `Policy` seam: warm-up SFT (masked next-token loss on
 * the response = trace + answer + end-of-turn, the prompt rendered with the QwenLong
 * template and the chat template) and the building blocks the pretrain phase and the
 * `sft-continued` baseline share.
 *
 * Batches are length-bucketed rather than packed: examples sorted by length are cut
 * into batches of `batchSize`, so a batch holds sequences of similar length (the local
 * engine runs one sequence per datum, so bucketing wastes nothing on padding; it keeps
 * per-step cost even). Each epoch visits the batches in an order shuffled from
 * `Rng.derive(seed, label#epoch)`; the batch of optimizer step s is a pure function of
 * (seed, s), so a resumed run needs no data-loader state.
 *
 * The loss is the mask-weighted token mean of −log p (HF's loss with a label mask):
 * `crossEntropyLoss({normalize: 'tokens'})`.
 */
import type { AdamParams, Datum, Policy } from '../policy/types.ts';
import { crossEntropyLoss } from '../model/losses.ts';
import { learningRateAt, type LrSchedule } from '../model/schedule.ts';
import { Rng } from '../util/rng.ts';
import type { FlopModel } from './flops.ts';
import { trainFlops } from './flops.ts';

/**
 * A datum for next-token training on `prompt ++ response` with the loss on the response
 * only (policy/types.ts token convention): input = p ++ y[..R-2], target = p[1..] ++ y,
 * mask 0 on the first P−1 positions and 1 on the R response positions. An empty prompt
 * (pretraining) trains every position after the first token.
 */
export function responseDatum(prompt_P: readonly number[], response_R: readonly number[]): Datum {
  const all = [...prompt_P, ...response_R];
  const T = all.length - 1;
  const inputTokens_T = new Int32Array(T);
  const targetTokens_T = new Int32Array(T);
  const mask_T = new Float32Array(T);
  const firstTrained = Math.max(0, prompt_P.length - 1);
  for (let t = 0; t < T; t++) {
    inputTokens_T[t] = all[t] as number;
    targetTokens_T[t] = all[t + 1] as number;
    mask_T[t] = t >= firstTrained ? 1 : 0;
  }
  return { inputTokens_T, targetTokens_T, mask_T };
}

/** Plain next-token datum over a document's tokens (pretraining: every position trained). */
export function documentDatum(tokens: readonly number[]): Datum {
  return responseDatum([], tokens);
}

/** Example indices in batches of similar length (sorted by length, ties by index). */
export function lengthBuckets(lengths: readonly number[], batchSize: number): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => (lengths[a] as number) - (lengths[b] as number) || a - b);
  const out: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) out.push(order.slice(i, i + batchSize));
  return out;
}

/** The batch of (0-based) optimizer step `step`: epoch-wise shuffled bucket order. */
export function batchAt(buckets: readonly number[][], step: number, seed: number, label: string): number[] {
  const n = buckets.length;
  const epoch = Math.floor(step / n);
  const order = Rng.derive(seed, `${label}#${epoch}`).shuffle(Array.from({ length: n }, (_, i) => i));
  return buckets[order[step % n] as number] as number[];
}

export interface SupervisedSettings {
  batchSize: number;
  schedule: LrSchedule;
  weightDecay: number;
  gradClip: number;
  seed: number;
  /** Names the batch-order stream (`sft`, `pretrain`). */
  label: string;
  /** AdamW β2 (default 0.999). */
  beta2?: number;
}

export function adamFor(lr: number, s: { weightDecay: number; gradClip: number; beta2?: number }): AdamParams {
  return { learningRate: lr, beta1: 0.9, beta2: s.beta2 ?? 0.999, eps: 1e-8, weightDecay: s.weightDecay, gradClipNorm: s.gradClip };
}

/** FLOPs of training on these datums once (each datum a whole sequence). */
export function datumsTrainFlops(m: FlopModel, datums: readonly Datum[]): number {
  let f = 0;
  for (const d of datums) f += trainFlops(m, d.inputTokens_T.length);
  return f;
}

/**
 * One supervised optimizer step (0-based `step`): forward-backward on the step's batch,
 * AdamW at the scheduled learning rate. Returns the step's metrics (`loss`, `lr`,
 * `grad_norm`, token counts, counted FLOPs).
 */
export async function supervisedStep(
  policy: Policy, datums: readonly Datum[], buckets: readonly number[][], step: number, s: SupervisedSettings, fm: FlopModel,
  extra: readonly Datum[] = [],
): Promise<Record<string, number>> {
  const picked = buckets.length > 0 ? batchAt(buckets, step, s.seed, s.label).map((i) => datums[i] as Datum) : [];
  const batch = [...picked, ...extra];
  const out = await policy.forwardBackward(batch, crossEntropyLoss({ normalize: 'tokens' }));
  const lr = learningRateAt(s.schedule, step);
  const opt = await policy.optimStep(adamFor(lr, s));
  let tokens = 0;
  for (const d of batch) tokens += d.inputTokens_T.length;
  return {
    loss: out.loss,
    lr,
    grad_norm: opt.gradNorm,
    'train/sequences': batch.length,
    'train/tokens': tokens,
    'train/trained_tokens': out.metrics['tokens'] ?? 0,
    'perf/flops': datumsTrainFlops(fm, batch),
  };
}

/** Mask-weighted mean negative log-likelihood of datums under the current weights (no update). */
export async function heldOutLoss(policy: Policy, datums: readonly Datum[], chunk = 16): Promise<number> {
  let nll = 0;
  let w = 0;
  for (let i = 0; i < datums.length; i += chunk) {
    const part = datums.slice(i, i + chunk);
    const { logprobs } = await policy.forward(part);
    part.forEach((d, k) => {
      const lp = logprobs[k] as Float32Array;
      for (let t = 0; t < d.mask_T.length; t++) {
        const m = d.mask_T[t] as number;
        if (m === 0) continue;
        nll -= m * (lp[t] as number);
        w += m;
      }
    });
  }
  return w > 0 ? nll / w : 0;
}

/** Total optimizer steps of an SFT config: its `steps`, or ceil(epochs · records / batch). */
export function sftTotalSteps(cfg: { steps?: number | undefined; epochs?: number | undefined; batchSize: number }, records: number): number {
  if (cfg.steps !== undefined) return cfg.steps;
  return Math.max(1, Math.ceil(((cfg.epochs ?? 3) * records) / cfg.batchSize));
}
