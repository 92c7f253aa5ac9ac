/**
 * The evaluation table of a report: models × lengths from results.json rows
 * (contracts.md §4), models in recipe order (base, sft, sft-continued, rl-stage1, ...,
 * rl-final), plus per-task rows for rows that carry `task`.
 */
import type { ResultsRow } from './run-data.ts';

/** Sort key of a model name: recipe order first, unknown names after, alphabetically. */
export function modelRank(model: string): number {
  if (model === 'base') return 0;
  if (model === 'sft') return 1;
  if (model === 'sft-continued') return 2;
  const m = /^rl-stage(\d+)$/.exec(model);
  if (m) return 10 + Number(m[1]);
  if (model === 'rl-final') return 1e6;
  return 5e5;
}

export function compareModels(a: string, b: string): number {
  return modelRank(a) - modelRank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

export interface EvalCell {
  accuracy: number;
  n: number;
}

export interface EvalTable {
  lengths: number[];
  /** Row labels: model, and task for per-task rows. */
  rows: { model: string; task?: string; cells: (EvalCell | null)[] }[];
}

/** Pivots rows into a table; `task` undefined selects the mixed rows, a string one task. */
export function pivotResults(results: readonly ResultsRow[], perTask: boolean): EvalTable {
  const sel = results.filter((r) => (r.task !== undefined) === perTask);
  const lengths = [...new Set(sel.map((r) => r.length))].sort((a, b) => a - b);
  const keyOf = (r: ResultsRow) => `${r.model}\u0000${r.task ?? ''}`;
  const groups = new Map<string, { model: string; task?: string; byLength: Map<number, EvalCell> }>();
  for (const r of sel) {
    const k = keyOf(r);
    let g = groups.get(k);
    if (!g) {
      g = { model: r.model, byLength: new Map() };
      if (r.task !== undefined) g.task = r.task;
      groups.set(k, g);
    }
    g.byLength.set(r.length, { accuracy: r.accuracy, n: r.n });
  }
  const ordered = [...groups.values()].sort((a, b) => {
    const t = (a.task ?? '') < (b.task ?? '') ? -1 : (a.task ?? '') > (b.task ?? '') ? 1 : 0;
    return t || compareModels(a.model, b.model);
  });
  return {
    lengths,
    rows: ordered.map((g) => {
      const row: EvalTable['rows'][number] = { model: g.model, cells: lengths.map((L) => g.byLength.get(L) ?? null) };
      if (g.task !== undefined) row.task = g.task;
      return row;
    }),
  };
}

/**
 * The evaluation table as aligned plain text for a terminal (what `longrl demo`
 * prints): one row per model, one column per length, accuracy in percent with one
 * decimal; per-task rows follow under their own header when present.
 */
export function formatResultsText(results: readonly ResultsRow[]): string {
  const blocks: string[] = [];
  for (const perTask of [false, true]) {
    const t = pivotResults(results, perTask);
    if (t.rows.length === 0) continue;
    const head = [...(perTask ? ['task'] : []), 'model', ...t.lengths.map((L) => `len ${L}`)];
    const body = t.rows.map((r) => [
      ...(perTask ? [r.task ?? ''] : []),
      r.model,
      ...r.cells.map((c) => (c ? c.accuracy.toFixed(1) : '-')),
    ]);
    const labelCols = perTask ? 2 : 1;
    const widths = head.map((h, j) => Math.max(h.length, ...body.map((row) => (row[j] as string).length)));
    const fmt = (row: string[]) => row.map((c, j) => (j < labelCols ? c.padEnd(widths[j] as number) : c.padStart(widths[j] as number))).join('  ').trimEnd();
    blocks.push([fmt(head), ...body.map(fmt)].join('\n'));
  }
  return blocks.length ? `${blocks.join('\n\n')}\n` : '';
}

/**
 * The run's headline in one sentence: at the longest evaluated length, the last RL
 * model's accuracy against SFT and SFT-continued (the fair, equal-compute baseline of
 * the demo), with the differences in points. Null when there is no RL row to compare.
 */
export function headline(results: readonly ResultsRow[]): string | null {
  const mixed = results.filter((r) => r.task === undefined);
  if (mixed.length === 0) return null;
  const L = Math.max(...mixed.map((r) => r.length));
  const at = mixed.filter((r) => r.length === L);
  const rl = at.filter((r) => r.model.startsWith('rl-')).sort((a, b) => compareModels(a.model, b.model)).at(-1);
  if (!rl) return null;
  const pts = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)}`;
  const vs = ['sft', 'sft-continued']
    .map((m) => at.find((r) => r.model === m))
    .filter((r): r is ResultsRow => r !== undefined)
    .map((r) => `${r.model} ${r.accuracy.toFixed(1)}% (${pts(rl.accuracy - r.accuracy)} points)`);
  const tail = vs.length ? ` vs ${vs.join(' and ')}` : '';
  return `At the longest length (${L}): ${rl.model} ${rl.accuracy.toFixed(1)}%${tail}.`;
}
