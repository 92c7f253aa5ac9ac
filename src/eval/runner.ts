/**
 * `longrl eval`: runs benchmarks against a model and writes, into the output folder,
 * - `eval-config.json`: the settings that change results (a resumed run must match);
 * - `<bench>.jsonl`: one line per scored item (prompt id, responses, extracted answers,
 *   every score), appended as items finish, so an interrupted run resumes where it
 *   stopped: items already in the file are skipped, a torn last line is dropped;
 * - `<bench>.errors.jsonl`: items whose generation failed (retried on the next run);
 * - `results.json` and `results.md`: the table (results.ts).
 *
 * Each item's sampling seed derives from the run seed and the item id, so results do
 * not depend on order, concurrency or interruptions: a resumed run ends with the same
 * table as an uninterrupted one.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.ts';
import { hash32 } from '../util/rng.ts';
import { JsonlWriter, readJsonl } from '../util/jsonl.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/fsx.ts';
import type { Judge } from '../reward/judge.ts';
import { BENCHMARKS } from './benchmarks.ts';
import type { EvalItem } from './items.ts';
import { itemContent, truncateContent } from './prompts.ts';
import { finalScore, ruleScores } from './score-item.ts';
import { benchResult, evalResults, resultsMarkdown, type BenchResult, type EvalResults, type ItemLine } from './results.ts';
import type { EvalModel } from './backends.ts';

export interface EvalSettings {
  /** Samples per item (pass@k when > 1). */
  n: number;
  temperature: number;
  topP: number;
  maxNewTokens: number;
  /** Budget of the user message in tokens (middle truncation). */
  maxInputTokens: number;
  seed: number;
}

export interface EvalOptions extends EvalSettings {
  model: EvalModel;
  /** Benchmark name → data file. */
  data: Record<string, string>;
  outDir: string;
  /** First K items per benchmark. */
  limit?: number;
  judge?: Judge | null;
  /** FRAMES articles (JSONL `{url|title, text}`). */
  wiki?: string;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/** The seed of one item's samples: independent of order and batching. */
export function itemSeed(seed: number, bench: string, id: string): number {
  return (hash32(`${bench}/${id}`) ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0;
}

function checkConfig(outDir: string, cfg: Record<string, unknown>): void {
  const path = join(outDir, 'eval-config.json');
  if (existsSync(path)) {
    const old = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    for (const [k, v] of Object.entries(cfg)) {
      if (JSON.stringify(old[k]) !== JSON.stringify(v)) {
        throw new UserError(`${path}: this folder holds a run with ${k} = ${JSON.stringify(old[k])}, not ${JSON.stringify(v)}; resume with the same settings or pass another --out`);
      }
    }
  }
  writeJsonAtomic(path, cfg);
}

async function scoreSamples(item: EvalItem, texts: { text: string; finishReason: string }[], judge: Judge | null | undefined): Promise<ItemLine['samples']> {
  return Promise.all(texts.map(async (t) => {
    const r = ruleScores(item, t.text);
    let verdict: number | null = null;
    const rule = r.scores[r.primary] ?? 0;
    if (judge && r.judge && (r.judge.always || rule < 1)) {
      const v = await judge.judge({ problem: item.question, prediction: r.judge.prediction, gold: r.judge.gold });
      verdict = v.score;
      r.scores['judge'] = v.score;
    }
    return { response: t.text, extracted: r.extracted, finish_reason: t.finishReason, scores: r.scores, score: finalScore(r, verdict) };
  }));
}

async function runBench(bench: string, opts: EvalOptions): Promise<BenchResult> {
  const def = BENCHMARKS[bench]!;
  const loaded = await def.load(opts.data[bench]!, opts.wiki ? { wiki: opts.wiki } : {});
  const items = opts.limit !== undefined ? loaded.items.slice(0, opts.limit) : loaded.items;
  const ids = new Set<string>();
  for (const it of items) {
    if (ids.has(it.id)) throw new UserError(`${opts.data[bench]}: item id "${it.id}" appears twice; ids must be unique for resuming`);
    ids.add(it.id);
  }
  const file = join(opts.outDir, `${bench}.jsonl`);
  const done = new Map<string, ItemLine>();
  if (existsSync(file)) for (const l of readJsonl<ItemLine>(file, { allowTornTail: true })) if (ids.has(l.value.id)) done.set(l.value.id, l.value);
  const writer = new JsonlWriter(file);
  const errors = new JsonlWriter(join(opts.outDir, `${bench}.errors.jsonl`));
  const pending = items.filter((it) => !done.has(it.id));
  opts.log?.(`${bench}: ${items.length} items, ${done.size} already scored, ${pending.length} to run`);
  let failed = 0;
  let next = 0;
  const worker = async () => {
    for (;;) {
      const item = pending[next++];
      if (!item) return;
      const t = truncateContent(itemContent(item), opts.model.tokenizer, opts.maxInputTokens);
      let texts;
      try {
        texts = await opts.model.generate({
          content: t.content, n: opts.n, temperature: opts.temperature, topP: opts.topP, maxTokens: opts.maxNewTokens, seed: itemSeed(opts.seed, bench, item.id),
        });
      } catch (e) {
        if (e instanceof UserError) throw e;
        failed++;
        errors.write({ id: item.id, bench, error: (e as Error).message });
        errors.flush();
        continue;
      }
      const samples = await scoreSamples(item, texts, opts.judge);
      const line: ItemLine = {
        id: item.id, bench, task: item.task, ...(item.groups && Object.keys(item.groups).length > 0 ? { groups: item.groups } : {}),
        prompt_tokens: t.tokens, truncated: t.truncated, ...(item.closedBook ? { closed_book: true } : {}), gold: item.answers, n: samples.length, samples,
        score: samples.reduce((a, s) => a + s.score, 0) / samples.length, correct: samples.filter((s) => s.score >= 1).length, prediction: samples[0]?.response ?? '',
      };
      writer.write(line);
      writer.flush();
      done.set(item.id, line);
      opts.log?.(`${bench}: ${done.size}/${items.length} (${item.id}: ${line.score.toFixed(2)})`);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, opts.model.concurrency) }, worker));
  } finally {
    writer.close();
    errors.close();
  }
  const lines = items.map((it) => done.get(it.id)).filter((l): l is ItemLine => l !== undefined);
  return benchResult(bench, lines, { items: items.length, failed, skipped: loaded.skipped, n: opts.n });
}

/** Runs every benchmark in `opts.data` (in its key order) and writes the results. */
export async function runEval(opts: EvalOptions): Promise<EvalResults> {
  if (!Number.isInteger(opts.n) || opts.n < 1) throw new UserError(`-n must be a positive integer, got ${opts.n}`);
  mkdirSync(opts.outDir, { recursive: true });
  checkConfig(opts.outDir, {
    model: opts.model.label, n: opts.n, temperature: opts.temperature, top_p: opts.topP, max_new_tokens: opts.maxNewTokens,
    max_input_tokens: opts.maxInputTokens, seed: opts.seed, judge: opts.judge?.model ?? null,
  });
  const benches: BenchResult[] = [];
  for (const b of Object.keys(opts.data)) benches.push(await runBench(b, opts));
  const results = evalResults(opts.model.label, opts.n, benches);
  writeJsonAtomic(join(opts.outDir, 'results.json'), results);
  writeFileAtomic(join(opts.outDir, 'results.md'), resultsMarkdown(results));
  return results;
}
