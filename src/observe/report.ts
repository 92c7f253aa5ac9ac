/**
 * `report.html` of a run folder: one self-contained page (inline CSS and SVG, no
 * external assets) with the charts a researcher looks at first in a long RL run
 * (reward and accuracy per curriculum stage, response length, entropy, clip fraction,
 * KL, the time split per step), SFT/pretraining loss, the evaluation table of
 * results.json (models × lengths, plus per-task rows) and the resolved config; and
 * `report.png`, the main chart as an image. Partial folders give a partial report
 * whose sections say what is missing.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fsx.ts';
import { chartSvg, svgToPng, type ChartOptions, type ChartPanel, type ChartSeries, type VRule } from './charts.ts';
import { pivotResults, compareModels, type EvalTable } from './eval-table.ts';
import { PHASES, isWallClockKey, type MetricsLine, type RunPhase } from './metrics-log.ts';
import { METRIC_ALIASES, TIMING_PARTS, type MetricRole } from './metric-names.ts';
import { formatDuration } from './progress.ts';
import { loadRun, type RunFolder } from './run-data.ts';
import { formatMetric } from './step-summary.ts';
import { esc } from './svg.ts';

export interface ReportOptions {
  /** Shown in the header; default now (ISO 8601). */
  generatedAt?: string;
  /** Rolling-mean window; default about 1/20 of the points. */
  smooth?: number;
}

/** The first alias of a role present (as a number) in any line. */
function keyFor(lines: readonly MetricsLine[], role: MetricRole): string | undefined {
  for (const k of METRIC_ALIASES[role]) if (lines.some((l) => typeof l[k] === 'number')) return k;
  return undefined;
}

/** Points (step, value) of the lines that hold `key`; a null value (non-finite) is a gap. */
function pointsOf(lines: readonly MetricsLine[], key: string): [number, number | null][] {
  const out: [number, number | null][] = [];
  for (const l of lines) {
    if (!(key in l)) continue;
    const v = l[key];
    out.push([l.step, typeof v === 'number' ? v : null]);
  }
  return out;
}

function stagesOf(lines: readonly MetricsLine[]): (number | null)[] {
  const seen: (number | null)[] = [];
  for (const l of lines) if (!seen.includes(l.stage)) seen.push(l.stage);
  return seen;
}

function stageName(s: number | null): string {
  return s === null ? 'no stage' : `stage ${s}`;
}

/** A vertical rule where each stage after the first begins. */
export function stageRules(lines: readonly MetricsLine[]): VRule[] {
  const rules: VRule[] = [];
  let prev: number | null | undefined;
  for (const l of lines) {
    if (prev !== undefined && l.stage !== prev) rules.push({ x: l.step, label: stageName(l.stage) });
    prev = l.stage;
  }
  return rules;
}

/** One series per stage, so colours and rolling means do not cross a stage boundary. */
function perStage(lines: readonly MetricsLine[], key: string): ChartSeries[] {
  return stagesOf(lines)
    .map((s) => ({ name: stageName(s), points: pointsOf(lines.filter((l) => l.stage === s), key) }))
    .filter((s) => s.points.length > 0);
}

/** The main chart: reward and accuracy of the RL steps, per stage. */
export function mainChartSvg(metrics: readonly MetricsLine[], opts: ReportOptions = {}): string {
  const rl = metrics.filter((l) => l.phase === 'rl');
  const panel = (title: string, role: MetricRole): ChartPanel => {
    const k = keyFor(rl, role);
    return { title: k ? `${title} (${k})` : title, series: k ? perStage(rl, k) : [] };
  };
  if (rl.length === 0) {
    const loss = lossPanels(metrics);
    if (loss.length > 0) return chartSvg(loss, chartOpts('Training loss (no RL steps yet)', opts));
  }
  return chartSvg([panel('Reward', 'reward'), panel('Accuracy', 'accuracy')], {
    ...chartOpts('Reward and accuracy per stage', opts),
    panelHeight: 300,
    vRules: stageRules(rl),
  });
}

/** Common chart options: a title (none when empty), steps on x, the page width. */
function chartOpts(title: string, opts: ReportOptions): ChartOptions {
  const o: ChartOptions = { xLabel: 'step', width: 900, xInteger: true };
  if (title) o.title = title;
  if (opts.smooth !== undefined) o.smooth = opts.smooth;
  return o;
}

/**
 * Lines of a phase split by their `baseline` field (e.g. the `sft-continued` baseline
 * logged as phase sft), so each gets its own series.
 */
function byBaseline(lines: readonly MetricsLine[], phase: RunPhase): { name: string; lines: MetricsLine[] }[] {
  const groups = new Map<string, MetricsLine[]>();
  for (const l of lines) {
    const b = l['baseline'];
    const name = typeof b === 'string' && b !== '' ? b : phase;
    let g = groups.get(name);
    if (!g) groups.set(name, (g = []));
    g.push(l);
  }
  return [...groups].map(([name, ls]) => ({ name, lines: ls }));
}

/** Training loss per pretrain/sft phase (one series per baseline), with held-out loss. */
function lossPanels(metrics: readonly MetricsLine[]): ChartPanel[] {
  const panels: ChartPanel[] = [];
  for (const phase of ['pretrain', 'sft'] as RunPhase[]) {
    const lines = metrics.filter((l) => l.phase === phase);
    const k = keyFor(lines, 'loss');
    if (!k) continue;
    const series: ChartSeries[] = byBaseline(lines, phase).map((g) => ({ name: g.name, points: pointsOf(g.lines, k) }));
    const hk = keyFor(lines, 'heldOutLoss');
    if (hk) series.push({ name: `held-out (${hk})`, points: pointsOf(lines, hk) });
    panels.push({ title: `${phase} ${k}`, series });
  }
  return panels;
}

const DYNAMICS: { title: string; role: MetricRole }[] = [
  { title: 'Response length', role: 'responseLength' },
  { title: 'Entropy', role: 'entropy' },
  { title: 'Clip fraction', role: 'clipFraction' },
  { title: 'KL', role: 'kl' },
  { title: 'Truncated responses', role: 'truncation' },
  { title: 'Grad norm', role: 'gradNorm' },
  { title: 'Groups with zero reward std', role: 'zeroStdFraction' },
  { title: 'Throughput (tokens/s)', role: 'throughput' },
];

function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${esc(title)}</h2>\n${body}\n</section>`;
}

function missing(text: string): string {
  return `<p class="missing">${esc(text)}</p>`;
}

function table(head: string[], rows: string[][], cls = ''): string {
  const th = head.map((h) => `<th>${h}</th>`).join('');
  const trs = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table>`;
}

function mean(xs: readonly number[]): number | undefined {
  return xs.length === 0 ? undefined : xs.reduce((a, b) => a + b, 0) / xs.length;
}

function fmt(x: number | undefined): string {
  return x === undefined ? '–' : esc(formatMetric(x));
}

function numbers(lines: readonly MetricsLine[], key: string | undefined): number[] {
  if (!key) return [];
  return lines.map((l) => l[key]).filter((v): v is number => typeof v === 'number');
}

function overviewSection(run: RunFolder): string {
  const m = run.metrics;
  const rows: string[][] = [];
  for (const phase of ['pretrain', 'sft', 'rl'] as RunPhase[]) {
    const lines = m.filter((l) => l.phase === phase);
    if (lines.length === 0) continue;
    const steps = lines.map((l) => l.step);
    const stages = stagesOf(lines).filter((s) => s !== null);
    rows.push([esc(phase), String(lines.length), `${Math.min(...steps)}–${Math.max(...steps)}`, stages.length ? stages.join(', ') : '–']);
  }
  const unix = m.map((l) => l['time/unix']).filter((v): v is number => typeof v === 'number');
  const span = unix.length > 1 ? Math.max(...unix) - Math.min(...unix) : undefined;
  const facts = [
    `<li>Run folder: <code>${esc(run.dir)}</code></li>`,
    `<li>Metrics lines: ${m.length}${span !== undefined ? `, spanning ${esc(formatDuration(span))} of wall time` : ''}</li>`,
    `<li>Checkpoints: ${run.checkpoints.length ? esc(run.checkpoints.join(', ')) : 'none'}</li>`,
    `<li>TensorBoard event files: ${run.eventFiles.length ? run.eventFiles.map((f) => `<code>${esc(f)}</code>`).join(', ') : 'none'}${run.eventFiles.length ? ` (<code>tensorboard --logdir ${esc(run.dir)}</code>)` : ''}</li>`,
  ];
  const body = `<ul>${facts.join('')}</ul>` + (rows.length ? table(['phase', 'steps', 'step range', 'stages'], rows) : missing('No metrics yet.'));
  return section('overview', 'Overview', body);
}

function stageTable(rl: readonly MetricsLine[]): string {
  const rk = keyFor(rl, 'reward');
  const ak = keyFor(rl, 'accuracy');
  const rows = stagesOf(rl).map((s) => {
    const lines = rl.filter((l) => l.stage === s);
    const tail = lines.slice(-Math.max(1, Math.ceil(lines.length / 10)));
    const steps = lines.map((l) => l.step);
    return [
      esc(stageName(s)),
      `${Math.min(...steps)}–${Math.max(...steps)}`,
      fmt(mean(numbers(lines, rk))),
      fmt(mean(numbers(tail, rk))),
      fmt(mean(numbers(lines, ak))),
      fmt(mean(numbers(tail, ak))),
    ];
  });
  return table(['stage', 'steps', 'reward (mean)', 'reward (last 10%)', 'accuracy (mean)', 'accuracy (last 10%)'], rows);
}

function rlSection(run: RunFolder, mainSvg: string, opts: ReportOptions): string {
  const rl = run.metrics.filter((l) => l.phase === 'rl');
  if (rl.length === 0) {
    return section('rl', 'Reinforcement learning', missing('No RL steps in metrics.jsonl yet.') + `<figure>${mainSvg}</figure>`);
  }
  const parts = [`<figure>${mainSvg}</figure>`, stageTable(rl)];
  const panels: ChartPanel[] = [];
  const absent: string[] = [];
  for (const d of DYNAMICS) {
    const k = keyFor(rl, d.role);
    if (k) panels.push({ title: `${d.title} (${k})`, series: [{ name: k, points: pointsOf(rl, k) }] });
    else absent.push(`${d.title} (${METRIC_ALIASES[d.role][0]})`);
  }
  parts.push('<h3>Training dynamics</h3>');
  if (panels.length > 0) parts.push(`<figure>${chartSvg(panels, { ...chartOpts('', opts), vRules: stageRules(rl), columns: 2 })}</figure>`);
  if (absent.length > 0) parts.push(missing(`Not logged: ${absent.join(', ')}.`));
  return section('rl', 'Reinforcement learning', parts.join('\n'));
}

function timingSection(run: RunFolder, opts: ReportOptions): string {
  const rl = run.metrics.filter((l) => l.phase === 'rl');
  const series: ChartSeries[] = [];
  const totals: [string, number][] = [];
  for (const part of TIMING_PARTS) {
    const pts: [number, number | null][] = [];
    for (const l of rl) {
      let sum = 0;
      let any = false;
      for (const k of part.keys) {
        const v = l[k];
        if (typeof v === 'number') {
          sum += v;
          any = true;
        }
      }
      if (any) pts.push([l.step, sum]);
    }
    if (pts.length > 0) {
      series.push({ name: part.label, points: pts });
      totals.push([part.label, pts.reduce((s, p) => s + (p[1] ?? 0), 0)]);
    }
  }
  if (series.length === 0) return section('timing', 'Time per step', missing('No timing_s/* fields in the RL steps (timing_s/gen, timing_s/reward, timing_s/update_actor).'));
  const all = totals.reduce((s, t) => s + t[1], 0);
  const rows = totals.map(([label, s]) => [esc(label), esc(formatDuration(s)), `${all > 0 ? ((100 * s) / all).toFixed(1) : '0.0'}%`]);
  rows.push(['<b>total</b>', `<b>${esc(formatDuration(all))}</b>`, '100%']);
  const svg = chartSvg([{ title: 'Seconds per step', series, yLabel: 'seconds' }], { ...chartOpts('', opts), vRules: stageRules(rl), columns: 1, panelHeight: 260 });
  return section('timing', 'Time per step', `<figure>${svg}</figure>\n${table(['part', 'total', 'share'], rows)}`);
}

function lossSection(run: RunFolder, opts: ReportOptions): string {
  const panels = lossPanels(run.metrics);
  const lrPanels: ChartPanel[] = [];
  for (const phase of ['pretrain', 'sft'] as RunPhase[]) {
    const lines = run.metrics.filter((l) => l.phase === phase);
    const k = keyFor(lines, 'lr');
    if (k) lrPanels.push({ title: `${phase} ${k}`, series: byBaseline(lines, phase).map((g) => ({ name: g.name, points: pointsOf(g.lines, k) })) });
  }
  if (panels.length === 0) return section('sft', 'Warm-up SFT and pretraining', missing('No pretrain or sft steps with a loss in metrics.jsonl.'));
  const sft = run.metrics.filter((l) => l.phase !== 'rl');
  const svg = chartSvg([...panels, ...lrPanels], { ...chartOpts('', opts), columns: 2 });
  return section('sft', 'Warm-up SFT and pretraining', `<figure>${svg}</figure>`);
}

function evalTableHtml(t: EvalTable, perTask: boolean): string {
  const best = t.lengths.map((_, j) => Math.max(...t.rows.filter((r) => !perTask).map((r) => r.cells[j]?.accuracy ?? -Infinity)));
  const head = [...(perTask ? ['task'] : []), 'model', ...t.lengths.map((L) => `length ${esc(String(L))}`)];
  const rows = t.rows.map((r) => [
    ...(perTask ? [esc(r.task ?? '')] : []),
    esc(r.model),
    ...r.cells.map((c, j) => {
      if (!c) return '–';
      const v = `${c.accuracy.toFixed(1)}`;
      const cell = `${v} <span class="n">(n=${c.n})</span>`;
      return !perTask && c.accuracy === best[j] ? `<b>${cell}</b>` : cell;
    }),
  ]);
  return table(head, rows, 'eval');
}

function evalSection(run: RunFolder): string {
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

function ablationSection(run: RunFolder): string {
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

function samplesSection(run: RunFolder): string {
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

/** Bookkeeping fields that are not worth a chart. */
const NOT_CHARTED = new Set(['step', 'stage', 'time/unix', 'phase_step']);

function otherSection(run: RunFolder, shown: Set<string>, opts: ReportOptions): string {
  const keys = new Set<string>();
  for (const l of run.metrics) {
    for (const [k, v] of Object.entries(l)) {
      if (NOT_CHARTED.has(k) || shown.has(k) || keys.has(k)) continue;
      if (typeof v === 'number' && !isWallClockKey(k)) keys.add(k);
    }
  }
  if (keys.size === 0) return '';
  const sorted = [...keys].sort();
  const cap = 48;
  const panels: ChartPanel[] = sorted.slice(0, cap).map((k) => {
    const series: ChartSeries[] = [];
    for (const phase of PHASES) {
      const lines = run.metrics.filter((l) => l.phase === phase && k in l);
      for (const g of byBaseline(lines, phase)) series.push({ name: g.name, points: pointsOf(g.lines, k) });
    }
    return { title: k, series };
  });
  const more = sorted.length > cap ? missing(`${sorted.length - cap} more metrics not drawn: ${sorted.slice(cap).join(', ')}`) : '';
  const svg = chartSvg(panels, { xLabel: 'step', xInteger: true, width: 900, columns: 3, panelHeight: 180, ...(opts.smooth !== undefined ? { smooth: opts.smooth } : {}) });
  return section('other', 'All other metrics', `<details><summary>${panels.length} charts (one series per phase)</summary><figure>${svg}</figure>${more}</details>`);
}

const CSS = `
body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;margin:24px auto;max-width:960px;color:#222;line-height:1.4}
h1{font-size:22px;margin-bottom:4px}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:32px}
h3{font-size:15px}figure{margin:12px 0}svg{max-width:100%;height:auto}
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}table.eval td:nth-child(2){text-align:left}
.n{color:#888;font-size:11px}.missing{color:#a60;font-style:italic}.meta{color:#666;font-size:13px}
pre{background:#f7f7f7;padding:10px;overflow:auto;font-size:12px;border:1px solid #eee}code{font-size:12px}
nav a{margin-right:12px;font-size:13px}dt{font-weight:bold;font-size:13px}dd{margin:2px 0 8px 16px}dd pre{margin:0}
`;

/** Builds the report page (pure given the run data); returns the HTML and the main chart. */
export function buildReport(run: RunFolder, opts: ReportOptions = {}): { html: string; mainSvg: string } {
  const mainSvg = mainChartSvg(run.metrics, opts);
  const shown = new Set<string>();
  const rl = run.metrics.filter((l) => l.phase === 'rl');
  for (const role of Object.keys(METRIC_ALIASES) as MetricRole[]) {
    const k = keyFor(rl, role);
    if (k) shown.add(k);
  }
  for (const phase of ['pretrain', 'sft'] as RunPhase[]) {
    const lines = run.metrics.filter((l) => l.phase === phase);
    for (const role of ['loss', 'lr', 'heldOutLoss'] as MetricRole[]) {
      const k = keyFor(lines, role);
      if (k) shown.add(k);
    }
  }
  const name = run.dir.split(/[\\/]/).filter(Boolean).at(-1) ?? run.dir;
  const sections = [
    overviewSection(run),
    rlSection(run, mainSvg, opts),
    timingSection(run, opts),
    lossSection(run, opts),
    evalSection(run),
    ablationSection(run),
    samplesSection(run),
    otherSection(run, shown, opts),
    section('config', 'Resolved config', run.config === null ? missing('No config.yaml in the run folder.') : `<pre>${esc(run.config)}</pre>`),
    run.notes.length ? section('notes', 'Notes on the run folder', `<ul>${run.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`) : '',
  ].filter(Boolean);
  const ids = sections.map((sec) => /^<section id="([^"]+)"/.exec(sec)?.[1]).filter((id): id is string => id !== undefined);
  const nav = ids.map((id) => `<a href="#${id}">${id}</a>`).join('');
  const html = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>longrl report: ${esc(name)}</title>`,
    `<style>${CSS}</style></head><body>`,
    `<h1>longrl run report: ${esc(name)}</h1>`,
    `<p class="meta">Generated ${esc(opts.generatedAt ?? new Date().toISOString())} by <code>longrl report</code>.</p>`,
    `<nav>${nav}</nav>`,
    ...sections,
    '</body></html>',
    '',
  ].join('\n');
  return { html, mainSvg };
}

export interface WriteReportOptions extends ReportOptions {
  /** Path of the HTML file (default RUN_DIR/report.html). */
  out?: string;
  /** Path of the PNG (default RUN_DIR/report.png); false to skip. */
  png?: string | false;
}

export interface WrittenReport {
  html: string;
  png: string | null;
  notes: string[];
}

/** Reads a run folder and writes report.html and report.png (atomically). */
export async function writeReport(runDir: string, opts: WriteReportOptions = {}): Promise<WrittenReport> {
  const run = loadRun(runDir);
  const { html, mainSvg } = buildReport(run, opts);
  const htmlPath = opts.out ?? join(runDir, 'report.html');
  writeFileAtomic(htmlPath, html);
  let pngPath: string | null = null;
  const notes = [...run.notes];
  if (opts.png !== false) {
    const target = opts.png ?? join(runDir, 'report.png');
    try {
      writeFileAtomic(target, await svgToPng(mainSvg, { width: 1800 }));
      pngPath = target;
    } catch (err) {
      notes.push(`report.png not written: ${(err as Error).message}`);
    }
  }
  return { html: htmlPath, png: pngPath, notes };
}
