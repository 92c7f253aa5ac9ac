/**
 * Aggregation of per-seed accuracies into `ablation.json` rows (contracts.md §4: mean and
 * std over seeds with ddof 1, in percent) and the Markdown table of the run folder.
 */

/** One evaluated run: a variant, a seed, accuracy per length. */
export interface SeedResult {
  variant: string;
  seed: number;
  /** length → {accuracy in percent, n items}. */
  byLength: Record<number, { accuracy: number; n: number }>;
}

export interface AblationRow {
  variant: string;
  length: number;
  mean: number;
  /** Sample standard deviation over seeds (ddof 1); null with one seed. */
  std: number | null;
  seeds: number;
  n: number;
}

export function mean(x_N: readonly number[]): number {
  let s = 0;
  for (const v of x_N) s += v;
  return s / x_N.length;
}

/** Sample standard deviation (ddof 1); null for fewer than two values. */
export function stdDdof1(x_N: readonly number[]): number | null {
  if (x_N.length < 2) return null;
  const m = mean(x_N);
  let ss = 0;
  for (const v of x_N) ss += (v - m) * (v - m);
  return Math.sqrt(ss / (x_N.length - 1));
}

const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;

/** Rows per variant × length, variants in first-seen order, lengths ascending. */
export function ablationRows(results: readonly SeedResult[]): AblationRow[] {
  const variants = [...new Set(results.map((r) => r.variant))];
  const rows: AblationRow[] = [];
  for (const v of variants) {
    const runs = results.filter((r) => r.variant === v);
    const lengths = [...new Set(runs.flatMap((r) => Object.keys(r.byLength).map(Number)))].sort((a, b) => a - b);
    for (const L of lengths) {
      const cells = runs.map((r) => r.byLength[L]).filter((c): c is { accuracy: number; n: number } => c !== undefined);
      const acc = cells.map((c) => c.accuracy);
      const sd = stdDdof1(acc);
      rows.push({ variant: v, length: L, mean: round(mean(acc)), std: sd === null ? null : round(sd), seeds: cells.length, n: Math.min(...cells.map((c) => c.n)) });
    }
  }
  return rows;
}

/**
 * Difference of two rows' means and whether it exceeds twice its standard error
 * (Welch: sqrt(s1²/n1 + s2²/n2) over seeds). With fewer than two seeds on either side
 * the spread is unknown and the difference is never called clear.
 */
export function compareRows(a: AblationRow, b: AblationRow): { diff: number; se: number | null; clear: boolean } {
  const diff = a.mean - b.mean;
  if (a.std === null || b.std === null) return { diff, se: null, clear: false };
  const se = Math.sqrt((a.std * a.std) / a.seeds + (b.std * b.std) / b.seeds);
  return { diff, se, clear: Math.abs(diff) > 2 * se && Math.abs(diff) > 0 };
}

/** The comparisons the paper makes, as pairs (first vs second). */
export const COMPARISONS: readonly [string, string][] = [
  ['phased', 'single-stage'], ['phased', 'sft-long-answers'], ['rs-hard', 'rs-off'], ['rs-weighted', 'rs-off'],
  ['dapo', 'grpo'], ['dr-grpo', 'grpo'], ['hybrid', 'rule-only'],
];

const fmt = (x: number) => x.toFixed(1);

/**
 * The Markdown table: one line per variant, one column per length, `mean ± std` with the
 * seed count; aliases named; reference rows (the shared SFT start) first; then the
 * paper's comparisons with their differences and whether the spread supports them.
 */
export function ablationMarkdown(
  rows: readonly AblationRow[], opts: { aliases?: Record<string, string>; reference?: readonly { name: string; byLength: Record<number, number> }[]; notes?: readonly string[] } = {},
): string {
  const lengths = [...new Set(rows.map((r) => r.length))].sort((a, b) => a - b);
  const variants = [...new Set(rows.map((r) => r.variant))];
  const lines: string[] = [];
  lines.push(`| variant | ${lengths.map((L) => `${L}`).join(' | ')} | seeds | n |`);
  lines.push(`|---|${lengths.map(() => '---:').join('|')}|---:|---:|`);
  for (const ref of opts.reference ?? []) {
    lines.push(`| ${ref.name} (start) | ${lengths.map((L) => (ref.byLength[L] === undefined ? '–' : fmt(ref.byLength[L] as number))).join(' | ')} | – | – |`);
  }
  for (const v of variants) {
    const vr = rows.filter((r) => r.variant === v);
    const alias = opts.aliases?.[v];
    const name = alias !== undefined ? `${v} (= ${alias})` : v;
    const cells = lengths.map((L) => {
      const r = vr.find((x) => x.length === L);
      if (!r) return '–';
      return r.std === null ? fmt(r.mean) : `${fmt(r.mean)} ± ${fmt(r.std)}`;
    });
    lines.push(`| ${name} | ${cells.join(' | ')} | ${Math.max(...vr.map((r) => r.seeds))} | ${Math.min(...vr.map((r) => r.n))} |`);
  }
  const cmp: string[] = [];
  for (const [a, b] of COMPARISONS) {
    for (const L of lengths) {
      const ra = rows.find((r) => r.variant === a && r.length === L);
      const rb = rows.find((r) => r.variant === b && r.length === L);
      if (!ra || !rb || opts.aliases?.[a] === b || opts.aliases?.[b] === a) continue;
      const c = compareRows(ra, rb);
      const verdict = c.se === null ? 'spread unknown (one seed)' : c.clear ? `beyond 2 SE (SE ${fmt(c.se)})` : `within noise (SE ${fmt(c.se)})`;
      cmp.push(`- ${a} − ${b} at ${L}: ${c.diff >= 0 ? '+' : ''}${fmt(c.diff)} points, ${verdict}`);
    }
  }
  const parts = ['Accuracy in percent on the same held-out items, mean ± std over seeds (ddof 1).', '', ...lines];
  if (cmp.length > 0) parts.push('', 'Differences (a − b):', ...cmp);
  if (opts.notes && opts.notes.length > 0) parts.push('', ...opts.notes.map((n) => `- ${n}`));
  return `${parts.join('\n')}\n`;
}
