/**
 * DocQA records as JSON Lines: one record per line. Reading names the file and the
 * 1-based line of a malformed line or an invalid record; with `skipInvalid` such
 * lines are counted and skipped. Writing is atomic (temporary file + rename).
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../../util/errors.ts';
import { writeFileAtomic } from '../../util/fsx.ts';
import { acceptRecord, RecordError, type DocQARecord, type ReadOptions } from '../record.ts';

export function readJsonlRecords(path: string, opts: ReadOptions = {}): DocQARecord[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${path}: ${(err as Error).message}`);
  }
  const out: DocQARecord[] = [];
  // A .json file holding one array of records is read too (rows named by index).
  if (/\.json$/i.test(path) && text.trimStart().startsWith('[')) {
    let arr: unknown;
    try {
      arr = JSON.parse(text);
    } catch (err) {
      throw new UserError(`${path} is not valid JSON: ${(err as Error).message}`);
    }
    (arr as unknown[]).forEach((v, i) => {
      const r = acceptRecord(v, { file: path, row: i }, opts);
      if (r) out.push(r);
    });
    return out;
  }
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).trim();
    if (raw === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      const e = new RecordError({ file: path, line: i + 1 }, '(line)', `malformed JSON: ${(err as Error).message}`);
      if (opts.skipInvalid) {
        opts.skipped?.add(e);
        continue;
      }
      throw e;
    }
    const r = acceptRecord(value, { file: path, line: i + 1 }, opts);
    if (r) out.push(r);
  }
  return out;
}

/** Serialises records as JSONL text (stable key order as given). */
export function recordsToJsonl(records: readonly DocQARecord[]): string {
  return records.map((r) => `${JSON.stringify(r)}\n`).join('');
}

export function writeJsonlRecords(path: string, records: readonly DocQARecord[]): void {
  writeFileAtomic(path, recordsToJsonl(records));
}
