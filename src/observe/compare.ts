/**
 * Comparing runs in one report (`longrl report RUN --compare OTHER...`): reward and
 * accuracy curves of every run over its own RL steps (so runs with different SFT
 * lengths line up), and the last RL model's held-out accuracy per length.
 */
import { basename } from 'node:path';
import { chartSvg, type ChartSeries } from './charts.ts';
import { compareModels } from './eval-table.ts';
import { missing, section, table } from './html.ts';
import { keyFor } from './metric-series.ts';
import type { MetricRole } from './metric-names.ts';
import type { RunFolder } from './run-data.ts';
import { esc } from './svg.ts';

/** Short, distinct names for runs: folder names, numbered when they repeat. */
export function runNames(runs: readonly RunFolder[]): string[] {
  const base = runs.map((r) => basename(r.dir) || r.dir);
  return base.map((b, i) => (base.filter((x) => x === b).length > 1 ? `${b} (${i + 1})` : b));
}

/** One series per run: `role` over the run's RL steps counted from 1. */
function curves(runs: readonly RunFolder[], names: readonly string[], role: MetricRole): ChartSeries[] {
  const out: ChartSeries[] = [];
  runs.forEach((run, i) => {
    const rl = run.metrics.filter((l) => l.phase === 'rl');
    const k = keyFor(rl, role);
    if (!k) return;
    const points: [number, number | null][] = [];
    rl.forEach((l, j) => {
      if (k in l) points.push([j + 1, typeof l[k] === 'number' ? (l[k] as number) : null]);
    });
    out.push({ name: names[i] as string, points });
  });
  return out;
}

/** The comparison section; `runs[0]` is the report's own run. */
export function compareSection(runs: readonly RunFolder[], smooth?: number): string {
  const names = runNames(runs);
  const svg = chartSvg(
    [
      { title: 'Reward', series: curves(runs, names, 'reward') },
      { title: 'Accuracy', series: curves(runs, names, 'accuracy') },
    ],
    { xLabel: 'RL step', xInteger: true, width: 900, panelHeight: 280, ...(smooth !== undefined ? { smooth } : {}) },
  );
  const lengths = [...new Set(runs.flatMap((r) => (r.results ?? []).filter((x) => x.task === undefined).map((x) => x.length)))].sort((a, b) => a - b);
  let evalPart = missing('None of the runs has results.json.');
  if (lengths.length > 0) {
    const rows = runs.map((run, i) => {
      const mixed = (run.results ?? []).filter((x) => x.task === undefined && x.model.startsWith('rl-'));
      const model = [...new Set(mixed.map((x) => x.model))].sort(compareModels).at(-1);
      return [
        esc(names[i] as string),
        model ? esc(model) : '–',
        ...lengths.map((L) => {
          const r = mixed.find((x) => x.model === model && x.length === L);
          return r ? `${r.accuracy.toFixed(1)} <span class="n">(n=${r.n})</span>` : '–';
        }),
      ];
    });
    evalPart = `<p>Held-out accuracy (percent) of each run's last RL model.</p>\n${table(['run', 'model', ...lengths.map((L) => `length ${L}`)], rows, 'eval')}`;
  }
  return section('compare', 'Comparison with other runs', `<figure>${svg}</figure>\n${evalPart}`);
}
