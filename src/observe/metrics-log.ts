/**
 * The metrics log of a run folder (contracts.md §4): `metrics.jsonl` holds one JSON
 * object per optimizer step, `{step, phase, stage, ...metrics}`, and every numeric
 * value is mirrored to a TensorBoard event file in the same folder.
 *
 * Lines are canonical so that a resumed run reproduces the uninterrupted run's file
 * line for line: keys in a fixed order (`step`, `phase`, `stage`, the metrics sorted,
 * then wall-clock fields sorted, then `nonfinite`); nested objects flattened with `/`;
 * NaN and ±Infinity written as JSON null and named in a `nonfinite` object (JSON has no
 * such numbers). Wall-clock fields are the keys named `time/...` or `timing_s/...` or
 * ending in `_s` (rl-algorithms.md §12 names timings `timing_s/*`); they are the only
 * fields allowed to differ after a resume.
 *
 * Resume: `new MetricsLog(dir, {resume: {step, phase?, stage?}})` keeps the prefix of
 * `metrics.jsonl` up to the checkpoint's step (dropping lines written after the
 * checkpoint and a torn last line) and rebuilds the event file from the kept lines.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/fsx.ts';
import { TensorBoardWriter, eventFileName, findEventFiles, type TbEvent, type TbScalar } from './tensorboard.ts';

export const METRICS_FILE = 'metrics.jsonl';

export type RunPhase = 'pretrain' | 'sft' | 'rl';
export const PHASES: readonly RunPhase[] = ['pretrain', 'sft', 'rl'];

/** A JSON value as it appears in a metrics line. */
export type MetricValue = number | string | boolean | null | MetricValue[];

/** One metrics line as read back. */
export type MetricsLine = { step: number; phase: RunPhase; stage: number | null } & Record<string, MetricValue>;

/** What a trainer logs for one optimizer step; nested objects are flattened with `/`. */
export interface StepInput {
  step: number;
  phase: RunPhase;
  /** Curriculum stage (1-based) for RL; null or absent outside RL. */
  stage?: number | null;
  [key: string]: unknown;
}

/**
 * Where a resumed run continues: the step of the checkpoint (its line is kept).
 * Give `phase` (and `stage`) when steps restart per phase (or per stage); lines are
 * ordered by (phase pretrain < sft < rl, stage, step) for the comparison.
 */
export interface ResumePoint {
  step: number;
  phase?: RunPhase;
  stage?: number | null;
}

export interface MetricsLogOptions {
  /**
   * Absent: a fresh run (an existing non-empty metrics.jsonl is an error, so nothing
   * is overwritten by accident). A ResumePoint: keep lines up to it. `'beginning'`:
   * resume a run that had no checkpoint yet (all lines dropped).
   */
  resume?: ResumePoint | 'beginning';
  /** Mirror numeric values to a TensorBoard event file (default true). */
  tensorboard?: boolean;
  /** Add `time/unix` (seconds since the epoch) to each line (default true). */
  timestamp?: boolean;
  /** Receives notes such as non-finite values (default: a line on stderr). */
  onNote?: (message: string) => void;
  /** Clock in milliseconds since the epoch (default Date.now). */
  now?: () => number;
  /** Host name in the event file name (default os.hostname()). */
  hostname?: string;
}

/** verl's wall-clock-derived names that the naming rule below does not catch. */
const WALL_CLOCK_NAMES = new Set(['perf/throughput', 'perf/time_per_step']);

/** True for wall-clock keys, the fields that may differ between a run and its resume. */
export function isWallClockKey(key: string): boolean {
  return key.startsWith('time/') || key.startsWith('timing_s/') || key.endsWith('_s') || WALL_CLOCK_NAMES.has(key);
}

const RESERVED = new Set(['step', 'phase', 'stage', 'nonfinite']);

function nonFiniteName(x: number): string {
  return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
}

function flattenInto(out: Map<string, unknown>, prefix: string, value: unknown): void {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    // Typed arrays (e.g. per-stage histograms) are logged as plain JSON arrays.
    out.set(prefix, Array.from(value as unknown as ArrayLike<number>, (x) => (typeof x === 'bigint' ? Number(x) : x)));
    return;
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flattenInto(out, prefix ? `${prefix}/${k}` : k, v);
    return;
  }
  if (value !== undefined) out.set(prefix, value);
}

function sanitize(key: string, value: unknown, nonfinite: Record<string, string>): MetricValue {
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    nonfinite[key] = nonFiniteName(value);
    return null;
  }
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return value;
  if (Array.isArray(value)) {
    return value.map((v, i) => sanitize(`${key}[${i}]`, v, nonfinite));
  }
  throw new TypeError(`metrics: field "${key}" has unsupported type ${typeof value}`);
}

/**
 * Builds the canonical line for one step (pure). `unixSeconds`, when given, adds
 * `time/unix`. Throws TypeError on a malformed step/phase/stage (a programming error).
 */
export function canonicalLine(input: StepInput, unixSeconds?: number): MetricsLine {
  if (!Number.isInteger(input.step) || input.step < 0) throw new TypeError(`metrics: step must be a non-negative integer, got ${String(input.step)}`);
  if (!PHASES.includes(input.phase)) throw new TypeError(`metrics: phase must be one of ${PHASES.join(', ')}, got ${String(input.phase)}`);
  const stage = input.stage ?? null;
  if (stage !== null && !Number.isFinite(stage)) throw new TypeError(`metrics: stage must be a number or null, got ${String(stage)}`);
  const flat = new Map<string, unknown>();
  for (const [k, v] of Object.entries(input)) {
    if (RESERVED.has(k)) continue;
    flattenInto(flat, k, v);
  }
  if (unixSeconds !== undefined && !flat.has('time/unix')) flat.set('time/unix', unixSeconds);
  const keys = [...flat.keys()];
  const metricKeys = keys.filter((k) => !isWallClockKey(k)).sort(byCodeUnit);
  const clockKeys = keys.filter(isWallClockKey).sort(byCodeUnit);
  const nonfinite: Record<string, string> = {};
  const line: Record<string, MetricValue> = { step: input.step, phase: input.phase, stage };
  for (const k of [...metricKeys, ...clockKeys]) line[k] = sanitize(k, flat.get(k), nonfinite);
  const nfKeys = Object.keys(nonfinite).sort(byCodeUnit);
  if (nfKeys.length > 0) {
    const sorted: Record<string, string> = {};
    for (const k of nfKeys) sorted[k] = nonfinite[k] as string;
    (line as Record<string, unknown>)['nonfinite'] = sorted;
  }
  return line as MetricsLine;
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A line without its wall-clock fields: what must match between a run and its resume. */
export function withoutWallClock(line: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(line)) if (!isWallClockKey(k)) out[k] = v;
  return out;
}

/** The TensorBoard tag of a metric: RL metrics keep their name, others get `<phase>/`. */
export function tensorboardTag(phase: RunPhase, key: string): string {
  return phase === 'rl' ? key : `${phase}/${key}`;
}

/** The scalars of a line as a TensorBoard event (non-finite values restored from `nonfinite`). */
export function lineToEvent(line: MetricsLine, fallbackWallTime: number): TbEvent {
  const nonfinite = (line as Record<string, unknown>)['nonfinite'] as Record<string, string> | undefined;
  const scalars: TbScalar[] = [];
  for (const [k, v] of Object.entries(line)) {
    if (k === 'step' || k === 'phase' || k === 'nonfinite' || k === 'time/unix') continue;
    let value: number | undefined;
    if (typeof v === 'number') value = v;
    else if (v === null && nonfinite?.[k] !== undefined) value = Number(nonfinite[k]);
    if (value !== undefined) scalars.push({ tag: tensorboardTag(line.phase, k), value });
  }
  const unix = line['time/unix'];
  return { wallTime: typeof unix === 'number' ? unix : fallbackWallTime, step: line.step, scalars };
}

function phaseRank(p: unknown): number {
  const i = PHASES.indexOf(p as RunPhase);
  return i < 0 ? 0 : i;
}

/** True when `line` comes after the resume point (and so must be dropped). */
export function isAfter(line: { step: number; phase: unknown; stage?: unknown }, point: ResumePoint): boolean {
  if (point.phase !== undefined) {
    const d = phaseRank(line.phase) - phaseRank(point.phase);
    if (d !== 0) return d > 0;
    if (point.stage !== undefined) {
      const ls = typeof line.stage === 'number' ? line.stage : -1;
      const ps = point.stage ?? -1;
      if (ls !== ps) return ls > ps;
    }
  }
  return line.step > point.step;
}

interface ParsedFile {
  /** Exact text of each complete line (without newline) with its parsed value. */
  lines: { text: string; value: MetricsLine }[];
}

/** Reads metrics.jsonl, dropping a torn (unterminated, unparsable) last line. */
function parseMetricsFile(path: string): ParsedFile {
  const text = readFileSync(path, 'utf8');
  const parts = text.split('\n');
  const lines: ParsedFile['lines'] = [];
  for (let i = 0; i < parts.length; i++) {
    const raw = parts[i] as string;
    if (raw.trim() === '') continue;
    const isTail = i === parts.length - 1; // no newline after it
    try {
      const value = JSON.parse(raw) as MetricsLine;
      if (isTail) break; // an unterminated line may be cut inside a number: drop it
      lines.push({ text: raw, value });
    } catch (err) {
      if (isTail) break;
      throw new UserError(`${path}:${i + 1}: malformed metrics line: ${(err as Error).message}`);
    }
  }
  return { lines };
}

/** Reads a run's metrics.jsonl (torn last line ignored). */
export function readMetrics(path: string): MetricsLine[] {
  return parseMetricsFile(path).lines.map((l) => l.value);
}

/** Appends canonical step lines to `metrics.jsonl` and mirrors them to TensorBoard. */
export class MetricsLog {
  readonly path: string;
  private fd: number;
  private tb: TensorBoardWriter | null = null;
  private count = 0;
  private readonly noted = new Set<string>();
  private readonly now: () => number;
  private readonly timestamp: boolean;
  private readonly onNote: (m: string) => void;

  constructor(readonly runDir: string, opts: MetricsLogOptions = {}) {
    mkdirSync(runDir, { recursive: true });
    this.path = join(runDir, METRICS_FILE);
    this.now = opts.now ?? Date.now;
    this.timestamp = opts.timestamp ?? true;
    this.onNote = opts.onNote ?? ((m) => process.stderr.write(`longrl: ${m}\n`));
    let kept: MetricsLine[] = [];
    const exists = existsSync(this.path);
    if (opts.resume === undefined) {
      if (exists && readFileSync(this.path, 'utf8').trim() !== '') {
        throw new UserError(`${this.path} already has metrics: resume the run (--resume) or choose another run folder`);
      }
      writeFileAtomic(this.path, '');
    } else {
      const parsed = exists ? parseMetricsFile(this.path) : { lines: [] };
      const point = opts.resume;
      const keepLines: ParsedFile['lines'] = [];
      if (point !== 'beginning') {
        for (const l of parsed.lines) {
          if (isAfter(l.value, point)) break;
          keepLines.push(l);
        }
      }
      writeFileAtomic(this.path, keepLines.map((l) => `${l.text}\n`).join(''));
      kept = keepLines.map((l) => l.value);
      if (point !== 'beginning') this.noteGap(kept[kept.length - 1], point);
    }
    this.count = kept.length;
    this.fd = openSync(this.path, 'a');
    if (opts.tensorboard ?? true) {
      const existing = findEventFiles(runDir);
      const nowS = this.now() / 1000;
      const first = existing[0];
      // A resumed run rewrites the first event file (keeping its name) from the kept
      // lines; any later event files would repeat steps, so they go.
      const name = opts.resume !== undefined && first ? basename(first) : eventFileName(nowS, opts.hostname);
      for (const f of existing) if (basename(f) !== name) rmSync(f, { force: true });
      const events = kept.map((l) => lineToEvent(l, nowS));
      const header = opts.resume !== undefined && first !== undefined ? headerTimeOf(name, nowS) : nowS;
      this.tb = new TensorBoardWriter(join(runDir, name), events, header);
    }
  }

  /** Says so when the kept lines stop short of the checkpoint (lines were lost). */
  private noteGap(last: MetricsLine | undefined, point: ResumePoint): void {
    const complete = last ? last.step === point.step && (point.phase === undefined || last.phase === point.phase) : point.step === 0;
    if (complete) return;
    const at = last === undefined ? 'has no lines' : `ends at ${last.phase} step ${last.step}`;
    this.onNote(`${this.path} ${at}, before the checkpoint's step ${point.step}: the lines in between are missing`);
  }

  /** Number of lines in metrics.jsonl (after any resume truncation). */
  get lines(): number {
    return this.count;
  }

  /** Writes one step; returns the canonical line as written. */
  log(input: StepInput): MetricsLine {
    const nowMs = this.now();
    const line = canonicalLine(input, this.timestamp ? nowMs / 1000 : undefined);
    writeSync(this.fd, `${JSON.stringify(line)}\n`);
    this.count++;
    const nonfinite = (line as Record<string, unknown>)['nonfinite'] as Record<string, string> | undefined;
    if (nonfinite) {
      for (const [k, v] of Object.entries(nonfinite)) {
        if (this.noted.has(k)) continue;
        this.noted.add(k);
        this.onNote(`metric "${k}" was ${v} at ${line.phase} step ${line.step}; written as null (see the line's "nonfinite" field)`);
      }
    }
    this.tb?.write(lineToEvent(line, nowMs / 1000));
    return line;
  }

  /** Forces lines and events to disk (call before writing a checkpoint). */
  flush(): void {
    fsyncSync(this.fd);
    this.tb?.flush();
  }

  close(): void {
    if (this.fd < 0) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
    this.tb?.close();
  }
}

/** The unix time encoded in an event file name (for the rewritten header), else `fallback`. */
function headerTimeOf(name: string, fallback: number): number {
  const m = /^events\.out\.tfevents\.(\d+)\./.exec(name);
  return m ? Number(m[1]) : fallback;
}
