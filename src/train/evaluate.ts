/**
 * Evaluation of a Policy on held-out DocQA records: prompts are batched (many per
 * `sample` call, one sample each), decoded greedily by default (temperature 0) or with
 * the configured sampling, and scored with the reward's rule verifier in RL extraction
 * mode (the answer must follow `</think>`, as during training). Accuracy is the mean
 * rule score in percent (0–100, contracts §4), per length and, optionally, per task.
 */
import type { Policy } from '../policy/types.ts';
import type { DocQARecord } from '../data/record.ts';
import { goldAnswers } from '../data/record.ts';
import { ruleReward } from '../reward/rule.ts';
import type { ResultsRow } from '../observe/run-data.ts';

export interface EvalItem {
  record: DocQARecord;
  prompt: number[];
  /** The length bucket the item is reported under. */
  length: number;
}

export interface EvaluateOptions {
  temperature: number;
  topP: number;
  maxTokens: number;
  batchPrompts: number;
  stopTokenIds: readonly number[];
  seed: number;
  decode: (ids: readonly number[]) => string;
  compat?: 'default' | 'reference';
  perTask?: boolean;
  /** Called after each batch with items done so far. */
  onProgress?: (done: number) => void;
}

export interface ItemScore {
  id: string;
  length: number;
  task: string | undefined;
  score: number;
  response: string;
}

/** Strips one trailing stop token before decoding (the reward manager does the same). */
function responseText(tokens: readonly number[], stop: ReadonlySet<number>, decode: (ids: readonly number[]) => string): string {
  const last = tokens[tokens.length - 1];
  return decode(last !== undefined && stop.has(last) ? tokens.slice(0, -1) : tokens);
}

/** Scores every item (order kept). */
export async function scoreItems(policy: Policy, items: readonly EvalItem[], o: EvaluateOptions): Promise<ItemScore[]> {
  const stop = new Set(o.stopTokenIds);
  const out: ItemScore[] = [];
  for (let i = 0; i < items.length; i += o.batchPrompts) {
    const part = items.slice(i, i + o.batchPrompts);
    const samples = await policy.sample(part.map((it) => it.prompt), {
      n: 1, temperature: o.temperature, topP: o.topP, topK: -1, maxTokens: o.maxTokens, stopTokenIds: o.stopTokenIds, seed: (o.seed + i) >>> 0,
    });
    part.forEach((it, k) => {
      const seq = samples[k]?.[0];
      const response = seq ? responseText(seq.tokens, stop, o.decode) : '';
      const r = ruleReward({ dataSource: it.record.data_source, response, groundTruth: goldAnswers(it.record) }, { compat: o.compat ?? 'default', mode: 'rl' });
      out.push({ id: it.record.id, length: it.length, task: it.record.task, score: r.score, response });
    });
    o.onProgress?.(Math.min(items.length, i + part.length));
  }
  return out;
}

/** Results rows of one model: accuracy per length (mixed) and per (length, task). */
export function resultRows(model: string, scores: readonly ItemScore[], perTask = true): ResultsRow[] {
  const rows: ResultsRow[] = [];
  const lengths = [...new Set(scores.map((s) => s.length))].sort((a, b) => a - b);
  const pct = (xs: readonly ItemScore[]) => Math.round((10000 * xs.reduce((a, s) => a + s.score, 0)) / Math.max(1, xs.length)) / 100;
  for (const length of lengths) {
    const at = scores.filter((s) => s.length === length);
    rows.push({ model, length, accuracy: pct(at), n: at.length });
    if (!perTask) continue;
    const tasks = [...new Set(at.map((s) => s.task).filter((t): t is string => t !== undefined))].sort();
    if (tasks.length < 2) continue;
    for (const task of tasks) {
      const t = at.filter((s) => s.task === task);
      rows.push({ model, length, accuracy: pct(t), n: t.length, task });
    }
  }
  return rows;
}

/** Evaluates a policy: scores the items and returns its results rows. */
export async function evaluatePolicy(model: string, policy: Policy, items: readonly EvalItem[], o: EvaluateOptions): Promise<{ rows: ResultsRow[]; scores: ItemScore[] }> {
  const scores = await scoreItems(policy, items, o);
  return { rows: resultRows(model, scores, o.perTask ?? true), scores };
}
