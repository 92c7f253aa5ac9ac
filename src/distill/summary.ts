/**
 * The summary of a distillation (`<out>.summary.json` and the printed table): records
 * tried and kept, acceptance overall and by `data_source`, what became of the replies,
 * the kept traces' length distribution and the tokens spent. Computed from the journal,
 * so a resumed run reports the whole dataset, not just its own part.
 */
import type { JournalEntry } from './journal.ts';
import { OUTCOMES, type Outcome } from './select.ts';

export interface SourceStats {
  /** Records the teacher answered. */
  tried: number;
  /** Records with at least one kept trace. */
  kept_records: number;
  /** SFT records written (≤ keep per record). */
  kept: number;
  /** kept_records / tried (0 when none tried). */
  acceptance: number;
  /** Replies sampled and their outcomes. */
  responses: number;
  outcomes: Record<Outcome, number>;
  /** correct replies / replies. */
  response_acceptance: number;
}

export interface LengthStats {
  unit: string;
  count: number;
  p50: number | null;
  p90: number | null;
  max: number | null;
  mean: number | null;
}

export interface DistillSummary {
  teacher: string;
  data: string | null;
  out: string;
  /** Records in the data file. */
  records: number;
  /** Records dropped because the rendered prompt exceeds --max-input-tokens. */
  over_budget: number;
  /** Records whose teacher requests failed for good in this run (a rerun retries them). */
  failed: number;
  /** Records taken from the journal of an earlier run (not asked again). */
  resumed: number;
  /** Records the teacher was asked for in this run. */
  asked_this_run: number;
  /** Totals over every finished record (this run and earlier ones). */
  total: SourceStats;
  by_data_source: Record<string, SourceStats>;
  trace_length: LengthStats;
  tokens: { prompt: number; completion: number; total: number };
  counters: Record<string, number>;
}

/** Linear-interpolated percentile (numpy's default) of sorted values; null when empty. */
export function linearPercentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

export function lengthStats(values: readonly number[], unit: string): LengthStats {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.length ? s.reduce((x, y) => x + y, 0) / s.length : null;
  return { unit, count: s.length, p50: linearPercentile(s, 0.5), p90: linearPercentile(s, 0.9), max: s.length ? (s[s.length - 1] as number) : null, mean };
}

function emptyStats(): SourceStats {
  return { tried: 0, kept_records: 0, kept: 0, acceptance: 0, responses: 0, outcomes: Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>, response_acceptance: 0 };
}

function add(s: SourceStats, e: JournalEntry): void {
  s.tried++;
  if (e.kept.length > 0) s.kept_records++;
  s.kept += e.kept.length;
  for (const o of OUTCOMES) {
    const k = e.outcomes[o] ?? 0;
    s.outcomes[o] += k;
    s.responses += k;
  }
}

function finishStats(s: SourceStats): void {
  s.acceptance = s.tried ? s.kept_records / s.tried : 0;
  s.response_acceptance = s.responses ? s.outcomes.correct / s.responses : 0;
}

export interface SummaryInput {
  teacher: string;
  data: string | null;
  out: string;
  records: number;
  overBudget: number;
  failed: number;
  resumed: number;
  askedThisRun: number;
  /** Finished records in input order. */
  entries: readonly JournalEntry[];
  lengthUnit: string;
  counters: Record<string, number>;
}

export function summarizeDistill(i: SummaryInput): DistillSummary {
  const total = emptyStats();
  const by: Record<string, SourceStats> = {};
  const lengths: number[] = [];
  let prompt = 0;
  let completion = 0;
  for (const e of i.entries) {
    add(total, e);
    add((by[e.data_source] ??= emptyStats()), e);
    lengths.push(...e.trace_lengths);
    prompt += e.prompt_tokens;
    completion += e.completion_tokens;
  }
  finishStats(total);
  for (const s of Object.values(by)) finishStats(s);
  const sorted = Object.fromEntries(Object.keys(by).sort().map((k) => [k, by[k] as SourceStats]));
  return {
    teacher: i.teacher,
    data: i.data,
    out: i.out,
    records: i.records,
    over_budget: i.overBudget,
    failed: i.failed,
    resumed: i.resumed,
    asked_this_run: i.askedThisRun,
    total,
    by_data_source: sorted,
    trace_length: lengthStats(lengths, i.lengthUnit),
    tokens: { prompt, completion, total: prompt + completion },
    counters: i.counters,
  };
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

/** The summary as a plain-text table (one row per data_source, then the total). */
export function formatSummaryTable(s: DistillSummary): string {
  const head = ['data_source', 'tried', 'kept', 'records ok', 'acceptance', 'replies', 'correct', 'cut off', 'no answer'];
  const row = (name: string, t: SourceStats): string[] => [
    name, String(t.tried), String(t.kept), String(t.kept_records), pct(t.acceptance), String(t.responses),
    String(t.outcomes.correct), String(t.outcomes.truncated), String(t.outcomes.no_answer + t.outcomes.no_reasoning),
  ];
  const rows = [head, ...Object.entries(s.by_data_source).map(([k, t]) => row(k, t)), row('total', s.total)];
  const widths = head.map((_, c) => Math.max(...rows.map((r) => (r[c] as string).length)));
  const fmt = (r: string[]): string => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number))).join('  ');
  const lines = [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(fmt)];
  const L = s.trace_length;
  const n = (v: number | null): string => (v === null ? '-' : String(Math.round(v)));
  lines.push('');
  lines.push(`trace length (${L.unit}): n=${L.count} p50=${n(L.p50)} p90=${n(L.p90)} max=${n(L.max)}`);
  lines.push(`tokens spent: prompt=${s.tokens.prompt} completion=${s.tokens.completion}`);
  lines.push(`records: ${s.records} in data, ${s.over_budget} over the input budget, ${s.resumed} resumed, ${s.asked_this_run} asked now, ${s.failed} failed (rerun to retry)`);
  return `${lines.join('\n')}\n`;
}
