/**
 * LongBench layouts (scorers.md §3): the v1 JSON/JSONL rows `{input, context, answers,
 * length, dataset, language, all_classes, _id}`, and the MiniLongBench files in
 * `shared/data/longbench/` (`{"0": {origin_prompt, prediction, gold, time}, ...}`,
 * gold a Python-literal string). MiniLongBench prompts are already rendered
 * (contracts §5): the record's document is the whole `origin_prompt`, its question is
 * empty and `metadata.rendered_prompt` is true, so evaluation must not re-wrap it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../../util/errors.ts';
import { acceptRecord, RecordError, type DocQARecord, type ReadOptions, type RecordLocation } from '../record.ts';
import { parsePyLiteral } from './pyliteral.ts';

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

function need<T>(row: Record<string, unknown>, field: string, loc: RecordLocation, check: (v: unknown) => v is T, type: string): T {
  const v = row[field];
  if (v === undefined || v === null) throw new RecordError(loc, field, 'missing required field');
  if (!check(v)) throw new RecordError(loc, field, `expected ${type}, got ${Array.isArray(v) ? 'a list' : typeof v}`);
  return v;
}
const isStr = (v: unknown): v is string => typeof v === 'string';
const isStrList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** One LongBench v1 row as a record. */
export function longBenchRowToRecord(row: unknown, loc: RecordLocation, fallbackDataset: string, index: number): unknown {
  if (!isObj(row)) throw new RecordError(loc, '(record)', 'expected a JSON object');
  const context = need(row, 'context', loc, isStr, 'a string');
  const input = need(row, 'input', loc, isStr, 'a string');
  const answers = need(row, 'answers', loc, isStrList, 'a list of strings');
  const dataset = typeof row['dataset'] === 'string' ? row['dataset'] : fallbackDataset;
  const metadata: Record<string, unknown> = {};
  for (const k of ['length', 'language', 'all_classes']) if (row[k] !== undefined && row[k] !== null) metadata[k] = row[k];
  return {
    id: typeof row['_id'] === 'string' ? row['_id'] : `${dataset}-${index}`,
    data_source: `longbench_${dataset}`,
    task: dataset,
    document: context,
    question: input,
    answers,
    metadata,
  };
}

/**
 * One LongBench v2 row (`{_id, question, choice_A..D, answer, context | context_file}`,
 * scorers.md §4) as a multiple-choice record. The context is inline, or read from
 * `context_file` relative to the data file, or from `samples/` with `/` written `__`
 * (the layout of shared/data/longbench_v2).
 */
export function longBenchV2RowToRecord(row: Record<string, unknown>, loc: RecordLocation, dataDir: string, index: number): unknown {
  const question = need(row, 'question', loc, isStr, 'a string');
  const choices = ['A', 'B', 'C', 'D'].map((l) => need(row, `choice_${l}`, loc, isStr, 'a string'));
  const answer = need(row, 'answer', loc, isStr, 'a string');
  if (!/^[A-D]$/.test(answer)) throw new RecordError(loc, 'answer', `expected one of A, B, C, D, got "${answer}"`);
  let context = typeof row['context'] === 'string' ? row['context'] : undefined;
  const cf = row['context_file'];
  if (context === undefined && typeof cf === 'string') {
    for (const p of [join(dataDir, cf), join(dataDir, 'samples', cf.split('/').join('__'))]) {
      if (existsSync(p)) {
        context = readFileSync(p, 'utf8');
        break;
      }
    }
  }
  if (context === undefined) throw new RecordError(loc, 'context', `missing required field (no inline context and context_file ${JSON.stringify(cf ?? null)} not found)`);
  const metadata: Record<string, unknown> = {};
  for (const k of ['domain', 'sub_domain', 'difficulty', 'length']) if (typeof row[k] === 'string') metadata[k] = row[k];
  return {
    id: typeof row['_id'] === 'string' ? row['_id'] : `longbench_v2-${index}`,
    data_source: 'longbench_v2_choice',
    task: 'longbench_v2',
    document: context,
    question,
    answer,
    choices,
    metadata,
  };
}

/** One MiniLongBench entry as a record. */
export function miniLongBenchEntryToRecord(key: string, entry: unknown, loc: RecordLocation, task: string): unknown {
  if (!isObj(entry)) throw new RecordError(loc, '(record)', 'expected an object');
  const prompt = need(entry, 'origin_prompt', loc, isStr, 'a string');
  let gold: unknown = entry['gold'];
  if (gold === undefined || gold === null) throw new RecordError(loc, 'gold', 'missing required field');
  if (typeof gold === 'string') {
    try {
      gold = parsePyLiteral(gold);
    } catch {
      gold = [gold];
    }
  }
  const metadata: Record<string, unknown> = { rendered_prompt: true };
  let answers: unknown = gold;
  if (isObj(gold)) {
    answers = gold['answers'];
    if (gold['all_classes'] !== undefined) metadata['all_classes'] = gold['all_classes'];
  }
  if (typeof answers === 'string') answers = [answers];
  if (!isStrList(answers)) throw new RecordError(loc, 'gold', 'expected a list of answer strings');
  if (typeof entry['prediction'] === 'string') metadata['prediction'] = entry['prediction'];
  return { id: `${task}-${key}`, data_source: `longbench_${task}`, task, document: prompt, question: '', answers, metadata };
}

/**
 * Reads LongBench data: a JSONL of v1 rows (or v2 multiple-choice rows), a JSON list
 * of rows, or a MiniLongBench object keyed by "0", "1", ....
 */
export function readLongBench(path: string, opts: ReadOptions = {}): DocQARecord[] {
  const text = readText(path);
  const stem = basename(path).replace(/\.(jsonl|json)$/i, '');
  const task = stem.replace(/^MiniLongBench_/, '');
  const out: DocQARecord[] = [];
  const take = (make: () => unknown, loc: RecordLocation) => {
    let v: unknown;
    try {
      v = make();
    } catch (err) {
      if (opts.skipInvalid && err instanceof RecordError) {
        opts.skipped?.add(err);
        return;
      }
      throw err;
    }
    const r = acceptRecord(v, loc, opts);
    if (r) out.push(r);
  };
  const trimmed = text.trimStart();
  let whole: unknown;
  let isWhole = false;
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      whole = JSON.parse(text);
      isWhole = true;
    } catch {
      isWhole = false; // several JSON lines
    }
  }
  if (isWhole && Array.isArray(whole)) {
    whole.forEach((row, i) => take(() => longBenchRowToRecord(row, { file: path, row: i }, task, i), { file: path, row: i }));
    return out;
  }
  if (isWhole && isObj(whole) && 'context' in whole === false) {
    for (const [key, entry] of Object.entries(whole)) {
      const loc = { file: path, row: Number(key) };
      take(() => miniLongBenchEntryToRecord(key, entry, loc, task), loc);
    }
    return out;
  }
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).trim();
    if (raw === '') continue;
    const loc = { file: path, line: i + 1 };
    take(() => {
      let row: unknown;
      try {
        row = JSON.parse(raw);
      } catch (err) {
        throw new RecordError(loc, '(line)', `malformed JSON: ${(err as Error).message}`);
      }
      if (isObj(row) && 'choice_A' in row) return longBenchV2RowToRecord(row, loc, dirname(path), i);
      return longBenchRowToRecord(row, loc, task, i);
    }, loc);
  }
  return out;
}

/** A FRAMES item: question and answer only (the Wikipedia articles are not offline). */
export interface FramesItem {
  id: string;
  question: string;
  answer: string;
  reasoning_type?: string;
  wiki_links: string[];
}

/** Reads `frames_824.jsonl` (`{id, problem, answer, reasoning_type, wiki_links}`). */
export function readFrames(path: string): FramesItem[] {
  const text = readText(path);
  const out: FramesItem[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).trim();
    if (raw === '') continue;
    const loc = { file: path, line: i + 1 };
    let row: unknown;
    try {
      row = JSON.parse(raw);
    } catch (err) {
      throw new RecordError(loc, '(line)', `malformed JSON: ${(err as Error).message}`);
    }
    if (!isObj(row)) throw new RecordError(loc, '(record)', 'expected a JSON object');
    const problem = need(row, 'problem', loc, isStr, 'a string');
    const answer = need(row, 'answer', loc, isStr, 'a string');
    const id = row['id'];
    if (id === undefined || id === null) throw new RecordError(loc, 'id', 'missing required field');
    let links: string[] = [];
    const wl = row['wiki_links'];
    if (typeof wl === 'string') {
      try {
        const v = parsePyLiteral(wl);
        if (isStrList(v)) links = v;
        else throw new Error('not a list');
      } catch {
        throw new RecordError(loc, 'wiki_links', 'expected a Python list of strings');
      }
    } else if (isStrList(wl)) links = wl;
    const item: FramesItem = { id: String(id), question: problem.trim(), answer, wiki_links: links };
    if (typeof row['reasoning_type'] === 'string') item.reasoning_type = row['reasoning_type'];
    out.push(item);
  }
  return out;
}
