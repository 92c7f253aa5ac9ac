/**
 * The curriculum driver: which record ids each RL step trains on. Stage k draws from
 * its length bucket (L_{k-1}, L_k] plus the records carried over by retrospective
 * sampling; `observe` feeds rollout rewards into the difficulty tracker; `advance`
 * crosses a stage boundary. Pure logic: the whole state is one JSON value
 * (`state()`), saved in every checkpoint, and `new Curriculum(config, items, state)`
 * continues exactly where the saved run was.
 */
import { UserError } from '../util/errors.ts';
import { DifficultyTracker, type DifficultyState } from './difficulty.ts';
import { selectCarryOver, DEFAULT_RETROSPECTIVE, type CarriedItem, type RetrospectiveConfig } from './retrospective.ts';
import { PoolSampler, TaskBalancedSampler, type PoolSamplerState, type TaskBalancedState } from './sampler.ts';
import { bucketByStage, stageSteps, validateStages, type Stage } from './stages.ts';

export interface TaskBalanceConfig {
  /** `off`: one pool; `even`: equal share per task; `weights`: share ∝ `weights[task]`. */
  mode: 'off' | 'even' | 'weights';
  weights?: Record<string, number>;
  /** Which record field names the task. */
  key: 'task' | 'data_source';
}

export interface CurriculumConfig {
  stages: Stage[];
  /** Prompts per RL step. */
  batchSize: number;
  seed: number;
  retrospective?: RetrospectiveConfig;
  taskBalance?: TaskBalanceConfig;
}

export interface CurriculumItem {
  id: string;
  /** Rendered prompt tokens. */
  length: number;
  task?: string;
  data_source?: string;
}

type SamplerState = { kind: 'pool'; state: PoolSamplerState } | { kind: 'balanced'; state: TaskBalancedState };

export interface CurriculumState {
  version: 1;
  stage: number;
  /** Steps taken in the current stage. */
  step: number;
  carried: CarriedItem[];
  sampler: SamplerState;
  difficulty: DifficultyState;
  /** Carry-over history per boundary, for reports. */
  history: { stage: number; carried: number }[];
}

export class Curriculum {
  readonly stages: Stage[];
  readonly buckets: CurriculumItem[][];
  readonly dropped: CurriculumItem[];
  readonly difficulty: DifficultyTracker;
  private readonly byId: Map<string, CurriculumItem>;
  private readonly retro: RetrospectiveConfig;
  private stageIndex: number;
  private step: number;
  private carried: CarriedItem[];
  private history: { stage: number; carried: number }[];
  private sampler: PoolSampler | TaskBalancedSampler;

  constructor(
    readonly config: CurriculumConfig,
    items: readonly CurriculumItem[],
    state?: CurriculumState,
  ) {
    if (!(config.batchSize >= 1)) throw new UserError(`curriculum.batchSize must be ≥ 1, got ${config.batchSize}`);
    this.stages = validateStages(config.stages);
    this.retro = config.retrospective ?? DEFAULT_RETROSPECTIVE;
    this.byId = new Map();
    for (const it of items) {
      if (this.byId.has(it.id)) throw new UserError(`curriculum: duplicate record id "${it.id}"`);
      this.byId.set(it.id, it);
    }
    const b = bucketByStage(items, this.stages);
    this.buckets = b.buckets;
    this.dropped = b.dropped;
    this.difficulty = new DifficultyTracker(state?.difficulty);
    if (state && (state.version !== 1 || !(state.stage >= 0 && state.stage < this.stages.length))) {
      throw new UserError(`curriculum state: stage ${state.stage} does not exist in a ${this.stages.length}-stage curriculum (was the recipe changed since the checkpoint?)`);
    }
    if (state) {
      for (const c of state.carried) if (!this.byId.has(c.id)) throw new UserError(`curriculum state: carried record "${c.id}" is not in the data (was the data changed since the checkpoint?)`);
    }
    this.stageIndex = state?.stage ?? 0;
    this.step = state?.step ?? 0;
    this.carried = state?.carried ?? [];
    this.history = state?.history ?? [];
    this.sampler = this.makeSampler(state?.sampler);
  }

  get stage(): number {
    return this.stageIndex;
  }

  get stageConfig(): Stage {
    return this.stages[this.stageIndex] as Stage;
  }

  /** The current stage's pool: its bucket, then the carried records. */
  pool(): { id: string; weight: number; task: string }[] {
    const key = this.config.taskBalance?.key ?? 'task';
    const taskOf = (it: CurriculumItem) => (key === 'task' ? (it.task ?? it.data_source ?? '') : (it.data_source ?? ''));
    const own = (this.buckets[this.stageIndex] as CurriculumItem[]).map((it) => ({ id: it.id, weight: 1, task: taskOf(it) }));
    const extra = this.carried.map((c) => ({ id: c.id, weight: c.weight, task: taskOf(this.byId.get(c.id) as CurriculumItem) }));
    return [...own, ...extra];
  }

  private makeSampler(state?: SamplerState): PoolSampler | TaskBalancedSampler {
    const pool = this.pool();
    const label = `stage${this.stageIndex}`;
    if (pool.length === 0) {
      const lo = this.stageIndex === 0 ? 0 : (this.stages[this.stageIndex - 1] as Stage).maxInputTokens;
      throw new UserError(`curriculum stage ${this.stageIndex + 1}: no records with input length in (${lo}, ${this.stageConfig.maxInputTokens}]`);
    }
    // Weighted draws only once there is something to weigh (stage 1 stays epoch-based).
    const weighted = this.retro.mode === 'weighted' && this.carried.length > 0;
    const tb = this.config.taskBalance;
    if (tb && tb.mode !== 'off') {
      return new TaskBalancedSampler(
        pool,
        this.config.seed,
        label,
        { weighted, ...(tb.mode === 'weights' ? { weights: tb.weights ?? {} } : {}) },
        state?.kind === 'balanced' ? state.state : undefined,
      );
    }
    return new PoolSampler(pool, this.config.seed, label, weighted, state?.kind === 'pool' ? state.state : undefined);
  }

  /** Optimizer steps of the current stage (its `steps`, or epochs over its pool). */
  stageSteps(): number {
    return stageSteps(this.stageConfig, this.pool().length, this.config.batchSize);
  }

  stageDone(): boolean {
    return this.step >= this.stageSteps();
  }

  /** True after the last stage's last step. */
  done(): boolean {
    return this.stageIndex === this.stages.length - 1 && this.stageDone();
  }

  /** Record ids of the next RL step. */
  nextBatch(): string[] {
    const ids = this.sampler instanceof TaskBalancedSampler ? this.sampler.next(this.config.batchSize) : this.sampler.take(this.config.batchSize);
    this.step++;
    return ids;
  }

  /** Rollout rewards of one group (G samples of record `id`). */
  observe(id: string, rewards_G: readonly number[]): void {
    this.difficulty.observe(id, rewards_G);
  }

  /** Seeds difficulties from offline mining rows (`longrl mine`). */
  seedDifficulties(rows: readonly { id: string; rewards: readonly number[] }[]): void {
    for (const r of rows) this.difficulty.observe(r.id, r.rewards);
  }

  /** Moves to the next stage, carrying hard records; returns what was carried. */
  advance(): CarriedItem[] {
    if (this.stageIndex >= this.stages.length - 1) throw new UserError('curriculum: already in the last stage');
    const candidates: string[] = [];
    for (let k = 0; k <= this.stageIndex; k++) for (const it of this.buckets[k] as CurriculumItem[]) candidates.push(it.id);
    for (const c of this.carried) candidates.push(c.id);
    const next = selectCarryOver(candidates, this.difficulty, this.retro);
    this.stageIndex++;
    this.step = 0;
    this.carried = next;
    this.history.push({ stage: this.stageIndex, carried: next.length });
    this.sampler = this.makeSampler();
    return next;
  }

  state(): CurriculumState {
    const sampler: SamplerState =
      this.sampler instanceof TaskBalancedSampler ? { kind: 'balanced', state: this.sampler.state() } : { kind: 'pool', state: this.sampler.state() };
    return {
      version: 1,
      stage: this.stageIndex,
      step: this.step,
      carried: this.carried.map((c) => ({ ...c })),
      sampler,
      difficulty: this.difficulty.state(),
      history: this.history.map((h) => ({ ...h })),
    };
  }
}

/** Curriculum items from records and their rendered-prompt lengths (`recordLengths`). */
export function curriculumItems(
  records: readonly { id: string; task?: string; data_source?: string }[],
  lengths: ReadonlyMap<string, number>,
): CurriculumItem[] {
  return records.map((r) => {
    const length = lengths.get(r.id);
    if (length === undefined) throw new UserError(`curriculum: no length for record "${r.id}" (compute lengths with the same data)`);
    const it: CurriculumItem = { id: r.id, length };
    if (r.task !== undefined) it.task = r.task;
    if (r.data_source !== undefined) it.data_source = r.data_source;
    return it;
  });
}
