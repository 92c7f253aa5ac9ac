/**
 * Outcome advantage estimators over groups of samples that share a prompt (verl keys the
 * group by a per-prompt `uid`). One scalar reward per trajectory in, one scalar advantage
 * per trajectory out; `broadcastAdvantages` spreads it over the response tokens
 * (verl: `A[i,t] = A_i · m[i,t]`). All statistics in float64 (rl-algorithms.md §9 trap 11).
 *
 * Registry (rl-algorithms.md §1):
 * - `grpo`: DeepSeekMath, arXiv 2402.03300, as verl `compute_grpo_outcome_advantage`:
 *   `A_i = (r_i − μ_g)/(σ_g + ε)`, σ unbiased (N − 1), ε = 1e-6; a singleton group has
 *   μ = 0, σ = 1, so `A = r/(1 + ε)` (traps 3, 15).
 * - `dr-grpo`: Dr.GRPO, arXiv 2503.20783: `A_i = r_i − μ_g` (verl's
 *   `norm_adv_by_std_in_grpo=False`). Pair it with `seq-mean-token-sum-norm` aggregation.
 * - `rloo`: leave-one-out baseline, verl `compute_rloo_outcome_advantage`:
 *   `A_i = n/(n−1)·(r_i − μ_g)` = `r_i − mean(others)`; a singleton keeps `A = r`.
 * - `grpo-task-norm`: QwenLong-L1.5 (arXiv 2512.12967) task-level normalisation:
 *   `A_i = (r_i − μ_g)/(σ_task(i) + ε)` with σ_task the unbiased std of the rewards of all
 *   batch items of the same task (task key = `data_source`).
 *
 * Departures from verl, on purpose:
 * - `normByStd` works for every estimator (verl wires its switch into `grpo` only, trap 18):
 *   default true for `grpo` and `grpo-task-norm`, false for `rloo`; `dr-grpo` is always false.
 *   With it, `rloo` divides by the group's σ (+ ε) as `grpo` does.
 * - Task-level normalisation guards a degenerate task (one item in the batch, or all its
 *   rewards equal, so σ_task is NaN or 0 and a singleton group would get `A = r/ε ≈ 10⁶`,
 *   trap 13) by using σ_task = 1, as a singleton group is treated; `stats.singletonTasks` and
 *   `stats.zeroStdTasks` count how often that happened so the trainer can log it.
 */
import { UserError } from '../util/errors.ts';
import { mean, stdUnbiased } from './stats.ts';
import type { NumArray, Rows } from './types.ts';

export type AdvantageEstimatorName = 'grpo' | 'dr-grpo' | 'rloo' | 'grpo-task-norm';

export const ADVANTAGE_ESTIMATORS: readonly AdvantageEstimatorName[] = ['grpo', 'dr-grpo', 'rloo', 'grpo-task-norm'];

export interface AdvantageOptions {
  /** Added to the std before dividing (verl 1e-6; TRL 1e-4; OpenRLHF 1e-9). */
  eps?: number;
  /** Divide by the std (group std, or task std for `grpo-task-norm`). Default per estimator (see module doc). */
  normByStd?: boolean;
}

export interface AdvantageInput {
  /** Scalar reward of each trajectory (after shaping: trap 12). */
  rewards_B: NumArray;
  /** Group key per trajectory (same prompt ⇒ same key). */
  groupIds_B: readonly (string | number)[];
  /** Task key per trajectory (`data_source`); required by `grpo-task-norm`. */
  taskIds_B?: readonly (string | number)[];
  options?: AdvantageOptions;
}

export interface AdvantageStats {
  numGroups: number;
  /** Groups of one trajectory (μ = 0, σ = 1). */
  singletonGroups: number;
  /** Groups of ≥ 2 trajectories whose rewards are all equal (advantage 0). */
  zeroStdGroups: number;
  /** `grpo-task-norm` only: tasks with a single item in the batch (σ_task guarded to 1). */
  singletonTasks: number;
  /** `grpo-task-norm` only: tasks of ≥ 2 items with σ_task = 0 (guarded to 1). */
  zeroStdTasks: number;
}

export interface AdvantageOutput {
  advantages_B: Float64Array;
  stats: AdvantageStats;
}

/** Indices of each key's members, groups in order of first appearance (deterministic). */
export function groupIndices(keys_B: readonly (string | number)[]): number[][] {
  const byKey = new Map<string | number, number[]>();
  keys_B.forEach((k, i) => {
    const g = byKey.get(k);
    if (g) g.push(i);
    else byKey.set(k, [i]);
  });
  return [...byKey.values()];
}

function validate(name: string, input: AdvantageInput): void {
  const B = input.rewards_B.length;
  if (input.groupIds_B.length !== B) {
    throw new UserError(`computeAdvantages(${name}): groupIds_B has ${input.groupIds_B.length} entries but rewards_B has ${B}; give one group id per trajectory`);
  }
  if (input.taskIds_B && input.taskIds_B.length !== B) {
    throw new UserError(`computeAdvantages(${name}): taskIds_B has ${input.taskIds_B.length} entries but rewards_B has ${B}; give one task id per trajectory`);
  }
  for (let i = 0; i < B; i++) {
    if (!Number.isFinite(input.rewards_B[i])) {
      throw new UserError(`computeAdvantages(${name}): rewards_B[${i}] is ${input.rewards_B[i]}; every reward must be a finite number (check the reward function's output for that trajectory)`);
    }
  }
}

/** Group mean and std with verl's singleton rule (μ = 0, σ = 1 for |g| = 1). */
function groupMoments(rewards_B: NumArray, idx: readonly number[]): { mu: number; sigma: number } {
  if (idx.length === 1) return { mu: 0, sigma: 1 };
  const r_G = idx.map((i) => rewards_B[i] as number);
  return { mu: mean(r_G), sigma: stdUnbiased(r_G) };
}

function emptyStats(): AdvantageStats {
  return { numGroups: 0, singletonGroups: 0, zeroStdGroups: 0, singletonTasks: 0, zeroStdTasks: 0 };
}

function countGroups(stats: AdvantageStats, rewards_B: NumArray, groups: number[][]): void {
  stats.numGroups = groups.length;
  for (const g of groups) {
    if (g.length === 1) stats.singletonGroups++;
    else if (groupMoments(rewards_B, g).sigma === 0) stats.zeroStdGroups++;
  }
}

function grpoLike(input: AdvantageInput, normByStd: boolean, leaveOneOut: boolean): AdvantageOutput {
  const eps = input.options?.eps ?? 1e-6;
  const r_B = input.rewards_B;
  const A_B = new Float64Array(r_B.length);
  const groups = groupIndices(input.groupIds_B);
  const stats = emptyStats();
  countGroups(stats, r_B, groups);
  for (const g of groups) {
    const { mu, sigma } = groupMoments(r_B, g);
    const n = g.length;
    for (const i of g) {
      const r = r_B[i] as number;
      // RLOO: n/(n−1)·(r − μ), written as verl writes it; a singleton keeps r.
      let a = leaveOneOut ? (n > 1 ? (r * n) / (n - 1) - (mu * n) / (n - 1) : r) : r - mu;
      if (normByStd) a = a / (sigma + eps);
      A_B[i] = a;
    }
  }
  return { advantages_B: A_B, stats };
}

function taskNorm(input: AdvantageInput, normByStd: boolean): AdvantageOutput {
  if (!input.taskIds_B) {
    throw new UserError('computeAdvantages(grpo-task-norm): taskIds_B is required (one task key per trajectory, e.g. its data_source)');
  }
  const eps = input.options?.eps ?? 1e-6;
  const r_B = input.rewards_B;
  const A_B = new Float64Array(r_B.length);
  const stats = emptyStats();
  const groups = groupIndices(input.groupIds_B);
  countGroups(stats, r_B, groups);
  const sigmaTask_B = new Float64Array(r_B.length);
  for (const task of groupIndices(input.taskIds_B)) {
    let sigma = stdUnbiased(task.map((i) => r_B[i] as number));
    if (task.length === 1) {
      stats.singletonTasks++;
      sigma = 1;
    } else if (sigma === 0) {
      stats.zeroStdTasks++;
      sigma = 1;
    }
    for (const i of task) sigmaTask_B[i] = sigma;
  }
  for (const g of groups) {
    const { mu } = groupMoments(r_B, g);
    for (const i of g) {
      const a = (r_B[i] as number) - mu;
      A_B[i] = normByStd ? a / ((sigmaTask_B[i] as number) + eps) : a;
    }
  }
  return { advantages_B: A_B, stats };
}

/**
 * Computes one advantage per trajectory with the named estimator (see the module doc for
 * formulas and departures from verl). Throws `UserError` on an unknown name, mismatched
 * lengths or a non-finite reward.
 */
export function computeAdvantages(name: AdvantageEstimatorName, input: AdvantageInput): AdvantageOutput {
  validate(name, input);
  const norm = input.options?.normByStd;
  switch (name) {
    case 'grpo':
      return grpoLike(input, norm ?? true, false);
    case 'dr-grpo':
      return grpoLike(input, false, false);
    case 'rloo':
      return grpoLike(input, norm ?? false, true);
    case 'grpo-task-norm':
      return taskNorm(input, norm ?? true);
    default:
      throw new UserError(`unknown advantage estimator "${String(name)}"; choose one of ${ADVANTAGE_ESTIMATORS.join(', ')}`);
  }
}

/**
 * Spreads one advantage per trajectory over its response tokens: `A_T[t] = A_i` where the
 * mask is > 0, else 0 (verl multiplies by the 0/1 mask). Float32 rows, the datum format.
 */
export function broadcastAdvantages(advantages_B: NumArray, mask_B_T: Rows): Float32Array[] {
  return mask_B_T.map((m_T, i) => {
    const a = advantages_B[i] as number;
    const out = new Float32Array(m_T.length);
    for (let t = 0; t < m_T.length; t++) if ((m_T[t] as number) > 0) out[t] = a;
    return out;
  });
}
