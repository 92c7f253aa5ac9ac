/**
 * Reading and writing records by file type: `.parquet` (verl), `.jsonl` (longrl
 * records), LongBench layouts with `format: 'longbench'` (or a `MiniLongBench_*` name).
 */
import { UserError } from '../../util/errors.ts';
import { writeFileAtomic } from '../../util/fsx.ts';
import type { DocQARecord, ReadOptions } from '../record.ts';
import { readJsonlRecords, writeJsonlRecords } from './jsonl.ts';
import { readLongBench } from './longbench.ts';
import { readVerlParquet, writeVerlParquet } from './parquet.ts';

export type RecordFormat = 'jsonl' | 'parquet' | 'longbench';

export function formatOf(path: string): RecordFormat {
  if (/\.parquet$/i.test(path)) return 'parquet';
  if (/MiniLongBench_[^/]*\.json$/i.test(path)) return 'longbench';
  if (/\.jsonl?$/i.test(path)) return 'jsonl';
  throw new UserError(`${path}: unknown data format; use .jsonl, .parquet or --format longbench`);
}

export async function readRecords(path: string, opts: ReadOptions & { format?: RecordFormat } = {}): Promise<DocQARecord[]> {
  const format = opts.format ?? formatOf(path);
  if (format === 'parquet') return readVerlParquet(path, opts);
  if (format === 'longbench') return readLongBench(path, opts);
  return readJsonlRecords(path, opts);
}

export function writeRecords(path: string, records: readonly DocQARecord[]): void {
  const format = formatOf(path);
  if (format === 'parquet') writeVerlParquet(path, records);
  else if (/\.json$/i.test(path)) writeFileAtomic(path, `${JSON.stringify(records, null, 1)}\n`);
  else if (format === 'jsonl') writeJsonlRecords(path, records);
  else throw new UserError(`${path}: longrl writes .jsonl or .parquet`);
}

export { readJsonlRecords, writeJsonlRecords, recordsToJsonl } from './jsonl.ts';
export { readVerlParquet, writeVerlParquet, verlParquetBuffer, recordToVerlRow, verlRowToRecord, abilityOf, type VerlRow } from './parquet.ts';
export { readLongBench, readFrames, type FramesItem } from './longbench.ts';
export { parsePyLiteral } from './pyliteral.ts';
