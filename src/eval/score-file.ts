/**
 * Scores a predictions file with one metric (the engine of `longrl score`;
 * contracts.md §4). Reads JSONL, finds the prediction and gold fields per line, scores
 * every item, and returns the per-item scores with the overall and per-group table.
 * Every unusable line is a UserError naming `file:line` and the field.
 */
import { readJsonl } from '../util/jsonl.ts';
import { UserError } from '../util/errors.ts';
import { getMetric, parseGold, type Gold, type MetricDef } from './metrics/registry.ts';
import { FIRST_LINE_TASKS, LONGBENCH_TASK_METRIC, firstLine, longBenchEBucket } from './metrics/longbench-scorer.ts';
import { qwenJudgeVerdict } from './metrics/judges.ts';
import { scoreTable, type ScoreTable } from './metrics/aggregate.ts';

export const DEFAULT_PRED_FIELDS = ['prediction', 'pred'] as const;
export const DEFAULT_GOLD_FIELDS = ['answers', 'gold', 'answer', 'ground_truth'] as const;

export interface ScoreFileOptions {
  /** A registry metric name, or `longbench`: the metric of each item's task (`taskField`). */
  metric: string;
  input: string;
  predField?: string;
  goldField?: string;
  /** Group by this field's value (e.g. `task`, `dataset`, `length`). */
  byField?: string;
  /** Field holding a judge verdict (number 0–1, boolean, or the judge's reply text). */
  judgeField?: string;
  /** Cut predictions to their first line (LongBench few-shot tasks) for every item. */
  firstLine?: boolean;
  /**
   * With `metric: 'longbench'`: the field naming the LongBench task (default `dataset`,
   * LongBench's own). The first-line cut then applies to trec/triviaqa/samsum/lsht
   * unless `noFirstLineCut` (MiniLongBench skips it).
   */
  taskField?: string;
  noFirstLineCut?: boolean;
  /**
   * LongBench-E: group by the length bucket of the item's `length` field (words: 0-4k,
   * 4-8k, 8k+), nested under `byField` when given (`task/bucket`), each group averaged
   * as `scorer_e` does (NumPy mean).
   */
  lengthBuckets?: boolean;
}

export interface ScoreFileResult extends ScoreTable {
  /** Per-item scores in [0, 1], in file order. */
  scores: number[];
  /** Number of items per group. */
  groupCounts: Record<string, number>;
}

type Row = Record<string, unknown>;

function pickField(row: Row, explicit: string | undefined, defaults: readonly string[]): string | undefined {
  if (explicit !== undefined) return explicit in row ? explicit : undefined;
  return defaults.find((f) => f in row);
}

function judgeValue(v: unknown, where: string): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number' && v >= 0 && v <= 1) return v;
  if (typeof v === 'string') return qwenJudgeVerdict(v);
  throw new UserError(`${where}: judge verdict must be a number in [0, 1], a boolean or the judge's reply text`);
}

function groupValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Scores every line of `opts.input`. */
export function scoreFile(opts: ScoreFileOptions): ScoreFileResult {
  const perTask = opts.metric === 'longbench';
  let fixed: MetricDef | undefined;
  if (!perTask) {
    const { metric, reason } = getMetric(opts.metric);
    if (!metric) throw new UserError(`--metric: ${reason}`);
    fixed = metric;
  }
  const taskField = opts.taskField ?? 'dataset';
  const lines = readJsonl<unknown>(opts.input);
  if (lines.length === 0) throw new UserError(`${opts.input}: no predictions (the file is empty)`);
  const scores: number[] = [];
  const groups: (string | null)[] = [];
  for (const { value, line } of lines) {
    const at = `${opts.input}:${line}`;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new UserError(`${at}: each line must be a JSON object`);
    }
    const row = value as Row;
    let metric = fixed;
    let cut = opts.firstLine ?? false;
    if (perTask) {
      const task = row[taskField];
      if (typeof task !== 'string') throw new UserError(`${at}: field "${taskField}" (the LongBench task) is missing or not a string`);
      const name = LONGBENCH_TASK_METRIC[task];
      if (name === undefined) throw new UserError(`${at}: field "${taskField}": unknown LongBench task "${task}"`);
      const got = getMetric(name);
      if (!got.metric) throw new UserError(`${at}: LongBench task "${task}": ${got.reason}`);
      metric = got.metric;
      if (!opts.noFirstLineCut && FIRST_LINE_TASKS.has(task)) cut = true;
    }
    const m = metric as MetricDef;
    const pf = pickField(row, opts.predField, DEFAULT_PRED_FIELDS);
    if (pf === undefined) {
      const names = opts.predField ?? DEFAULT_PRED_FIELDS.join('" or "');
      throw new UserError(`${at}: no prediction field "${names}" (choose one with --pred-field)`);
    }
    const pred = row[pf];
    if (typeof pred !== 'string') throw new UserError(`${at}: field "${pf}" must be a string, got ${pred === null ? 'null' : typeof pred}`);
    let gold: Gold = { answers: [], allClasses: [] };
    if (m.needsGold) {
      const gf = pickField(row, opts.goldField, DEFAULT_GOLD_FIELDS);
      if (gf === undefined) {
        const names = opts.goldField ?? DEFAULT_GOLD_FIELDS.join('" or "');
        throw new UserError(`${at}: no gold field "${names}" (choose one with --gold-field)`);
      }
      const g = parseGold(row[gf]);
      if (g === null) {
        throw new UserError(`${at}: field "${gf}" must be a string, a list of strings, or an object with "answers" (and "all_classes")`);
      }
      if (m.name === 'classification' && g.allClasses.length === 0) {
        throw new UserError(`${at}: field "${gf}": classification needs {"answers": [...], "all_classes": [...]}`);
      }
      gold = g;
    }
    let judge: number | null = null;
    if (opts.judgeField !== undefined) {
      if (!m.acceptsJudge) throw new UserError(`--judge-field: metric "${m.name}" does not combine with a judge (qwenlong_qa and docmath do)`);
      judge = judgeValue(row[opts.judgeField], `${at} field "${opts.judgeField}"`);
    }
    let score: number;
    try {
      score = m.score(cut ? firstLine(pred) : pred, gold, { judge });
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw new UserError(`${at}: ${m.name} could not score this item: ${(err as Error).message}`);
    }
    scores.push(score);
    let group: string | null = null;
    if (opts.byField !== undefined) {
      if (!(opts.byField in row)) throw new UserError(`${at}: no field "${opts.byField}" to group by (--by-field)`);
      group = groupValue(row[opts.byField]);
    }
    if (opts.lengthBuckets) {
      const len = row['length'];
      if (typeof len !== 'number' || !Number.isFinite(len)) {
        throw new UserError(`${at}: field "length" (words, for the LongBench-E buckets) must be a number`);
      }
      const bucket = longBenchEBucket(len);
      group = group === null ? bucket : `${group}/${bucket}`;
    }
    groups.push(group);
  }
  const groupCounts: Record<string, number> = {};
  for (const g of groups) if (g !== null) groupCounts[g] = (groupCounts[g] ?? 0) + 1;
  return { ...scoreTable(scores, groups, opts.lengthBuckets ? 'numpy' : 'loop'), scores, groupCounts };
}

/** The plain-text table: one row per group, then the overall row. */
export function formatScoreTable(t: ScoreTable, metric: string, counts?: Record<string, number>): string {
  const rows: [string, string, string][] = [['group', 'n', metric]];
  for (const [k, v] of Object.entries(t.groups)) rows.push([k, String(counts?.[k] ?? ''), fmt(v)]);
  rows.push(['overall', String(t.count), fmt(t.overall)]);
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  return rows.map((r) => `${r[0].padEnd(w0)}  ${r[1].padStart(w1)}  ${r[2]}`).join('\n') + '\n';
}

function fmt(x: number): string {
  return Number.isNaN(x) ? 'nan' : x.toFixed(2);
}
