/**
 * verl-style Parquet (qwenlong-recipe.md §13): one row per item with `data_source`,
 * `prompt` (chat list of `{role, content}`), `ability`, `reward_model {style,
 * ground_truth}` and `extra_info {index, split, ...}`. Reading accepts DocQA-RL-1.6K as
 * is: document and question are recovered from the filled QwenLong template in the
 * last user message. Writing produces the column structure verl's RLHFDataset reads;
 * longrl-only fields go into `extra_info` (as strings, JSON where structured) so a
 * write → read round trip restores the record.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { UserError } from '../../util/errors.ts';
import { writeFileAtomic } from '../../util/fsx.ts';
import { parsePrompt, promptContent, questionWithChoices } from '../prompt.ts';
import { acceptRecord, goldAnswers, RecordError, type DocQARecord, type ReadOptions, type RecordLocation } from '../record.ts';

/** verl `ability` for a data_source (DocQA-RL-1.6K's three values). */
export function abilityOf(dataSource: string): string {
  if (dataSource.includes('docmath')) return 'doc-math';
  if (dataSource.includes('choice')) return 'doc-mc';
  return 'doc-qa';
}

export interface VerlRow {
  data_source: string;
  prompt: { role: string; content: string }[];
  ability: string;
  reward_model: { style: string; ground_truth: string };
  extra_info: Record<string, unknown>;
}

/** Fields of extra_info written by longrl (all strings but index). */
const EXTRA_FIELDS = ['index', 'split', 'id', 'task', 'gold_fields', 'answers', 'choices', 'trace', 'metadata'] as const;

/** A record as a verl row; `ground_truth` is the first gold answer. */
export function recordToVerlRow(r: DocQARecord, index: number): VerlRow {
  const gold = goldAnswers(r);
  return {
    data_source: r.data_source,
    prompt: [{ role: 'user', content: promptContent(r) }],
    ability: abilityOf(r.data_source),
    reward_model: { style: 'rule', ground_truth: gold[0] ?? '' },
    extra_info: {
      index: BigInt(index),
      split: r.split ?? null,
      id: r.id,
      task: r.task ?? null,
      // Which of answer/answers the record had, so reading restores it exactly.
      gold_fields: [r.answer !== undefined ? 'answer' : '', r.answers !== undefined ? 'answers' : ''].filter(Boolean).join(','),
      answers: r.answers !== undefined ? JSON.stringify(r.answers) : null,
      choices: r.choices !== undefined ? JSON.stringify(r.choices) : null,
      trace: r.trace ?? null,
      metadata: r.metadata !== undefined ? JSON.stringify(r.metadata) : null,
    },
  };
}

const STR = { type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' } as const;

function verlSchema(): Record<string, unknown>[] {
  return [
    { name: 'root', num_children: 5 },
    { name: 'data_source', ...STR },
    { name: 'prompt', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', repetition_type: 'OPTIONAL', num_children: 2 },
    { name: 'content', ...STR },
    { name: 'role', ...STR },
    { name: 'ability', ...STR },
    { name: 'reward_model', repetition_type: 'OPTIONAL', num_children: 2 },
    { name: 'ground_truth', ...STR },
    { name: 'style', ...STR },
    { name: 'extra_info', repetition_type: 'OPTIONAL', num_children: EXTRA_FIELDS.length },
    ...EXTRA_FIELDS.map((f) => (f === 'index' ? { name: f, type: 'INT64', repetition_type: 'OPTIONAL' } : { name: f, ...STR })),
  ];
}

/** The Parquet bytes of records in verl's layout (snappy-compressed). */
export function verlParquetBuffer(records: readonly DocQARecord[]): ArrayBuffer {
  const rows = records.map((r, i) => recordToVerlRow(r, i));
  return parquetWriteBuffer({
    schema: verlSchema() as never,
    codec: 'SNAPPY',
    columnData: [
      { name: 'data_source', data: rows.map((r) => r.data_source) },
      { name: 'prompt', data: rows.map((r) => r.prompt.map((m) => ({ content: m.content, role: m.role }))) },
      { name: 'ability', data: rows.map((r) => r.ability) },
      { name: 'reward_model', data: rows.map((r) => ({ ground_truth: r.reward_model.ground_truth, style: r.reward_model.style })) },
      { name: 'extra_info', data: rows.map((r) => r.extra_info) },
    ],
  });
}

export function writeVerlParquet(path: string, records: readonly DocQARecord[]): void {
  writeFileAtomic(path, new Uint8Array(verlParquetBuffer(records)));
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function jsonField(v: unknown, loc: RecordLocation, field: string): unknown {
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    throw new RecordError(loc, field, 'not valid JSON');
  }
}

/** One verl row back to a record (throws RecordError naming the row and field). */
export function verlRowToRecord(row: Record<string, unknown>, loc: RecordLocation, fileStem: string): unknown {
  const ds = row['data_source'];
  if (typeof ds !== 'string' || ds === '') throw new RecordError(loc, 'data_source', ds === undefined || ds === null ? 'missing required field' : 'expected a non-empty string');
  const prompt = row['prompt'];
  if (!Array.isArray(prompt) || prompt.length === 0) throw new RecordError(loc, 'prompt', 'expected a non-empty list of {role, content} messages');
  const users = prompt.filter((m) => isObj(m) && m['role'] === 'user');
  const last = users[users.length - 1];
  if (!isObj(last) || typeof last['content'] !== 'string') throw new RecordError(loc, 'prompt', 'no user message with a string content');
  // Without QwenLong markers the prompt is kept whole (metadata.rendered_prompt), so any verl file loads.
  const parsed = parsePrompt(last['content']) ?? { document: last['content'], question: '', rendered: true };
  const rm = row['reward_model'];
  if (!isObj(rm)) throw new RecordError(loc, 'reward_model', 'missing required field');
  const gt = rm['ground_truth'];
  const extra = isObj(row['extra_info']) ? row['extra_info'] : {};
  const index = extra['index'];
  const rec: Record<string, unknown> = {
    id: typeof extra['id'] === 'string' ? extra['id'] : `${fileStem}-${index !== undefined && index !== null ? String(index) : loc.row}`,
    data_source: ds,
    document: parsed.document,
    question: parsed.question,
  };
  if (typeof extra['task'] === 'string') rec['task'] = extra['task'];
  if (typeof extra['split'] === 'string') rec['split'] = extra['split'];
  if (typeof gt === 'string') rec['answer'] = gt;
  else if (Array.isArray(gt)) rec['answers'] = gt.map(String);
  else if (typeof gt === 'number' || typeof gt === 'bigint') rec['answer'] = String(gt);
  else throw new RecordError(loc, 'reward_model.ground_truth', gt === undefined || gt === null ? 'missing required field' : `expected a string, got ${typeof gt}`);
  const answers = jsonField(extra['answers'], loc, 'extra_info.answers');
  if (answers !== undefined) rec['answers'] = answers;
  if (typeof extra['gold_fields'] === 'string' && !extra['gold_fields'].split(',').includes('answer') && answers !== undefined) delete rec['answer'];
  const choices = jsonField(extra['choices'], loc, 'extra_info.choices');
  if (choices !== undefined) {
    rec['choices'] = choices;
    // The prompt shows the choices after the question; take them back off.
    if (Array.isArray(choices)) {
      const shown = questionWithChoices('', choices as string[]);
      if (parsed.question.endsWith(shown.trimStart())) rec['question'] = parsed.question.slice(0, parsed.question.length - shown.trimStart().length).trimEnd();
    }
  }
  if (typeof extra['trace'] === 'string') rec['trace'] = extra['trace'];
  const metadata = jsonField(extra['metadata'], loc, 'extra_info.metadata');
  if (metadata !== undefined) rec['metadata'] = metadata;
  else if (typeof extra['id'] !== 'string') {
    const m: Record<string, unknown> = {};
    if (typeof row['ability'] === 'string') m['ability'] = row['ability'];
    if ('rendered' in parsed) m['rendered_prompt'] = true;
    if (Object.keys(m).length > 0) rec['metadata'] = m;
  }
  return rec;
}

/** Reads a verl Parquet file as records. A file that is not Parquet is a UserError. */
export async function readVerlParquet(path: string, opts: ReadOptions = {}): Promise<DocQARecord[]> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new UserError(`cannot read ${path}: ${(err as Error).message}`);
  }
  if (bytes.length < 12 || bytes.toString('latin1', 0, 4) !== 'PAR1' || bytes.toString('latin1', bytes.length - 4) !== 'PAR1') {
    throw new UserError(`${path} is not a Parquet file (no PAR1 magic); give a .parquet file or a .jsonl file`);
  }
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let rows: Record<string, unknown>[];
  try {
    rows = (await parquetReadObjects({ file, compressors })) as Record<string, unknown>[];
  } catch (err) {
    throw new UserError(`${path}: cannot read Parquet: ${(err as Error).message}`);
  }
  const stem = basename(path).replace(/\.parquet$/i, '');
  const out: DocQARecord[] = [];
  rows.forEach((row, i) => {
    const loc = { file: path, row: i };
    let value: unknown;
    try {
      value = verlRowToRecord(row, loc, stem);
    } catch (err) {
      if (opts.skipInvalid && err instanceof RecordError) {
        opts.skipped?.add(err);
        return;
      }
      throw err;
    }
    const r = acceptRecord(value, loc, opts);
    if (r) out.push(r);
  });
  return out;
}
