/**
 * Compute budgets of an ablation: counted model FLOPs decide (deterministic, resumable);
 * measured seconds only estimate wall time and size the job to `--budget`.
 *
 * A recipe stage given in `steps` is converted to FLOPs at its caps: each step samples
 * one generation batch of prompts of the stage's maximum input length, G responses of the
 * maximum output length each (src/train/flops.ts `sampleFlops`), and trains on
 * promptsPerStep·G such sequences (`trainFlops`). A stage that already has `flops` keeps
 * them. The conversion is an upper bound per step, so a variant usually gets at least the
 * recipe's step count; what matters is that every variant gets the same number.
 */
import type { Recipe } from '../train/config.ts';
import { dynamicSamplingOn } from '../train/config.ts';
import { sampleFlops, trainFlops, type FlopModel } from '../train/flops.ts';

/** Estimated FLOPs of one RL step of stage `k` at its caps, split into sampling and training. */
export function rlStepParts(r: Recipe, k: number, fm: FlopModel): { sample: number; train: number } {
  const rl = r.rl;
  const st = rl.stages[k]!;
  const genPrompts = dynamicSamplingOn(rl) ? (rl.dynamicSampling.genBatchPrompts ?? rl.promptsPerStep) : rl.promptsPerStep;
  const outs = Array.from({ length: rl.groupSize }, () => st.maxOutputTokens);
  const sample = genPrompts * sampleFlops(fm, st.maxInputTokens, outs);
  const train = rl.ppoEpochs * rl.promptsPerStep * rl.groupSize * trainFlops(fm, st.maxInputTokens + st.maxOutputTokens);
  return { sample, train };
}

/** Estimated FLOPs of one RL step of stage `k` at its caps. */
export function rlStepFlops(r: Recipe, k: number, fm: FlopModel): number {
  const { sample, train } = rlStepParts(r, k, fm);
  return sample + train;
}

/**
 * Estimated seconds of RL stages with these FLOP budgets: each stage's FLOPs split between
 * sampling and training as its steps at the caps are, each part at its measured rate (a
 * training FLOP costs a third of a sampling one here, so one rate for both misjudged runs
 * by 2x).
 */
export function rlRunSeconds(r: Recipe, fm: FlopModel, stageFlops_K: readonly number[], rates: Rates): number {
  let s = 0;
  stageFlops_K.forEach((f, k) => {
    const { sample, train } = rlStepParts(r, k, fm);
    s += (f * (sample * rates.sample_s + train * (rates.rlTrain_s ?? rates.train_s))) / (sample + train);
  });
  return s;
}

/**
 * FLOP budget of each stage of the recipe (`flops` as given; `steps` converted at the
 * caps; `epochs` converted with `poolSize_K[k]` prompts per stage).
 */
export function stageFlopBudgets(r: Recipe, fm: FlopModel, poolSize_K: readonly number[] = []): number[] {
  return r.rl.stages.map((st, k) => {
    if (st.flops !== undefined) return st.flops;
    const steps = st.steps ?? Math.max(1, Math.ceil(((st.epochs ?? 1) * (poolSize_K[k] ?? r.rl.promptsPerStep)) / r.rl.promptsPerStep));
    return steps * rlStepFlops(r, k, fm);
  });
}

/** Seconds per counted FLOP, measured by the probe. */
export interface Rates {
  /** Training (forward + backward) seconds per FLOP. */
  train_s: number;
  /** Sampling (prefill + decode) seconds per FLOP. */
  sample_s: number;
  /** Training seconds per FLOP at the RL shape (a group's sequences at the longest stage); absent in older state files. */
  rlTrain_s?: number;
}

/** Evaluation FLOPs of one model: every held-out item, greedy, `outTokens` generated. */
export function evalFlops(fm: FlopModel, lengths: readonly number[], itemsPerLength: number, outTokens: number): number {
  let f = 0;
  for (const L of lengths) f += itemsPerLength * sampleFlops(fm, L, [outTokens]);
  return f;
}

/** The plan the sizer settles on. */
export interface Plan {
  /** Multiplier on the recipe's RL FLOPs (1 = as written). */
  flopScale: number;
  seeds: number;
  variants: string[];
  /** Estimated seconds: shared phase, one RL run, one evaluation, and the whole job. */
  sharedS: number;
  runS: number;
  totalS: number;
  /** What was cut to fit, in words (empty when nothing was). */
  cuts: string[];
}

export interface SizeInput {
  budgetS: number | null;
  sharedS: number;
  /** Seconds of one RL run at flopScale 1, evaluation excluded. */
  rlRunS: number;
  evalS: number;
  seeds: number;
  /** Runs per seed, in priority order (aliases and skipped variants already removed). */
  variants: readonly string[];
  /** Smallest flopScale worth running (below it, drop seeds then variants). */
  minScale?: number;
  /** Fewest seeds kept before dropping variants (default 2: a spread needs two). */
  minSeeds?: number;
}

/**
 * Sizes the job to a wall-clock budget: first fewer RL FLOPs per variant (down to
 * `minScale`), then fewer seeds (down to `minSeeds`), then variants from the end of the
 * priority list (at least one kept). Every cut is named in `cuts`.
 */
export function sizePlan(inp: SizeInput): Plan {
  const minScale = inp.minScale ?? 0.25;
  const minSeeds = Math.min(inp.seeds, inp.minSeeds ?? 2);
  const total = (scale: number, seeds: number, nv: number) => inp.sharedS + seeds * nv * (scale * inp.rlRunS + inp.evalS);
  let scale = 1;
  let seeds = inp.seeds;
  let variants = [...inp.variants];
  const cuts: string[] = [];
  if (inp.budgetS !== null && total(scale, seeds, variants.length) > inp.budgetS) {
    const room = inp.budgetS - inp.sharedS;
    const perRun = room / (seeds * variants.length) - inp.evalS;
    scale = Math.max(minScale, Math.min(1, perRun / inp.rlRunS));
    if (scale < 1) cuts.push(`RL FLOPs per variant scaled to ${(100 * scale).toFixed(0)}% of the recipe's`);
    while (seeds > minSeeds && total(scale, seeds, variants.length) > inp.budgetS) seeds--;
    if (seeds < inp.seeds) cuts.push(`seeds ${inp.seeds} → ${seeds}`);
    const dropped: string[] = [];
    while (variants.length > 1 && total(scale, seeds, variants.length) > inp.budgetS) dropped.unshift(variants.pop()!);
    if (dropped.length > 0) cuts.push(`variants dropped: ${dropped.join(', ')}`);
    if (total(scale, seeds, variants.length) > inp.budgetS) cuts.push('still over budget: the job stops at the deadline and writes the rows it has');
  }
  return {
    flopScale: scale, seeds, variants, sharedS: inp.sharedS, runS: scale * inp.rlRunS + inp.evalS,
    totalS: total(scale, seeds, variants.length), cuts,
  };
}
