/**
 * The one DocQA record type used everywhere (data, synth, distill, SFT, eval):
 * contracts.md §5. `answer` is one gold string, `answers` a list where any one is
 * correct; a record has at least one of them. `trace` is the reasoning completion for
 * warm-up SFT in the QwenLong format (`<think>\n...\n</think>\n\nTherefore, the answer is X.`).
 */
import { z } from 'zod';
import { UserError } from '../util/errors.ts';

/** Chat message as chat templates take it. */
export interface PromptMessage {
  role: string;
  content: string;
}

export interface DocQARecord {
  id: string;
  /** Reward routing key (the reward dispatches on substrings `docqa`, `docmath`, `choice`, ...). */
  data_source: string;
  /** Task type, used for task-balanced batches. */
  task?: string;
  split?: string;
  document: string;
  question: string;
  answer?: string;
  answers?: string[];
  /** Multiple-choice options, in letter order (A, B, C, D). */
  choices?: string[];
  trace?: string;
  metadata?: Record<string, unknown>;
  /** Other keys (e.g. `teacher`, `scores` from distillation) pass through. */
  [extra: string]: unknown;
}

/**
 * zod schema of a record. Extra top-level keys are kept (distillation adds `teacher`
 * and `scores`, contracts §5); the named fields must have the right types.
 */
export const DocQARecordSchema = z
  .looseObject({
    id: z.string().min(1),
    data_source: z.string().min(1),
    task: z.string().optional(),
    split: z.string().optional(),
    document: z.string().refine((s) => s.trim().length > 0, { message: 'empty document' }),
    question: z.string(),
    answer: z.string().optional(),
    answers: z.array(z.string()).min(1).optional(),
    choices: z.array(z.string()).optional(),
    trace: z.string().optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((r) => r.answer !== undefined || r.answers !== undefined, {
    message: 'needs "answer" (a string) or "answers" (a list of strings)',
    path: ['answer'],
  });

/** Where a record came from, for error messages: file plus 1-based line or 0-based row. */
export interface RecordLocation {
  file: string;
  line?: number;
  row?: number;
}

export function formatLocation(loc: RecordLocation): string {
  if (loc.line !== undefined) return `${loc.file}:${loc.line}`;
  if (loc.row !== undefined) return `${loc.file} row ${loc.row}`;
  return loc.file;
}

/** Thrown (as a UserError) for one invalid record; carries the location and field. */
export class RecordError extends UserError {
  constructor(
    readonly location: RecordLocation,
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${formatLocation(location)}: field "${field}": ${problem}`);
  }
}

/**
 * Validates one parsed value as a DocQA record; throws a RecordError naming the
 * location and the first bad field.
 */
export function validateRecord(value: unknown, loc: RecordLocation): DocQARecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RecordError(loc, '(record)', `expected a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value}`);
  }
  const res = DocQARecordSchema.safeParse(value);
  if (res.success) return res.data as DocQARecord;
  const issue = res.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '(record)';
  let problem = issue?.message ?? 'invalid record';
  if (issue?.code === 'invalid_type' && (value as Record<string, unknown>)[String(issue.path[0])] === undefined) {
    problem = 'missing required field';
  }
  throw new RecordError(loc, field, problem);
}

/** The gold answers of a record as a list (answer first, then answers). */
export function goldAnswers(r: DocQARecord): string[] {
  const out: string[] = [];
  if (r.answer !== undefined) out.push(r.answer);
  for (const a of r.answers ?? []) if (!out.includes(a)) out.push(a);
  return out;
}

/** Counts records skipped by `--skip-invalid`, with the first few reasons. */
export class SkipCounter {
  count = 0;
  readonly examples: string[] = [];

  add(err: RecordError): void {
    this.count++;
    if (this.examples.length < 5) this.examples.push(err.message);
  }
}

/** Options shared by the readers. */
export interface ReadOptions {
  /** Skip invalid records (counted in `skipped`) instead of throwing. */
  skipInvalid?: boolean;
  skipped?: SkipCounter;
}

/** Validates or, with skipInvalid, counts and drops. Returns null when dropped. */
export function acceptRecord(value: unknown, loc: RecordLocation, opts: ReadOptions): DocQARecord | null {
  try {
    return validateRecord(value, loc);
  } catch (err) {
    if (opts.skipInvalid && err instanceof RecordError) {
      opts.skipped?.add(err);
      return null;
    }
    throw err;
  }
}
