/**
 * `distill()`: warm-up SFT data from a teacher with rejection sampling (issue 9).
 *
 * For each record in input order: render the QwenLong prompt (src/data/prompt.ts), drop it
 * when the rendered prompt (chat template included) exceeds the input budget (the paper
 * distilled traces only up to the first stage's length, qwenlong-recipe.md §1, §12), ask
 * the teacher for K replies with the record's own seed, keep at most `keep` correct ones
 * (select.ts) and append the record's outcome to the journal (journal.ts). Records run
 * `concurrency` at a time; completion order does not matter: the output file is written
 * at the end, atomically, from the journal in input order, so a rerun after any
 * interruption asks the teacher only for the records not yet in the journal and yields
 * the same file.
 */
import type { DocQARecord } from '../data/record.ts';
import { promptMessages, renderPrompt } from '../data/prompt.ts';
import { writeJsonlRecords } from '../data/io/jsonl.ts';
import type { TokenCounter } from '../data/tokens.ts';
import { recordSeed } from '../data/mine.ts';
import { goldAnswers } from '../data/record.ts';
import { ruleReward } from '../reward/rule.ts';
import type { Judge } from '../reward/judge.ts';
import type { RuleOptions } from '../reward/rule.ts';
import { writeJsonAtomic } from '../util/fsx.ts';
import { UserError } from '../util/errors.ts';
import { journalPath, openJournal, readJournal, type JournalEntry, type JournalHeader } from './journal.ts';
import { OUTCOMES, pickShortestCorrect, scoreReplies, sftRecords, type Outcome } from './select.ts';
import { summarizeDistill, type DistillSummary } from './summary.ts';
import { TeacherError, type Teacher } from './teacher.ts';

export interface DistillOptions {
  teacher: Teacher;
  records: readonly DocQARecord[];
  /** Replies per record (K, default 4). */
  n?: number;
  /** Correct replies kept per record at most (default 1). */
  keep?: number;
  /** Input budget in tokens of the rendered prompt; needs `counter`. Default: none. */
  maxInputTokens?: number;
  /** Output cap per reply in tokens (`max_tokens`; default 10 000, the RL output cap, recipe §9). */
  maxOutputTokens?: number;
  /** Sampling temperature (default 0.6, DeepSeek-R1's recommendation). */
  temperature?: number;
  /** Nucleus mass (default 0.95). */
  topP?: number;
  /** Run seed; each record samples with `recordSeed(seed, id)` (default 0). */
  seed?: number;
  /**
   * Rendered-prompt token counts by record id (e.g. `recordLengths` with its sidecar cache,
   * src/data/lengths.ts); used for the budget instead of tokenizing with `counter`.
   */
  promptLengths?: ReadonlyMap<string, number>;
  /** Tokenizer for the input budget and trace lengths (rendered chat prompt when `renderChat` is set). */
  counter?: TokenCounter;
  /** Records in flight at once (default 8; a local teacher serialises anyway). */
  concurrency?: number;
  /** LLM judge for the hybrid reward (rule only without it). */
  judge?: Judge | null;
  rule?: RuleOptions;
  /** Drop replies without reasoning (default true). */
  requireReasoning?: boolean;
  /**
   * Also write each record's chat prompt as `prompt` (`[{role: "user", content}]`, the
   * QwenLong rendering), for trainers that read prompt/completion pairs (TRL, verl). Off by
   * default: it repeats the document, and longrl's SFT trainer renders it itself.
   */
  withPrompt?: boolean;
  /** Output JSONL; the journal is `<out>.progress.jsonl`, the summary `<out>.summary.json`. */
  out: string;
  /** The data file's name, for the summary. */
  dataPath?: string;
  /** Called once before sampling: records to ask in this run, resumed from the journal, over budget. */
  onStart?: (todo: number, resumed: number, overBudget: number) => void;
  /** Called after each record (done, total to ask in this run, a short note). */
  onProgress?: (done: number, total: number, note: string) => void;
  /** Called when a record fails for good (the run goes on). */
  onError?: (id: string, message: string) => void;
}

export interface DistillResult {
  summary: DistillSummary;
  /** The SFT records written, in input order. */
  written: number;
}

export function summaryPath(out: string): string {
  return `${out}.summary.json`;
}

function positiveInt(name: string, v: number, min = 1): number {
  if (!Number.isInteger(v) || v < min) throw new UserError(`${name} must be an integer >= ${min} (got ${v})`);
  return v;
}

/** Checks ids are unique and every data_source routes to a rule verifier, before paying a teacher. */
function checkRecords(records: readonly DocQARecord[]): void {
  const seen = new Set<string>();
  const routed = new Set<string>();
  for (const r of records) {
    if (seen.has(r.id)) throw new UserError(`record id "${r.id}" appears twice in the data; distill resumes by id, so ids must be unique`);
    seen.add(r.id);
    if (routed.has(r.data_source)) continue;
    try {
      ruleReward({ dataSource: r.data_source, response: '', groundTruth: goldAnswers(r) });
    } catch (err) {
      throw new UserError(`record "${r.id}": ${(err as Error).message}`);
    }
    routed.add(r.data_source);
  }
}

export async function distill(o: DistillOptions): Promise<DistillResult> {
  const n = positiveInt('-n', o.n ?? 4);
  const keep = positiveInt('--keep', o.keep ?? 1);
  const maxOutputTokens = positiveInt('--max-output-tokens', o.maxOutputTokens ?? 10_000);
  const concurrency = positiveInt('--concurrency', o.concurrency ?? 8);
  const temperature = o.temperature ?? 0.6;
  const topP = o.topP ?? 0.95;
  const seed = o.seed ?? 0;
  if (o.maxInputTokens !== undefined) positiveInt('--max-input-tokens', o.maxInputTokens);
  if (o.maxInputTokens !== undefined && !o.counter && !o.promptLengths) {
    throw new UserError('--max-input-tokens needs a tokenizer to count prompt tokens: pass --tokenizer DIR (the teacher\'s tokenizer folder)');
  }
  checkRecords(o.records);

  const counter = o.counter;
  const lengthUnit = counter ? 'tokens' : 'chars';
  const measure = counter ? (t: string): number => counter.encode(t).length : (t: string): number => [...t].length;
  const header: JournalHeader = {
    version: 1, teacher: o.teacher.name, n, keep, max_output_tokens: maxOutputTokens, temperature, top_p: topP, seed, length_unit: lengthUnit,
  };
  const jpath = journalPath(o.out);
  const done = readJournal(jpath, header);

  // Input budget: tokens of the prompt as the teacher sees it.
  const promptTokens = (r: DocQARecord): number => {
    const known = o.promptLengths?.get(r.id);
    if (known !== undefined) return known;
    if (!counter) throw new UserError(`no prompt length for record "${r.id}" and no tokenizer to count it`);
    return counter.encode(renderPrompt(r, counter.renderChat?.bind(counter))).length;
  };
  const inBudget = o.maxInputTokens === undefined ? [...o.records] : o.records.filter((r) => promptTokens(r) <= (o.maxInputTokens as number));
  const overBudget = o.records.length - inBudget.length;
  const todo = inBudget.filter((r) => !done.has(r.id));
  const resumed = inBudget.length - todo.length;

  const writer = openJournal(jpath, header);
  o.onStart?.(todo.length, resumed, overBudget);
  const failed: string[] = [];
  let finished = 0;
  let kept = 0;
  let next = 0;
  let stop: unknown = null;

  async function one(r: DocQARecord): Promise<void> {
    let res;
    try {
      res = await o.teacher.sample({
        id: r.id, messages: promptMessages(r), n, maxTokens: maxOutputTokens, temperature, topP, seed: recordSeed(seed, r.id),
      });
    } catch (err) {
      if (!(err instanceof TeacherError)) throw err;
      failed.push(r.id);
      o.onError?.(r.id, err.message);
      return;
    }
    const cands = await scoreReplies(r, res.replies, {
      keep, measure, requireReasoning: o.requireReasoning ?? true, reward: { judge: o.judge ?? null, ...(o.rule ? { rule: o.rule } : {}) },
    });
    const picked = pickShortestCorrect(cands, keep);
    const outcomes = Object.fromEntries(OUTCOMES.map((k) => [k, 0])) as Record<Outcome, number>;
    for (const c of cands) outcomes[c.outcome]++;
    const entry: JournalEntry = {
      id: r.id,
      data_source: r.data_source,
      kept: sftRecords(r, cands, picked, { name: o.teacher.name, kind: o.teacher.kind }, lengthUnit),
      outcomes,
      trace_lengths: picked.map((c) => c.length),
      prompt_tokens: res.promptTokens,
      completion_tokens: res.completionTokens,
      attempts: res.attempts,
    };
    writer.write(entry);
    done.set(r.id, entry);
    kept += entry.kept.length;
  }

  async function worker(): Promise<void> {
    while (stop === null && next < todo.length) {
      const r = todo[next++] as DocQARecord;
      try {
        await one(r);
      } catch (err) {
        stop ??= err;
        return;
      }
      finished++; // answered or failed for good
      o.onProgress?.(finished, todo.length, `kept ${kept}${failed.length ? `, failed ${failed.length}` : ''}`);
    }
  }

  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, todo.length)) }, () => worker()));
  } finally {
    writer.close();
  }
  if (stop !== null) throw stop;

  // The output, in input order, from the journal (this run's records and earlier ones).
  const entries = inBudget.map((r) => done.get(r.id)).filter((e): e is JournalEntry => e !== undefined);
  const out = entries.flatMap((e) => (o.withPrompt ? e.kept.map((k) => ({ ...k, prompt: promptMessages(k) })) : e.kept));
  writeJsonlRecords(o.out, out);

  const counters: Record<string, number> = { ...o.teacher.counters(), ...(o.judge ? o.judge.counters() : {}) };
  const summary = summarizeDistill({
    teacher: o.teacher.name,
    data: o.dataPath ?? null,
    out: o.out,
    records: o.records.length,
    overBudget,
    failed: failed.length,
    resumed,
    askedThisRun: todo.length,
    entries,
    lengthUnit,
    counters,
  });
  writeJsonAtomic(summaryPath(o.out), summary);
  return { summary, written: out.length };
}
