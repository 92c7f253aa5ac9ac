/**
 * Which metric keys the progress line and the report read, by meaning. Names follow
 * verl's conventions (rl-algorithms.md §12) first, then TRL's, then plain names, so a
 * trainer that logs any of them is understood. Trainers should prefer the first name
 * of each list.
 */
export const METRIC_ALIASES = {
  // The outcome score before length shaping first: shaping penalties would hide progress.
  reward: ['critic/score/mean', 'critic/rewards/mean', 'reward/mean', 'reward'],
  /** The reward after overlong shaping (what the policy gradient sees). */
  shapedReward: ['critic/rewards/mean', 'reward/mean'],
  accuracy: ['critic/accuracy', 'reward/acc', 'reward/accuracy', 'train/accuracy', 'accuracy', 'acc'],
  responseLength: ['response_length/mean', 'completions/mean_length'],
  truncation: ['response_length/clip_ratio', 'completions/clipped_ratio'],
  entropy: ['actor/entropy', 'entropy'],
  clipFraction: ['actor/pg_clipfrac', 'clip_ratio/high_mean', 'clip_fraction'],
  kl: ['actor/ppo_kl', 'actor/kl_loss', 'kl'],
  loss: ['loss', 'train/loss', 'actor/pg_loss'],
  heldOutLoss: ['eval/heldout_loss', 'eval/loss', 'val/loss'],
  gradNorm: ['actor/grad_norm', 'grad_norm'],
  lr: ['actor/lr', 'lr'],
  throughput: ['perf/throughput', 'tokens_per_s'],
  stepTime: ['timing_s/step', 'perf/time_per_step', 'time/step_s'],
  zeroStdFraction: ['frac_reward_zero_std'],
  judgeCalls: ['reward/judge_calls'],
} as const satisfies Record<string, readonly string[]>;

export type MetricRole = keyof typeof METRIC_ALIASES;

/**
 * The parts of a step's wall time, in display order (verl `timing_s/*`). `update`
 * sums the training-side parts.
 */
export const TIMING_PARTS: readonly { label: string; keys: readonly string[] }[] = [
  { label: 'sampling', keys: ['timing_s/gen'] },
  { label: 'reward', keys: ['timing_s/reward'] },
  { label: 'update', keys: ['timing_s/old_log_prob', 'timing_s/ref', 'timing_s/adv', 'timing_s/update_actor'] },
];

/** The first alias of `role` that `line` holds as a number, or undefined. */
export function pickKey(line: Record<string, unknown>, role: MetricRole): string | undefined {
  for (const k of METRIC_ALIASES[role]) if (typeof line[k] === 'number') return k;
  return undefined;
}

/** The value of the first alias of `role` present in `line` as a number. */
export function pickValue(line: Record<string, unknown>, role: MetricRole): number | undefined {
  const k = pickKey(line, role);
  return k === undefined ? undefined : (line[k] as number);
}

/** Seconds per timing part of a line (parts absent from the line are omitted). */
export function timingSplit(line: Record<string, unknown>): { label: string; seconds: number }[] {
  const out: { label: string; seconds: number }[] = [];
  for (const part of TIMING_PARTS) {
    let sum = 0;
    let any = false;
    for (const k of part.keys) {
      const v = line[k];
      if (typeof v === 'number') {
        sum += v;
        any = true;
      }
    }
    if (any) out.push({ label: part.label, seconds: sum });
  }
  return out;
}
