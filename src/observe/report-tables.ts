/**
 * Report sections that do not come from metrics.jsonl: the evaluation table of
 * results.json, the ablation table of ablation.json, and recent samples.
 */
import { chartSvg, type ChartSeries } from './charts.ts';
import { compareModels, pivotResults, type EvalTable } from './eval-table.ts';
import { missing, section, table } from './html.ts';
import type { RunFolder } from './run-data.ts';
import { esc } from './svg.ts';

/** The highest accuracy per length among rows of the same task (best is shown in bold). */
function bestPerLength(t: EvalTable, task: string | undefined): number[] {
  const rows = t.rows.filter((r) => r.task === task);
  return t.lengths.map((_, j) => Math.max(...rows.map((r) => r.cells[j]?.accuracy ?? -Infinity)));
}

/** Models × lengths as an HTML table; per-task tables lead with the task column. */
export function evalTableHtml(t: EvalTable, perTask: boolean): string {
  const head = [...(perTask ? ['task'] : []), 'model', ...t.lengths.map((L) => `length ${esc(String(L))}`)];
  const rows = t.rows.map((r) => {
    const best = bestPerLength(t, r.task);
    return [
      ...(perTask ? [esc(r.task ?? '')] : []),
      esc(r.model),
      ...r.cells.map((c, j) => {
        if (!c) return '–';
        const cell = `${c.accuracy.toFixed(1)} <span class="n">(n=${c.n})</span>`;
        return c.accuracy === best[j] ? `<b>${cell}</b>` : cell;
      }),
    ];
  });
  return table(head, rows, 'eval');
}

/** The evaluation section: mixed held-out table, accuracy by length, per-task table. */
export function evalSection(run: RunFolder): string {
  if (run.results === null) return section('eval', 'Evaluation', missing('No results.json (evaluation has not run yet).'));
  if (run.results.length === 0) return section('eval', 'Evaluation', missing('results.json holds no rows.'));
  const parts: string[] = ['<p>Accuracy in percent on held-out items (best per length in bold).</p>'];
  const mixed = pivotResults(run.results, false);
  if (mixed.rows.length > 0) parts.push(evalTableHtml(mixed, false));
  if (mixed.lengths.length > 1) {
    const series: ChartSeries[] = mixed.rows.map((r) => ({
      name: r.model,
      points: mixed.lengths.map((L, j) => [L, r.cells[j]?.accuracy ?? null] as [number, number | null]),
    }));
    series.sort((a, b) => compareModels(a.name, b.name));
    parts.push(`<figure>${chartSvg([{ title: 'Accuracy by input length', series, yLabel: 'accuracy (%)' }], { xLabel: 'length (tokens)', width: 900, smooth: 1, columns: 1, markers: true, panelHeight: 280 })}</figure>`);
  }
  const tasks = pivotResults(run.results, true);
  if (tasks.rows.length > 0) parts.push('<h3>Per task</h3>', evalTableHtml(tasks, true));
  return section('eval', 'Evaluation', parts.join('\n'));
}

/** The ablation table (variants × lengths, mean ± std over seeds), when ablation.json exists. */
export function ablationSection(run: RunFolder): string {
  if (run.ablation === null) return '';
  if (run.ablation.length === 0) return section('ablation', 'Ablation', missing('ablation.json holds no rows.'));
  const lengths = [...new Set(run.ablation.map((r) => r.length))].sort((a, b) => a - b);
  const variants = [...new Set(run.ablation.map((r) => r.variant))];
  const best = lengths.map((L) => Math.max(...run.ablation!.filter((r) => r.length === L).map((r) => r.mean)));
  const rows = variants.map((v) => [
    esc(v),
    ...lengths.map((L, j) => {
      const r = run.ablation!.find((x) => x.variant === v && x.length === L);
      if (!r) return '–';
      const std = Number.isFinite(r.std) ? ` ± ${r.std.toFixed(1)}` : '';
      const cell = `${r.mean.toFixed(1)}${std} <span class="n">(${r.seeds} seeds, n=${r.n})</span>`;
      return r.mean === best[j] ? `<b>${cell}</b>` : cell;
    }),
  ]);
  const body = '<p>Accuracy in percent, mean ± standard deviation over seeds (best per length in bold).</p>' +
    table(['variant', ...lengths.map((L) => `length ${esc(String(L))}`)], rows, 'eval');
  return section('ablation', 'Ablation', body);
}

/** The last few samples, fields escaped, long text cut in the middle. */
export function samplesSection(run: RunFolder): string {
  const s = run.samples;
  if (s === null) return '';
  if (s.records.length === 0) return section('samples', 'Samples', missing(`${s.file} holds no complete records yet.`));
  const cards = s.records.map((rec, i) => {
    const fields = Object.entries(rec).map(([k, v]) => {
      const text = typeof v === 'string' ? v : JSON.stringify(v);
      const cut = text.length > 1200 ? `${text.slice(0, 600)}\n[… ${text.length - 1100} characters …]\n${text.slice(-500)}` : text;
      return typeof v === 'string' && (v.length > 80 || v.includes('\n'))
        ? `<dt>${esc(k)}</dt><dd><pre>${esc(cut)}</pre></dd>`
        : `<dt>${esc(k)}</dt><dd><code>${esc(cut)}</code></dd>`;
    });
    return `<h3>Sample ${i + 1} of ${s.records.length}</h3><dl>${fields.join('')}</dl>`;
  });
  return section('samples', 'Samples', `<p>The last ${s.records.length} records of <code>${esc(s.file)}</code>.</p>\n${cards.join('\n')}`);
}
