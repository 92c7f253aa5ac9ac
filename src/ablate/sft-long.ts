/**
 * `sft-long-answers`: supervised fine-tuning on the same long documents RL trains on, with
 * the gold answer as the target: an empty `<think>\n\n</think>` then the answer sentence,
 * so the same rule reward scores it (issue 12: the honest control for "RL versus
 * supervision on the same data", demo-study.md "Lessons"). It starts from the shared SFT
 * checkpoint and trains for the RL variants' counted FLOPs: the number of steps is the
 * first step count whose batches (pure in seed and step: `batchAt`) reach the budget, the
 * same stopping rule an RL stage with `flops` uses.
 */
import type { DocQARecord } from '../data/record.ts';
import { answerSentence, buildTrace } from '../data/synth/text.ts';
import { trainFlops, type FlopModel } from '../train/flops.ts';
import { batchAt, lengthBuckets } from '../train/sft.ts';
import type { Recipe } from '../train/config.ts';

/** The RL records turned into answer-only SFT records. */
export function longAnswerRecords(rl: readonly DocQARecord[]): DocQARecord[] {
  return rl.map((r) => {
    const gold = r.answer ?? r.answers?.[0];
    if (gold === undefined) throw new Error(`record ${r.id} has no answer`);
    return { ...r, trace: buildTrace('empty', '', [], '', answerSentence(gold)) };
  });
}

/**
 * Held-out slice `longrl train` takes from `data.files.sft` (src/train/data.ts: the first
 * min(32, n/10) records): the records that do not train.
 */
export function filesHeldOut(n: number): number {
  return Math.min(32, Math.floor(n / 10));
}

/**
 * Steps of SFT (batches of `batchSize`, length-bucketed, order from `seed`) until the
 * counted training FLOPs reach `budget`; `tokens_N` = each trained datum's length
 * (prompt + response − 1).
 */
export function sftStepsForFlops(tokens_N: readonly number[], batchSize: number, seed: number, fm: FlopModel, budget: number): { steps: number; flops: number } {
  if (tokens_N.length === 0) return { steps: 0, flops: 0 };
  const buckets = lengthBuckets(tokens_N, batchSize);
  let flops = 0;
  let steps = 0;
  while (flops < budget) {
    for (const i of batchAt(buckets, steps, seed, 'sft')) flops += trainFlops(fm, tokens_N[i] as number);
    steps++;
  }
  return { steps, flops };
}

/**
 * The recipe of the sft-long-answers run: the RL template (shared start, same test
 * records) with an SFT section of `steps` at a constant learning rate — the SFT peak, as
 * the sft-continued baseline uses (src/train/config.ts `continuedLr: peak`) — and only
 * the `sft` row evaluated. The run stops after that evaluation.
 */
export function sftLongAnswersRecipe(template: Recipe, base: Recipe, sftFile: string, steps: number): Recipe {
  const r: Recipe = structuredClone(template);
  const s = base.sft;
  if (!s) throw new Error('sft-long-answers needs the recipe to have an sft section');
  const { epochs: _epochs, ...rest } = s;
  r.sft = { ...rest, steps, schedule: 'constant', warmupSteps: 0, evalEvery: 0 };
  r.data = { files: { ...r.data.files!, sft: sftFile } };
  r.eval = { ...r.eval, models: ['sft'] };
  return r;
}
