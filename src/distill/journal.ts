/**
 * The progress journal of a distillation run, `<out>.progress.jsonl` next to the output:
 * a header line with the settings that decide the samples, then one line per finished
 * record (its kept SFT records and its counts), appended as records finish, in completion
 * order. A rerun reads it, skips those ids (the teacher is never asked again for them) and
 * writes the final output from it in input order. Lines are whole `write` calls, so a
 * SIGKILL leaves at most one torn last line, which is dropped on reload.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { readJsonl, JsonlWriter } from '../util/jsonl.ts';
import { UserError } from '../util/errors.ts';
import type { DocQARecord } from '../data/record.ts';
import type { Outcome } from './select.ts';

/** Settings a resumed run must share with the run that wrote the journal. */
export interface JournalHeader {
  version: 1;
  teacher: string;
  n: number;
  keep: number;
  max_output_tokens: number;
  temperature: number;
  top_p: number;
  seed: number;
  length_unit: string;
}

/** One finished record. */
export interface JournalEntry {
  id: string;
  data_source: string;
  /** The SFT records kept (0..keep). */
  kept: DocQARecord[];
  /** Replies by outcome. */
  outcomes: Record<Outcome, number>;
  /** Lengths of the kept traces. */
  trace_lengths: number[];
  prompt_tokens: number;
  completion_tokens: number;
  /** Teacher attempts spent. */
  attempts: number;
}

export function journalPath(out: string): string {
  return `${out}.progress.jsonl`;
}

const HEADER_KEYS: (keyof JournalHeader)[] = ['teacher', 'n', 'keep', 'max_output_tokens', 'temperature', 'top_p', 'seed', 'length_unit'];

/**
 * Reads a journal: entries by id (a later line for the same id wins). Throws a UserError
 * when its header disagrees with `header` (resuming with other settings would mix samples).
 */
export function readJournal(path: string, header: JournalHeader): Map<string, JournalEntry> {
  const out = new Map<string, JournalEntry>();
  if (!existsSync(path)) return out;
  const lines = readJsonl<Record<string, unknown>>(path, { allowTornTail: true });
  for (const { value, line } of lines) {
    if (value['header'] !== undefined) {
      const h = value['header'] as Partial<JournalHeader>;
      const diff = HEADER_KEYS.filter((k) => h[k] !== header[k]);
      if (diff.length > 0) {
        const what = diff.map((k) => `${k}: ${JSON.stringify(h[k])} there, ${JSON.stringify(header[k])} now`).join('; ');
        throw new UserError(`${path}:${line}: this progress file was written with other settings (${what}); rerun with the same settings to resume, or delete it (and the output) to start over`);
      }
      continue;
    }
    const e = value as unknown as JournalEntry;
    if (typeof e.id !== 'string' || !Array.isArray(e.kept)) {
      throw new UserError(`${path}:${line}: not a distill progress line (expected {"id", "kept": [...]}); was the file written by another tool?`);
    }
    out.set(e.id, e);
  }
  return out;
}

/** Opens the journal for appending (writing the header when the file is new or empty). */
export function openJournal(path: string, header: JournalHeader): JsonlWriter {
  mkdirSync(dirname(path), { recursive: true });
  const fresh = !existsSync(path) || readJsonl(path, { allowTornTail: true }).length === 0;
  const w = new JsonlWriter(path);
  if (fresh) w.write({ header });
  return w;
}
