/**
 * DAPO dynamic sampling (Yu et al., arXiv 2503.14476 §3.2; verl-recipe `dapo/dapo_ray_trainer.py`,
 * rl-algorithms.md §6): a group whose metric does not vary carries no GRPO signal (all its
 * advantages are 0), so it is dropped and more prompts are generated until the batch is full.
 *
 * Filter: keep a group iff the population std (ddof 0, `np.std`, trap 1) of its metric is > 0,
 * or it has a single member (trap 3). The metric is DAPO's `acc` (computed before overlong
 * shaping, trap 12) or any per-trajectory score the caller picks with `metricOf`.
 *
 * Refill (`collectDynamicBatch`): draw a generation batch, keep the passing groups, repeat
 * while fewer than `trainBatchSize` groups are kept and fewer than `maxGenBatches` batches were
 * drawn (≤ 0: unlimited, as verl), then truncate to the first `trainBatchSize` groups. Where
 * verl raises once the bound is hit (trap 14), longrl's default trains on what it has
 * (`onExhausted: 'train-on-what-we-have'`) and reports it; `'error'` stops with a message. A
 * generation batch with no groups means the data ran out and ends the loop the same way.
 * verl truncates to `trainBatchSize·n` trajectories; longrl truncates whole groups, which is
 * the same for equal group sizes and never splits a group.
 */
import { UserError } from '../util/errors.ts';
import { stdPopulation } from './stats.ts';
import type { NumArray } from './types.ts';

/** A group of trajectories from one prompt, with one reward per member. */
export interface RolloutGroup {
  rewards_G: NumArray;
}

export interface DynamicFilterResult<G> {
  kept: G[];
  /** Groups dropped for zero metric variance. */
  numZeroStd: number;
  /** numZeroStd / number of groups (TRL's `frac_reward_zero_std`; 0 for no groups). */
  fracZeroStd: number;
}

/** True iff DAPO keeps a group with this metric (population std > 0 or a single member). */
export function keepGroup(metric_G: NumArray): boolean {
  return metric_G.length === 1 || stdPopulation(metric_G) > 0;
}

/** Filters groups by DAPO's rule; `metricOf` defaults to the group's `rewards_G`. */
export function dynamicSamplingFilter<G extends RolloutGroup>(groups: readonly G[], metricOf: (g: G) => NumArray = (g) => g.rewards_G): DynamicFilterResult<G> {
  const kept: G[] = [];
  for (const g of groups) if (keepGroup(metricOf(g))) kept.push(g);
  const numZeroStd = groups.length - kept.length;
  return { kept, numZeroStd, fracZeroStd: groups.length > 0 ? numZeroStd / groups.length : 0 };
}

export interface CollectDynamicBatchOptions<G extends RolloutGroup> {
  /** Generates and scores one generation batch of groups; an empty array means the data ran out. */
  generate: () => Promise<G[]>;
  /** Groups (prompts) to train on. */
  trainBatchSize: number;
  /** Bound on generation batches (verl `max_num_gen_batches`); ≤ 0 means unlimited. */
  maxGenBatches: number;
  /** What to do when the bound or the data is reached before the batch is full (default: train on what we have). */
  onExhausted?: 'train-on-what-we-have' | 'error';
  /** Metric of the filter (default `rewards_G`; pass the `acc` values for DAPO's `metric=acc`). */
  metricOf?: (g: G) => NumArray;
}

export interface CollectDynamicBatchResult<G> {
  /** At most `trainBatchSize` groups, in generation order. */
  groups: G[];
  numGenBatches: number;
  /** True when the batch is short of `trainBatchSize`. */
  exhausted: boolean;
  /** `train/num_gen_batches`, `frac_reward_zero_std` (over all generated groups), `train/num_groups_kept`, `train/num_groups_generated`, `train/dynamic_batch_short`. */
  metrics: Record<string, number>;
}

/** DAPO's refill loop (see the module doc). */
export async function collectDynamicBatch<G extends RolloutGroup>(opts: CollectDynamicBatchOptions<G>): Promise<CollectDynamicBatchResult<G>> {
  if (!(Number.isInteger(opts.trainBatchSize) && opts.trainBatchSize > 0)) {
    throw new UserError(`collectDynamicBatch: trainBatchSize must be a positive integer (got ${opts.trainBatchSize})`);
  }
  const onExhausted = opts.onExhausted ?? 'train-on-what-we-have';
  const kept: G[] = [];
  let numGenBatches = 0;
  let generated = 0;
  let zeroStd = 0;
  let dataEnded = false;
  while (kept.length < opts.trainBatchSize) {
    if (opts.maxGenBatches > 0 && numGenBatches >= opts.maxGenBatches) break;
    const batch = await opts.generate();
    numGenBatches++;
    if (batch.length === 0) {
      dataEnded = true;
      break;
    }
    const f = dynamicSamplingFilter(batch, opts.metricOf);
    kept.push(...f.kept);
    generated += batch.length;
    zeroStd += f.numZeroStd;
  }
  const exhausted = kept.length < opts.trainBatchSize;
  if (exhausted && onExhausted === 'error') {
    const why = dataEnded ? 'the data ran out' : `maxGenBatches (${opts.maxGenBatches}) generation batches were drawn`;
    throw new UserError(
      `dynamic sampling: only ${kept.length} of ${opts.trainBatchSize} groups had varying rewards after ${numGenBatches} generation batches (${why}); raise maxGenBatches, enlarge the generation batch, or set onExhausted to 'train-on-what-we-have'`,
    );
  }
  const groups = kept.slice(0, opts.trainBatchSize);
  return {
    groups,
    numGenBatches,
    exhausted,
    metrics: {
      'train/num_gen_batches': numGenBatches,
      frac_reward_zero_std: generated > 0 ? zeroStd / generated : 0,
      'train/num_groups_kept': groups.length,
      'train/num_groups_generated': generated,
      'train/dynamic_batch_short': exhausted ? 1 : 0,
    },
  };
}
