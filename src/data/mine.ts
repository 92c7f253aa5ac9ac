/**
 * Offline difficulty mining (qwenlong-recipe.md §10, issue #1 author reply): sample G
 * responses per record, score each, and record the mean reward and the paper's
 * difficulty 1 / mean reward (L1-paper Eq. 10; written as null when the mean is 0,
 * i.e. infinitely hard, since JSON has no Infinity). The rows seed the curriculum's
 * difficulty tracker (`Curriculum.seedDifficulties`) as the carry-over source.
 *
 * Each record is sampled with its own seed derived from (seed, record id), so a row
 * does not depend on which other records are mined or in what order, and an
 * interrupted run resumes by skipping the ids already written.
 */
import type { Policy, SampleParams, SampledSequence } from '../policy/types.ts';
import { hash32 } from '../util/rng.ts';
import { readJsonl } from '../util/jsonl.ts';
import { UserError } from '../util/errors.ts';
import type { DocQARecord } from './record.ts';

export interface DifficultyRow {
  id: string;
  mean_reward: number;
  /** 1 / mean_reward; null when mean_reward is 0 (infinite). */
  difficulty: number | null;
  /** Reward of each of the G samples, in sample order. */
  rewards: number[];
}

export interface MineOptions {
  policy: Pick<Policy, 'sample'>;
  records: readonly DocQARecord[];
  /** Samples per record (G). */
  n: number;
  /** Sampling settings; `seed` is the run seed (per-record seeds derive from it). */
  sampleParams: Omit<SampleParams, 'n'>;
  /** Prompt token ids of a record (template + chat template + tokenizer). */
  render: (r: DocQARecord) => number[];
  /** Rewards of a record's G samples. */
  reward: (r: DocQARecord, samples: readonly SampledSequence[]) => Promise<number[]> | number[];
  /** Ids already done (resume): skipped. */
  skip?: ReadonlySet<string>;
  /** Called with each row as soon as it is scored (write it out here). */
  onRow?: (row: DifficultyRow, done: number, total: number) => void;
}

/** The seed of one record's sampling. */
export function recordSeed(seed: number, id: string): number {
  return (hash32(id) ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0;
}

export function difficultyRow(id: string, rewards: readonly number[]): DifficultyRow {
  const mean = rewards.length ? rewards.reduce((a, b) => a + b, 0) / rewards.length : 0;
  return { id, mean_reward: mean, difficulty: mean > 0 ? 1 / mean : null, rewards: [...rewards] };
}

export async function mineDifficulties(o: MineOptions): Promise<DifficultyRow[]> {
  if (!(o.n >= 1)) throw new UserError(`mine: -n must be ≥ 1, got ${o.n}`);
  const rows: DifficultyRow[] = [];
  const todo = o.records.filter((r) => !o.skip?.has(r.id));
  for (const r of todo) {
    const prompt = o.render(r);
    const [samples] = await o.policy.sample([prompt], { ...o.sampleParams, n: o.n, seed: recordSeed(o.sampleParams.seed, r.id) });
    if (!samples || samples.length !== o.n) throw new Error(`mine: policy returned ${samples?.length ?? 0} samples for ${r.id}, expected ${o.n}`);
    const rewards = await o.reward(r, samples);
    if (rewards.length !== o.n) throw new Error(`mine: reward returned ${rewards.length} values for ${r.id}, expected ${o.n}`);
    const row = difficultyRow(r.id, rewards);
    rows.push(row);
    o.onRow?.(row, rows.length, todo.length);
  }
  return rows;
}

/** Reads a difficulties file (one row per line); a torn last line is ignored. */
export function readDifficultyRows(path: string): DifficultyRow[] {
  return readJsonl<DifficultyRow>(path, { allowTornTail: true }).map(({ value, line }) => {
    if (typeof value?.id !== 'string' || !Array.isArray(value.rewards) || value.rewards.some((x) => typeof x !== 'number')) {
      throw new UserError(`${path}:${line}: expected {"id": string, "mean_reward", "difficulty", "rewards": number[]}`);
    }
    return value;
  });
}
