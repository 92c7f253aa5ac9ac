/**
 * Reads what a report needs from a run folder (contracts.md §4), tolerating partial
 * folders: a missing or unreadable file becomes a note instead of an error, so a
 * report can be written while a run is still going or after it crashed.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.ts';
import { METRICS_FILE, type MetricsLine } from './metrics-log.ts';
import { findEventFiles } from './tensorboard.ts';

/** One row of results.json: accuracy in percent (0-100) over n items. */
export interface ResultsRow {
  model: string;
  length: number;
  accuracy: number;
  n: number;
  task?: string;
}

/** One row of ablation.json (contracts.md §4): mean and std (ddof 1) over seeds, in percent. */
export interface AblationRow {
  variant: string;
  length: number;
  mean: number;
  std: number;
  seeds: number;
  n: number;
}

export interface RunFolder {
  dir: string;
  /** Text of config.yaml, or null when absent. */
  config: string | null;
  metrics: MetricsLine[];
  /** Rows of results.json, or null when absent or unreadable. */
  results: ResultsRow[] | null;
  /** Rows of ablation.json when the folder is an ablation run, else null. */
  ablation: AblationRow[] | null;
  eventFiles: string[];
  checkpoints: string[];
  /** The last records of samples.jsonl (or of the newest samples/*.jsonl), or null. */
  samples: { file: string; records: Record<string, unknown>[] } | null;
  /** Problems found while reading, each naming the file (and line). */
  notes: string[];
}

/** Parses metrics.jsonl text, skipping (and noting) lines that do not parse. */
export function parseMetricsText(text: string, file: string, notes: string[]): MetricsLine[] {
  const out: MetricsLine[] = [];
  const parts = text.split('\n');
  parts.forEach((raw, i) => {
    if (raw.trim() === '') return;
    try {
      const v = JSON.parse(raw) as unknown;
      if (v === null || typeof v !== 'object' || Array.isArray(v) || typeof (v as { step?: unknown }).step !== 'number') {
        notes.push(`${file}:${i + 1}: not a metrics object with a numeric "step"; skipped`);
        return;
      }
      out.push(v as MetricsLine);
    } catch {
      const torn = i === parts.length - 1;
      notes.push(`${file}:${i + 1}: ${torn ? 'unterminated last line (run still writing or killed)' : 'malformed JSON'}; skipped`);
    }
  });
  return out;
}

/** Validates results.json rows; invalid rows are noted and left out. */
export function parseResults(value: unknown, file: string, notes: string[]): ResultsRow[] | null {
  if (!Array.isArray(value)) {
    notes.push(`${file}: expected a list of {model, length, accuracy, n} rows`);
    return null;
  }
  const rows: ResultsRow[] = [];
  value.forEach((r: unknown, i) => {
    const o = r as Record<string, unknown> | null;
    const ok =
      o !== null && typeof o === 'object' && typeof o['model'] === 'string' && typeof o['length'] === 'number' &&
      typeof o['accuracy'] === 'number' && typeof o['n'] === 'number' && (o['task'] === undefined || typeof o['task'] === 'string');
    if (!ok) {
      notes.push(`${file}: row ${i} is not {model: string, length: number, accuracy: number, n: number, task?: string}; skipped`);
      return;
    }
    const row: ResultsRow = { model: o['model'] as string, length: o['length'] as number, accuracy: o['accuracy'] as number, n: o['n'] as number };
    if (typeof o['task'] === 'string') row.task = o['task'];
    rows.push(row);
  });
  return rows;
}

/** Validates ablation.json rows; invalid rows are noted and left out. */
export function parseAblation(value: unknown, file: string, notes: string[]): AblationRow[] | null {
  if (!Array.isArray(value)) {
    notes.push(`${file}: expected a list of {variant, length, mean, std, seeds, n} rows`);
    return null;
  }
  const rows: AblationRow[] = [];
  value.forEach((r: unknown, i) => {
    const o = (r ?? {}) as Record<string, unknown>;
    const numeric = ['length', 'mean', 'std', 'seeds', 'n'].every((k) => typeof o[k] === 'number' || (k === 'std' && o[k] === null));
    if (typeof o['variant'] !== 'string' || !numeric) {
      notes.push(`${file}: row ${i} is not {variant: string, length, mean, std, seeds, n: number}; skipped`);
      return;
    }
    rows.push({ variant: o['variant'], length: o['length'] as number, mean: o['mean'] as number, std: (o['std'] as number | null) ?? Number.NaN, seeds: o['seeds'] as number, n: o['n'] as number });
  });
  return rows;
}

function readJsonNoted(path: string, name: string, notes: string[]): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    notes.push(`${name}: not valid JSON (${(err as Error).message})`);
    return undefined;
  }
}

/** Reads at most the last `bytes` of a file; a cut first line is dropped. */
function readTail(path: string, bytes: number): string {
  const size = statSync(path).size;
  const start = Math.max(0, size - bytes);
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(size - start);
    readSync(fd, buf, 0, buf.length, start);
    const text = buf.toString('utf8');
    return start === 0 ? text : text.slice(text.indexOf('\n') + 1);
  } finally {
    closeSync(fd);
  }
}

/**
 * The last `max` complete JSON objects of the run's samples: `samples.jsonl` in the run
 * folder, else the newest (last by name) `.jsonl` file under `samples/`. Only the end of
 * the file is read, so a long run's samples file costs nothing to report on.
 */
export function readSamples(dir: string, max = 3): RunFolder['samples'] {
  let file: string | undefined;
  if (existsSync(join(dir, 'samples.jsonl'))) file = 'samples.jsonl';
  else {
    const sDir = join(dir, 'samples');
    if (existsSync(sDir) && statSync(sDir).isDirectory()) {
      const last = readdirSync(sDir).filter((n) => n.endsWith('.jsonl')).sort().at(-1);
      if (last !== undefined) file = `samples/${last}`;
    }
  }
  if (file === undefined) return null;
  const records: Record<string, unknown>[] = [];
  const lines = readTail(join(dir, file), 1 << 20).split('\n');
  for (let i = lines.length - 1; i >= 0 && records.length < max; i--) {
    const raw = lines[i] as string;
    if (raw.trim() === '') continue;
    try {
      const v = JSON.parse(raw) as unknown;
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) records.unshift(v as Record<string, unknown>);
    } catch {
      // a torn last line of a file being written: skip it
    }
  }
  return { file, records };
}

/** Loads a run folder; only a missing folder is an error. */
export function loadRun(dir: string): RunFolder {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UserError(`run folder ${dir} does not exist (give the folder a train or demo run wrote)`);
  }
  const notes: string[] = [];
  const cfgPath = join(dir, 'config.yaml');
  const config = existsSync(cfgPath) ? readFileSync(cfgPath, 'utf8') : null;
  if (config === null) notes.push('config.yaml: not found');
  const mPath = join(dir, METRICS_FILE);
  let metrics: MetricsLine[] = [];
  if (existsSync(mPath)) metrics = parseMetricsText(readFileSync(mPath, 'utf8'), METRICS_FILE, notes);
  else notes.push(`${METRICS_FILE}: not found`);
  const rPath = join(dir, 'results.json');
  let results: ResultsRow[] | null = null;
  if (existsSync(rPath)) {
    try {
      results = parseResults(JSON.parse(readFileSync(rPath, 'utf8')), 'results.json', notes);
    } catch (err) {
      notes.push(`results.json: not valid JSON (${(err as Error).message})`);
    }
  } else {
    notes.push('results.json: not found (no evaluation yet)');
  }
  const aPath = join(dir, 'ablation.json');
  let ablation: AblationRow[] | null = null;
  if (existsSync(aPath)) {
    const v = readJsonNoted(aPath, 'ablation.json', notes);
    if (v !== undefined) ablation = parseAblation(v, 'ablation.json', notes);
  }
  const ckDir = join(dir, 'checkpoints');
  const checkpoints = existsSync(ckDir) ? readdirSync(ckDir).filter((n) => n.startsWith('step-')).sort() : [];
  const eventFiles = findEventFiles(dir).map((p) => p.slice(dir.length + 1));
  return { dir, config, metrics, results, ablation, eventFiles, checkpoints, samples: readSamples(dir), notes };
}
