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
import { chartSvg, svgToPng, type ChartOptions, type ChartPanel, type ChartSeries } from './charts.ts';
import { compareSection } from './compare.ts';
import { headline } from './eval-table.ts';
import { CSS, fmt, missing, section, table } from './html.ts';
import { byBaseline, keyFor, mean, numbers, perStage, pointsOf, stageName, stageRules, stagesOf } from './metric-series.ts';
import { ablationSection, evalSection, samplesSection } from './report-tables.ts';
import { PHASES, isWallClockKey, type MetricsLine, type RunPhase } from './metrics-log.ts';
import { METRIC_ALIASES, TIMING_PARTS, timingSplit, type MetricRole } from './metric-names.ts';
import { formatDuration, formatSeconds } from './progress.ts';
import { loadRun, type RunFolder } from './run-data.ts';
import { esc } from './svg.ts';

export interface ReportOptions {
  /** Shown in the header; default now (ISO 8601). */
  generatedAt?: string;
  /** Rolling-mean window; default about 1/20 of the points. */
  smooth?: number;
  /** Make the browser reload the page every this many seconds (live view with --watch). */
  refreshS?: number;
  /** Other runs to compare with (adds a comparison section). */
  others?: readonly RunFolder[];
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
  { title: 'Shaped reward', role: 'shapedReward' },
  { title: 'Response length', role: 'responseLength' },
  { title: 'Entropy', role: 'entropy' },
  { title: 'Clip fraction', role: 'clipFraction' },
  { title: 'KL', role: 'kl' },
  { title: 'Truncated responses', role: 'truncation' },
  { title: 'Grad norm', role: 'gradNorm' },
  { title: 'Groups with zero reward std', role: 'zeroStdFraction' },
  { title: 'Throughput (tokens/s)', role: 'throughput' },
];

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
  const head = run.results ? headline(run.results) : null;
  const body = (head ? `<p class="headline">${esc(head)}</p>` : '') + `<ul>${facts.join('')}</ul>` + (rows.length ? table(['phase', 'steps', 'step range', 'stages'], rows) : missing('No metrics yet.'));
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
  const rewardKey = keyFor(rl, 'reward');
  for (const d of DYNAMICS) {
    const k = keyFor(rl, d.role);
    if (d.role === 'shapedReward' && (k === undefined || k === rewardKey)) continue; // nothing beyond the main chart
    if (k) panels.push({ title: `${d.title} (${k})`, series: [{ name: k, points: pointsOf(rl, k) }] });
    else absent.push(`${d.title} (${METRIC_ALIASES[d.role][0]})`);
  }
  parts.push('<h3>Training dynamics</h3>');
  if (panels.length > 0) parts.push(`<figure>${chartSvg(panels, { ...chartOpts('', opts), vRules: stageRules(rl), columns: 2 })}</figure>`);
  if (absent.length > 0) parts.push(missing(`Not logged: ${absent.join(', ')}.`));
  return section('rl', 'Reinforcement learning', parts.join('\n'));
}

/** Seconds per timing part summed over lines: label -> seconds, in TIMING_PARTS order. */
function timingTotals(lines: readonly MetricsLine[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of lines) for (const p of timingSplit(l)) out.set(p.label, (out.get(p.label) ?? 0) + p.seconds);
  return out;
}

function timingSection(run: RunFolder, opts: ReportOptions): string {
  const rl = run.metrics.filter((l) => l.phase === 'rl');
  const series: ChartSeries[] = [];
  for (const part of TIMING_PARTS) {
    const pts: [number, number | null][] = [];
    for (const l of rl) {
      const p = timingSplit(l).find((x) => x.label === part.label);
      if (p) pts.push([l.step, p.seconds]);
    }
    if (pts.length > 0) series.push({ name: part.label, points: pts });
  }
  if (series.length === 0) return section('timing', 'Time per step', missing('No timing_s/* fields in the RL steps (timing_s/gen, timing_s/reward, timing_s/update_actor).'));
  const stages = stagesOf(rl);
  const perStage = stages.map((st) => timingTotals(rl.filter((l) => l.stage === st)));
  const all = timingTotals(rl);
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const pct = (x: number, of: number) => `${of > 0 ? ((100 * x) / of).toFixed(1) : '0.0'}%`;
  const cell = (x: number, of: number) => `${esc(formatSeconds(x))} <span class="n">(${pct(x, of)})</span>`;
  const rows = [...all.keys()].map((label) => [
    esc(label),
    ...perStage.map((m) => cell(m.get(label) ?? 0, sum(m))),
    cell(all.get(label) ?? 0, sum(all)),
  ]);
  rows.push(['<b>total</b>', ...perStage.map((m) => `<b>${esc(formatSeconds(sum(m)))}</b>`), `<b>${esc(formatSeconds(sum(all)))}</b>`]);
  const head = ['part', ...stages.map((st) => esc(stageName(st))), 'all RL steps'];
  const svg = chartSvg([{ title: 'Seconds per step', series, yLabel: 'seconds' }], { ...chartOpts('', opts), vRules: stageRules(rl), columns: 1, panelHeight: 260 });
  return section('timing', 'Time per step', `<figure>${svg}</figure>\n<p>Wall time of the RL steps by part (share of the stage in brackets).</p>\n${table(head, rows)}`);
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
  const svg = chartSvg([...panels, ...lrPanels], { ...chartOpts('', opts), columns: 2 });
  return section('sft', 'Warm-up SFT and pretraining', `<figure>${svg}</figure>`);
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
    opts.others && opts.others.length > 0 ? compareSection([run, ...opts.others], opts.smooth) : '',
    otherSection(run, shown, opts),
    section('config', 'Resolved config', run.config === null ? missing('No config.yaml in the run folder.') : `<pre>${esc(run.config)}</pre>`),
    run.notes.length ? section('notes', 'Notes on the run folder', `<ul>${run.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`) : '',
  ].filter(Boolean);
  const ids = sections.map((sec) => /^<section id="([^"]+)"/.exec(sec)?.[1]).filter((id): id is string => id !== undefined);
  const nav = ids.map((id) => `<a href="#${id}">${id}</a>`).join('');
  const html = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    ...(opts.refreshS !== undefined ? [`<meta http-equiv="refresh" content="${Math.max(1, Math.round(opts.refreshS))}">`] : []),
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
  /** Run folders to compare with. */
  compare?: readonly string[];
}

export interface WrittenReport {
  html: string;
  png: string | null;
  notes: string[];
  /** The headline sentence (see `headline`), or null without RL results. */
  headline: string | null;
}

/** Reads a run folder and writes report.html and report.png (atomically). */
export async function writeReport(runDir: string, opts: WriteReportOptions = {}): Promise<WrittenReport> {
  const run = loadRun(runDir);
  const others = (opts.compare ?? []).map((d) => loadRun(d));
  const { html, mainSvg } = buildReport(run, others.length > 0 ? { ...opts, others } : opts);
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
  return { html: htmlPath, png: pngPath, notes, headline: run.results ? headline(run.results) : null };
}
