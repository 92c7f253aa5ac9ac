/**
 * Batch samplers with saveable state, so a resumed run draws the same batches
 * (contracts §2).
 *
 * - `PoolSampler`: uniform, epoch by epoch: epoch e visits the pool in the order of a
 *   shuffle drawn from `Rng.derive(seed, label#e)`; the state is (epoch, position).
 *   With weights (retrospective `weighted` mode) it draws with replacement with
 *   probability ∝ weight; the state is the generator's state.
 * - `TaskBalancedSampler` (QwenLong-L1.5 §11 task-balanced sampling): each batch is
 *   split across tasks evenly or by weights. Fractional quotas are settled over time:
 *   after s batches each task has had floor-or-ceil of s·B·w_t items (largest
 *   remainder on the cumulative quota), so uneven splits rotate instead of always
 *   favouring the first task.
 */
import { Rng, type RngState } from '../util/rng.ts';
import { UserError } from '../util/errors.ts';

export interface PoolItem {
  id: string;
  /** Sampling weight (weighted mode); 1 when absent. */
  weight?: number;
}

export interface PoolSamplerState {
  epoch: number;
  position: number;
  /** Generator state of weighted sampling. */
  rng?: RngState;
}

export class PoolSampler {
  private readonly ids: string[];
  private readonly cumulative: number[] | null;
  private order: number[] = [];
  private epoch = 0;
  private position = 0;
  private rng: Rng | null = null;

  /**
   * @param items the pool (order matters for determinism)
   * @param seed run seed
   * @param label names the stream (stage, task), so pools draw independently
   * @param weighted draw with replacement ∝ weight instead of epoch shuffles
   */
  constructor(
    items: readonly PoolItem[],
    private readonly seed: number,
    private readonly label: string,
    weighted = false,
    state?: PoolSamplerState,
  ) {
    if (items.length === 0) throw new UserError(`sampler ${label}: empty pool`);
    this.ids = items.map((it) => it.id);
    if (weighted) {
      let acc = 0;
      this.cumulative = items.map((it) => {
        const w = it.weight ?? 1;
        if (!(w >= 0) || !Number.isFinite(w)) throw new UserError(`sampler ${label}: weight of ${it.id} must be finite and ≥ 0, got ${w}`);
        acc += w;
        return acc;
      });
      if (!(acc > 0)) throw new UserError(`sampler ${label}: all weights are 0`);
      this.rng = state?.rng ? new Rng(state.rng) : Rng.derive(seed, `${label}#weighted`);
    } else {
      this.cumulative = null;
    }
    if (state) {
      this.epoch = state.epoch;
      this.position = state.position;
    }
    if (!weighted) this.order = this.shuffled(this.epoch);
  }

  get size(): number {
    return this.ids.length;
  }

  private shuffled(epoch: number): number[] {
    return Rng.derive(this.seed, `${this.label}#${epoch}`).shuffle(Array.from({ length: this.ids.length }, (_, i) => i));
  }

  /** The next id. */
  next(): string {
    if (this.cumulative && this.rng) {
      const total = this.cumulative[this.cumulative.length - 1] as number;
      const u = this.rng.float() * total;
      // First index whose cumulative weight exceeds u (binary search).
      let lo = 0;
      let hi = this.cumulative.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((this.cumulative[mid] as number) > u) hi = mid;
        else lo = mid + 1;
      }
      this.position++;
      if (this.position >= this.ids.length) {
        this.position = 0;
        this.epoch++;
      }
      return this.ids[lo] as string;
    }
    if (this.position >= this.order.length) {
      this.epoch++;
      this.position = 0;
      this.order = this.shuffled(this.epoch);
    }
    const id = this.ids[this.order[this.position] as number] as string;
    this.position++;
    return id;
  }

  take(n: number): string[] {
    return Array.from({ length: n }, () => this.next());
  }

  state(): PoolSamplerState {
    const s: PoolSamplerState = { epoch: this.epoch, position: this.position };
    if (this.rng) s.rng = this.rng.getState();
    return s;
  }
}

/**
 * Per-batch counts for tasks with weights `w` (normalised), given how many each task
 * got so far in `given` after `batches` batches: cumulative largest remainder.
 */
export function allocateBatch(batchSize: number, weights: readonly number[], given: readonly number[], batches: number): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new UserError('task weights must have a positive sum');
  const target = weights.map((w) => ((batches + 1) * batchSize * w) / total);
  const counts = target.map((t, i) => Math.max(0, Math.floor(t) - (given[i] as number)));
  let sum = counts.reduce((a, b) => a + b, 0);
  // Trim if the floors overshoot (possible after rounding history), largest surplus first.
  while (sum > batchSize) {
    let j = 0;
    for (let i = 1; i < counts.length; i++) {
      const si = (given[i] as number) + (counts[i] as number) - (target[i] as number);
      const sj = (given[j] as number) + (counts[j] as number) - (target[j] as number);
      if ((counts[i] as number) > 0 && (si > sj || (counts[j] as number) === 0)) j = i;
    }
    counts[j] = (counts[j] as number) - 1;
    sum--;
  }
  while (sum < batchSize) {
    let j = -1;
    let best = -Infinity;
    for (let i = 0; i < counts.length; i++) {
      if ((weights[i] as number) <= 0) continue;
      const deficit = (target[i] as number) - (given[i] as number) - (counts[i] as number);
      if (deficit > best) {
        best = deficit;
        j = i;
      }
    }
    counts[j] = (counts[j] as number) + 1;
    sum++;
  }
  return counts;
}

export interface BalancedItem extends PoolItem {
  task: string;
}

export interface TaskBalancedState {
  batches: number;
  given: Record<string, number>;
  pools: Record<string, PoolSamplerState>;
}

/** Batches split across tasks evenly (`weights` absent) or by `weights[task]`. */
export class TaskBalancedSampler {
  readonly tasks: string[];
  private readonly weights: number[];
  private readonly pools: PoolSampler[];
  private given: number[];
  private batches: number;

  constructor(
    items: readonly BalancedItem[],
    seed: number,
    label: string,
    opts: { weights?: Record<string, number>; weighted?: boolean } = {},
    state?: TaskBalancedState,
  ) {
    const byTask = new Map<string, BalancedItem[]>();
    for (const it of items) {
      const list = byTask.get(it.task) ?? [];
      list.push(it);
      byTask.set(it.task, list);
    }
    this.tasks = [...byTask.keys()].sort();
    if (this.tasks.length === 0) throw new UserError(`sampler ${label}: empty pool`);
    if (opts.weights) {
      for (const t of Object.keys(opts.weights)) {
        if (!byTask.has(t)) throw new UserError(`task weights: no item has task "${t}" (tasks: ${this.tasks.join(', ')})`);
      }
    }
    this.weights = this.tasks.map((t) => (opts.weights ? (opts.weights[t] ?? 0) : 1));
    this.pools = this.tasks.map(
      (t) => new PoolSampler(byTask.get(t) as BalancedItem[], seed, `${label}/${t}`, opts.weighted ?? false, state?.pools[t]),
    );
    this.given = this.tasks.map((t) => state?.given[t] ?? 0);
    this.batches = state?.batches ?? 0;
  }

  /** The next batch of ids, grouped by task in task order. */
  next(batchSize: number): string[] {
    const counts = allocateBatch(batchSize, this.weights, this.given, this.batches);
    const out: string[] = [];
    counts.forEach((c, i) => {
      out.push(...(this.pools[i] as PoolSampler).take(c));
      this.given[i] = (this.given[i] as number) + c;
    });
    this.batches++;
    return out;
  }

  state(): TaskBalancedState {
    const given: Record<string, number> = {};
    const pools: Record<string, PoolSamplerState> = {};
    this.tasks.forEach((t, i) => {
      given[t] = this.given[i] as number;
      pools[t] = (this.pools[i] as PoolSampler).state();
    });
    return { batches: this.batches, given, pools };
  }
}
