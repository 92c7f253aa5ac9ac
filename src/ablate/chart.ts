/**
 * The ablation chart: accuracy by evaluation length, one line per variant (mean over
 * seeds) with a band-free ±std shown as separate faint lines would clutter; the table
 * carries the spread. Hand-written SVG through src/observe's chart helpers.
 */
import { lineChartSvg, type ChartSeries } from '../observe/charts.ts';
import type { AblationRow } from './stats.ts';

export function ablationChartSvg(rows: readonly AblationRow[], reference: readonly { name: string; byLength: Record<number, number> }[] = []): string {
  const variants = [...new Set(rows.map((r) => r.variant))];
  const series: ChartSeries[] = [
    ...reference.map((ref) => ({ name: `${ref.name} (start)`, points: Object.entries(ref.byLength).map(([L, a]) => [Number(L), a] as const).sort((a, b) => a[0] - b[0]) })),
    ...variants.map((v) => ({
      name: v,
      points: rows.filter((r) => r.variant === v).sort((a, b) => a.length - b.length).map((r) => [r.length, r.mean] as const),
    })),
  ];
  return lineChartSvg({ title: 'Accuracy by input length (mean over seeds)', series, yLabel: 'accuracy %' }, { xLabel: 'input length (tokens)', markers: true, smooth: 1, xInteger: true });
}
