/**
 * The results of an evaluation run: per benchmark the mean score over written items ×
 * 100 (qwenlong-recipe.md §14.1 step 5: items whose generation failed drop from the
 * denominator, and are counted), sub-group scores, pass@k from n samples with the
 * unbiased estimator (§14.1 step 6), and the average over benchmarks — as a JSON object
 * and a Markdown table shaped like QwenLong-L1's Table 4.
 */
import { pyRound } from './metrics/pyround.ts';
import { meanPassAtK } from './metrics/passk.ts';
import { aggregateV2, type V2Summary } from './metrics/longbench-v2.ts';

/** One line of a benchmark's items file. */
export interface ItemLine {
  id: string;
  bench: string;
  task: string;
  groups?: Record<string, string>;
  prompt_tokens: number | null;
  truncated: boolean;
  closed_book?: boolean;
  gold: string[];
  n: number;
  samples: { response: string; extracted: string | null; finish_reason: string; scores: Record<string, number | null>; score: number }[];
  /** Mean of the samples' scores, in [0, 1]. */
  score: number;
  /** Samples scored fully correct (score 1). */
  correct: number;
  /** The first sample's response (the field `longrl score` reads). */
  prediction: string;
}

export interface BenchResult {
  bench: string;
  /** Items loaded (after --limit). */
  items: number;
  /** Items scored (written). */
  scored: number;
  /** Items whose generation failed after all retries (not in the denominator). */
  failed: number;
  /** Rows of the data file that could not be used (e.g. LongBench v2 questions without context). */
  skipped: number;
  closed_book: number;
  truncated: number;
  /** round(100 · mean item score, 2); NaN when nothing was scored. */
  score: number;
  /** Mean of every score column (0-100), e.g. sub_em, qa_f1, judge. */
  columns: Record<string, number>;
  /** Score per group (task, or v2 difficulty/length, ...), 0-100. */
  groups: Record<string, number>;
  /** pass@k for k = 1, 2, 4, ... ≤ n (0-100), when n > 1. */
  pass_at_k: Record<string, number>;
  /** LongBench v2 only: its `result.py` table (first sample; 1 decimal, compensated beside). */
  longbench_v2?: { plain: V2Summary; compensated: V2Summary };
}

export interface EvalResults {
  model: string;
  n: number;
  benchmarks: BenchResult[];
  /** Mean of the benchmark scores (those with scored items). */
  average: number;
}

const pct = (xs: readonly number[]) => (xs.length === 0 ? NaN : pyRound((100 * xs.reduce((a, b) => a + b, 0)) / xs.length, 2));

export function benchResult(bench: string, lines: readonly ItemLine[], meta: { items: number; failed: number; skipped: number; n: number }): BenchResult {
  const groups: Record<string, number[]> = {};
  const add = (k: string, v: number) => { (groups[k] ??= []).push(v); };
  const columns: Record<string, number[]> = {};
  for (const l of lines) {
    const tasks = new Set(lines.map((x) => x.task));
    if (tasks.size > 1) add(`task=${l.task}`, l.score);
    for (const [k, v] of Object.entries(l.groups ?? {})) add(`${k}=${v}`, l.score);
    for (const s of l.samples) for (const [k, v] of Object.entries(s.scores)) if (v !== null) (columns[k] ??= []).push(v);
  }
  const passAtK: Record<string, number> = {};
  if (meta.n > 1 && lines.length > 0) {
    for (let k = 1; k <= meta.n; k *= 2) passAtK[`pass@${k}`] = pyRound(100 * meanPassAtK(lines.map((l) => ({ n: l.n, c: l.correct })), k), 2);
  }
  return {
    bench, items: meta.items, scored: lines.length, failed: meta.failed, skipped: meta.skipped,
    closed_book: lines.filter((l) => l.closed_book).length, truncated: lines.filter((l) => l.truncated).length,
    score: pct(lines.map((l) => l.score)),
    columns: Object.fromEntries(Object.entries(columns).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, pct(v)])),
    groups: Object.fromEntries(Object.entries(groups).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, pct(v)])),
    pass_at_k: passAtK,
    ...(lines.length > 0 && lines.every((l) => l.groups?.['difficulty'] !== undefined && l.samples[0]?.scores['acc'] !== undefined) ? { longbench_v2: v2Table(lines) } : {}),
  };
}

function v2Table(lines: readonly ItemLine[]): { plain: V2Summary; compensated: V2Summary } {
  const rows = lines.map((l) => ({ pred: l.samples[0]!.extracted, answer: l.gold[0] ?? '', difficulty: l.groups!['difficulty']!, length: l.groups!['length'] ?? '' }));
  return { plain: aggregateV2(rows), compensated: aggregateV2(rows, true) };
}

export function evalResults(model: string, n: number, benches: BenchResult[]): EvalResults {
  const scored = benches.filter((b) => b.scored > 0).map((b) => b.score);
  const average = scored.length === 0 ? NaN : pyRound(scored.reduce((a, b) => a + b, 0) / scored.length, 2);
  return { model, n, benchmarks: benches, average };
}

/** Short column names as the paper's Table 4 prints them. */
const SHORT: Record<string, string> = {
  docmath: 'DocMath', frames: 'Frames', '2wikimqa': '2Wiki', hotpotqa: 'HQA', musique: 'Musi', narrativeqa: 'NarQA', qasper: 'Qasp',
  'longbench-v2': 'LBV2', synth: 'Synth',
};

const fmt = (x: number) => (Number.isNaN(x) ? '–' : x.toFixed(2));

/** The Markdown report: the Table-4-shaped summary, then per-benchmark detail. */
export function resultsMarkdown(r: EvalResults): string {
  const out: string[] = [];
  const names = r.benchmarks.map((b) => SHORT[b.bench] ?? b.bench);
  out.push(`| Model | ${names.join(' | ')} | Avg |`);
  out.push(`|---|${names.map(() => '---|').join('')}---|`);
  out.push(`| ${r.model} | ${r.benchmarks.map((b) => fmt(b.score)).join(' | ')} | ${fmt(r.average)} |`);
  if (r.n > 1) {
    const ks = Object.keys(r.benchmarks.find((b) => Object.keys(b.pass_at_k).length > 0)?.pass_at_k ?? {});
    if (ks.length > 0) {
      out.push('', `Pass@k (unbiased estimator, n = ${r.n}):`, '', `| Benchmark | ${ks.join(' | ')} |`, `|---|${ks.map(() => '---|').join('')}`);
      for (const b of r.benchmarks) out.push(`| ${b.bench} | ${ks.map((k) => fmt(b.pass_at_k[k] ?? NaN)).join(' | ')} |`);
    }
  }
  for (const b of r.benchmarks) {
    out.push('', `### ${b.bench}`, '');
    out.push(`scored ${b.scored} of ${b.items} items` + (b.failed ? `, ${b.failed} failed (not counted)` : '') + (b.skipped ? `, ${b.skipped} rows of the data file unusable` : '')
      + (b.truncated ? `, ${b.truncated} truncated` : '') + (b.closed_book ? `, ${b.closed_book} closed-book (no documents)` : ''));
    if (b.longbench_v2) {
      const v = b.longbench_v2;
      const f1 = (x: number) => (Number.isNaN(x) ? '–' : x.toFixed(1));
      out.push('', 'LongBench v2 `result.py` (first sample):', '', '| | Overall | Easy | Hard | Short | Medium | Long |', '|---|---|---|---|---|---|---|');
      for (const [name, t] of [['plain', v.plain], ['compensated', v.compensated]] as const) {
        out.push(`| ${name} | ${f1(t.overall)} | ${f1(t.easy)} | ${f1(t.hard)} | ${f1(t.short)} | ${f1(t.medium)} | ${f1(t.long)} |`);
      }
    }
    const rows = [...Object.entries(b.columns).map(([k, v]) => [`mean ${k}`, v] as const), ...Object.entries(b.groups)];
    if (rows.length > 0) {
      out.push('', '| | score |', '|---|---|');
      for (const [k, v] of rows) out.push(`| ${k.replaceAll('|', '\\|')} | ${fmt(v)} |`);
    }
  }
  return out.join('\n') + '\n';
}
