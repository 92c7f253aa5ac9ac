/**
 * Difficulty-aware retrospective sampling (qwenlong-recipe.md §10): at a stage
 * boundary, records from earlier stages that the policy found hard are carried into
 * the next stage's pool.
 * - `hard`: the paper's filter — records whose mean reward is 0 (infinite difficulty,
 *   L1-paper §3.2), appended once, sampled like the stage's own records.
 * - `weighted`: the paper's Eq. 10 reading — every record not always solved (mean
 *   reward < 1) is carried with importance weight min(cap, 1 / mean reward) (cap for
 *   mean 0) used as its sampling probability; the stage's own records weigh 1.
 * - `off`: nothing is carried.
 */
import type { DifficultyTracker } from './difficulty.ts';

export type RetrospectiveMode = 'off' | 'hard' | 'weighted';

export interface RetrospectiveConfig {
  mode: RetrospectiveMode;
  /** Upper bound of the importance weight in `weighted` mode. */
  weightCap: number;
  /** At most this many records carried (hardest first); undefined = all. */
  maxCarry?: number;
}

export const DEFAULT_RETROSPECTIVE: RetrospectiveConfig = { mode: 'hard', weightCap: 8 };

export interface CarriedItem {
  id: string;
  /** Sampling weight (1 in `hard` mode). */
  weight: number;
  meanReward: number;
}

/**
 * The records to carry, chosen among `candidates` (earlier stages' ids, in pool order)
 * with a difficulty observation; returned in candidate order.
 */
export function selectCarryOver(candidates: readonly string[], tracker: DifficultyTracker, cfg: RetrospectiveConfig): CarriedItem[] {
  if (cfg.mode === 'off') return [];
  const picked: CarriedItem[] = [];
  const seen = new Set<string>();
  for (const id of candidates) {
    if (seen.has(id)) continue;
    seen.add(id);
    const m = tracker.meanReward(id);
    if (m === undefined) continue;
    if (cfg.mode === 'hard' && m === 0) picked.push({ id, weight: 1, meanReward: m });
    if (cfg.mode === 'weighted' && m < 1) picked.push({ id, weight: m > 0 ? Math.min(cfg.weightCap, 1 / m) : cfg.weightCap, meanReward: m });
  }
  if (cfg.maxCarry !== undefined && picked.length > cfg.maxCarry) {
    const order = picked.map((p, i) => ({ p, i })).sort((a, b) => a.p.meanReward - b.p.meanReward || a.i - b.i);
    const keep = new Set(order.slice(0, cfg.maxCarry).map((o) => o.i));
    return picked.filter((_, i) => keep.has(i));
  }
  return picked;
}
