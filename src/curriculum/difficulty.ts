/**
 * Per-record difficulty tracked online from rollout rewards (qwenlong-recipe.md §10):
 * the mean reward of a record is the mean over its groups of each group's mean reward;
 * the paper's difficulty is 1 / mean reward (L1-paper Eq. 10), infinite at 0.
 * Offline mining rows (`longrl mine`) can seed it.
 */

export interface DifficultyEntry {
  /** Sum over groups of the group's mean reward. */
  sum: number;
  /** Number of groups (rollout batches) seen. */
  groups: number;
  /** Number of rewards seen. */
  rewards: number;
}

export type DifficultyState = Record<string, DifficultyEntry>;

export class DifficultyTracker {
  private readonly entries = new Map<string, DifficultyEntry>();

  constructor(state?: DifficultyState) {
    if (state) for (const id of Object.keys(state).sort()) this.entries.set(id, { ...(state[id] as DifficultyEntry) });
  }

  /** Records one group of rollout rewards (G samples of one record). */
  observe(id: string, rewards_G: readonly number[]): void {
    if (rewards_G.length === 0) return;
    let s = 0;
    for (const r of rewards_G) s += r;
    const e = this.entries.get(id) ?? { sum: 0, groups: 0, rewards: 0 };
    e.sum += s / rewards_G.length;
    e.groups += 1;
    e.rewards += rewards_G.length;
    this.entries.set(id, e);
  }

  /** Mean reward, or undefined when the record was never rolled out. */
  meanReward(id: string): number | undefined {
    const e = this.entries.get(id);
    return e && e.groups > 0 ? e.sum / e.groups : undefined;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  ids(): string[] {
    return [...this.entries.keys()];
  }

  /** JSON-serialisable state, keys sorted (stable checkpoints). */
  state(): DifficultyState {
    const out: DifficultyState = {};
    for (const id of [...this.entries.keys()].sort()) out[id] = { ...(this.entries.get(id) as DifficultyEntry) };
    return out;
  }
}

/** Paper difficulty 1 / mean reward (Infinity at 0). */
export function difficultyOf(meanReward: number): number {
  return meanReward > 0 ? 1 / meanReward : Infinity;
}
