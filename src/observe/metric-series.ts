/**
 * Turning metrics lines into chart series: which key holds a role, the points of a key,
 * one series per curriculum stage or per baseline, and where stages begin.
 */
import type { ChartSeries, VRule } from './charts.ts';
import type { MetricsLine, RunPhase } from './metrics-log.ts';
import { METRIC_ALIASES, type MetricRole } from './metric-names.ts';

/** The first alias of a role present (as a number) in any line. */
export function keyFor(lines: readonly MetricsLine[], role: MetricRole): string | undefined {
  for (const k of METRIC_ALIASES[role]) if (lines.some((l) => typeof l[k] === 'number')) return k;
  return undefined;
}

/** Points (step, value) of the lines that hold `key`; a null value (non-finite) is a gap. */
export function pointsOf(lines: readonly MetricsLine[], key: string): [number, number | null][] {
  const out: [number, number | null][] = [];
  for (const l of lines) {
    if (!(key in l)) continue;
    const v = l[key];
    out.push([l.step, typeof v === 'number' ? v : null]);
  }
  return out;
}

/** The stages of the lines, in order of first appearance. */
export function stagesOf(lines: readonly MetricsLine[]): (number | null)[] {
  const seen: (number | null)[] = [];
  for (const l of lines) if (!seen.includes(l.stage)) seen.push(l.stage);
  return seen;
}

/** `stage 2`, or `no stage` for lines outside the curriculum. */
export function stageName(s: number | null): string {
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
export function perStage(lines: readonly MetricsLine[], key: string): ChartSeries[] {
  return stagesOf(lines)
    .map((s) => ({ name: stageName(s), points: pointsOf(lines.filter((l) => l.stage === s), key) }))
    .filter((s) => s.points.length > 0);
}

/**
 * Lines of a phase split by their `baseline` field (e.g. the `sft-continued` baseline
 * logged as phase sft), so each gets its own series.
 */
export function byBaseline(lines: readonly MetricsLine[], phase: RunPhase): { name: string; lines: MetricsLine[] }[] {
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

/** Arithmetic mean; undefined for no values. */
export function mean(xs: readonly number[]): number | undefined {
  return xs.length === 0 ? undefined : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** The numeric values of `key` over the lines (nulls and absences skipped). */
export function numbers(lines: readonly MetricsLine[], key: string | undefined): number[] {
  if (!key) return [];
  return lines.map((l) => l[key]).filter((v): v is number => typeof v === 'number');
}
