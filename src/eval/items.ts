/**
 * Evaluation items: one benchmark question with everything the prompt and the scorers
 * need, read from each benchmark's public file layout (qwenlong-recipe.md §14.1,
 * scorers.md §3–§6):
 * - DocMath-Eval: JSON list or JSONL of `{question_id?, question, paragraphs[], ground_truth}`;
 *   document = `paragraphs.join('\n')`.
 * - FRAMES: rows `{Prompt|problem|question, Answer|answer, wiki_items?[{title,text}], wiki_links?}`;
 *   document = `title + '\n' + text` per article joined by `\n`, or articles looked up by link
 *   in a `--wiki` JSONL `{url|title, text}`; closed-book (no document) otherwise.
 * - LongBench v1: its `{context, input, answers}` JSONL and the MiniLongBench layout
 *   (already-rendered prompts, src/data/io/longbench.ts).
 * - LongBench v2: its question rows (`choice_A..D`, `answer`, inline `context` or a
 *   `context_file`); rows whose context is not available are skipped and counted.
 * - synthetic suites: DocQA records (`longrl data synth`), scored by the training rule.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../util/errors.ts';
import { readLongBench } from '../data/io/longbench.ts';
import { readRecords } from '../data/io/index.ts';
import { goldAnswers, SkipCounter, type DocQARecord } from '../data/record.ts';
import { parsePyLiteral } from '../data/io/pyliteral.ts';

/** How an item is prompted and scored. */
export type ItemKind = 'qa' | 'docmath' | 'choice' | 'synth' | 'rendered';

export interface EvalItem {
  id: string;
  kind: ItemKind;
  /** LongBench task, v2 domain or synthetic task; groups the detail table. */
  task: string;
  /** Document text ('' for closed-book items and rendered prompts). */
  document: string;
  /** Raw question (the judge's `problem`). */
  question: string;
  /** Gold answers; the QwenLong scorer compares with the first only. */
  answers: string[];
  /** DocMath ground truth as the file has it (number or string). */
  docmathGold?: number | string;
  /** Multiple choice options (A..D) and, for `choice` items, the gold letter in `answers[0]`. */
  choices?: string[];
  /** A whole rendered prompt (MiniLongBench), used as the user message as is. */
  renderedPrompt?: string;
  /** Reward routing key for synthetic items. */
  dataSource?: string;
  /** LongBench classification label set. */
  allClasses?: string[];
  /** Extra fields for grouping (v2 difficulty/length, Frames reasoning type). */
  groups?: Record<string, string>;
  closedBook?: boolean;
}

export interface LoadResult {
  items: EvalItem[];
  /** Rows that could not be used (e.g. v2 questions without their context). */
  skipped: number;
  skippedExamples: string[];
}

function readRows(path: string): { rows: Record<string, unknown>[]; where: (i: number) => string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read ${path}: ${(e as Error).message}`);
  }
  const t = text.trimStart();
  if (t.startsWith('[')) {
    let v: unknown;
    try { v = JSON.parse(text); } catch (e) { throw new UserError(`${path}: not valid JSON: ${(e as Error).message}`); }
    return { rows: (v as unknown[]).map((r, i) => asObj(r, `${path} row ${i}`)), where: (i) => `${path} row ${i}` };
  }
  const rows: Record<string, unknown>[] = [];
  const lines: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try { v = JSON.parse(line); } catch (e) { throw new UserError(`${path}:${i + 1}: malformed JSON: ${(e as Error).message}`); }
    rows.push(asObj(v, `${path}:${i + 1}`));
    lines.push(i + 1);
  });
  return { rows, where: (i) => `${path}:${lines[i]}` };
}

function asObj(v: unknown, where: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new UserError(`${where}: expected a JSON object`);
  return v as Record<string, unknown>;
}

function str(row: Record<string, unknown>, keys: string[], where: string): string {
  for (const k of keys) if (typeof row[k] === 'string') return row[k] as string;
  throw new UserError(`${where}: missing field ${keys.map((k) => `"${k}"`).join(' or ')} (a string)`);
}

/** DocMath-Eval rows. */
export function loadDocMath(path: string): LoadResult {
  const { rows, where } = readRows(path);
  const items = rows.map((row, i): EvalItem => {
    const w = where(i);
    const question = str(row, ['question'], w);
    const paras = row['paragraphs'];
    if (!Array.isArray(paras) || !paras.every((p) => typeof p === 'string')) throw new UserError(`${w}: field "paragraphs" must be a list of strings`);
    const gt = row['ground_truth'];
    if (typeof gt !== 'number' && typeof gt !== 'string') throw new UserError(`${w}: field "ground_truth" must be a number or a string`);
    const id = typeof row['question_id'] === 'string' ? row['question_id'] : typeof row['id'] === 'string' ? row['id'] : `docmath-${i}`;
    return { id, kind: 'docmath', task: typeof row['source'] === 'string' ? (row['source'] as string) : 'docmath', document: (paras as string[]).join('\n'), question, answers: [String(gt)], docmathGold: gt };
  });
  return { items, skipped: 0, skippedExamples: [] };
}

/** A `--wiki` file: JSONL `{url|title, text}` rows, looked up by URL and by title. */
export function loadWiki(path: string): Map<string, string> {
  const { rows, where } = readRows(path);
  const out = new Map<string, string>();
  rows.forEach((row, i) => {
    const text = str(row, ['text'], where(i));
    const title = typeof row['title'] === 'string' ? (row['title'] as string) : null;
    const entry = title ? `${title}\n${text}` : text;
    if (typeof row['url'] === 'string') out.set(row['url'] as string, entry);
    if (title) out.set(title, entry);
  });
  return out;
}

function titleOfLink(url: string): string {
  const last = url.split('/').pop() ?? url;
  try { return decodeURIComponent(last).replaceAll('_', ' '); } catch { return last.replaceAll('_', ' '); }
}

/** FRAMES rows (QwenLong layout with `wiki_items`, or the public one with links only). */
export function loadFrames(path: string, wiki?: Map<string, string>): LoadResult {
  const { rows, where } = readRows(path);
  const items = rows.map((row, i): EvalItem => {
    const w = where(i);
    const question = str(row, ['Prompt', 'problem', 'question'], w).trim();
    const answer = str(row, ['Answer', 'answer'], w);
    const rawId = row['id'] ?? row['Unnamed: 0'] ?? row['index'];
    const id = rawId === undefined || rawId === null ? `frames-${i}` : `frames-${String(rawId)}`;
    let document = '';
    const wi = row['wiki_items'];
    if (Array.isArray(wi) && wi.length > 0) {
      document = wi.map((x, j) => {
        const o = asObj(x, `${w} wiki_items[${j}]`);
        return `${str(o, ['title'], `${w} wiki_items[${j}]`)}\n${str(o, ['text'], `${w} wiki_items[${j}]`)}`;
      }).join('\n');
    } else if (wiki && wiki.size > 0) {
      let links: unknown = row['wiki_links'];
      if (typeof links === 'string') { try { links = parsePyLiteral(links); } catch { links = []; } }
      const texts = Array.isArray(links) ? (links as unknown[]).filter((l): l is string => typeof l === 'string').map((l) => wiki.get(l) ?? wiki.get(titleOfLink(l))) : [];
      if (texts.length > 0 && texts.every((t) => t !== undefined)) document = (texts as string[]).join('\n');
    }
    const groups: Record<string, string> = {};
    const rt = row['reasoning_types'] ?? row['reasoning_type'];
    if (typeof rt === 'string') groups['reasoning_type'] = rt;
    return { id, kind: 'qa', task: 'frames', document, question, answers: [answer], groups, closedBook: document === '' };
  });
  return { items, skipped: 0, skippedExamples: [] };
}

/** LongBench v1 (JSONL rows or MiniLongBench) or v2 (question rows) files. */
export function loadLongBench(path: string, expectV2: boolean): LoadResult {
  const skipped = new SkipCounter();
  const records = readLongBench(path, { skipInvalid: true, skipped });
  const items = records.map((r): EvalItem => {
    const isV2 = r.choices !== undefined && r.data_source === 'longbench_v2_choice';
    if (expectV2 !== isV2) throw new UserError(`${path}: record ${r.id} is ${isV2 ? 'a LongBench v2' : 'a LongBench v1'} row, but the benchmark expects ${expectV2 ? 'v2' : 'v1'} rows`);
    const meta = r.metadata ?? {};
    const allClasses = Array.isArray(meta['all_classes']) ? (meta['all_classes'] as string[]) : undefined;
    if (isV2) {
      const groups: Record<string, string> = {};
      for (const k of ['difficulty', 'length', 'domain']) if (typeof meta[k] === 'string') groups[k] = meta[k] as string;
      return { id: r.id, kind: 'choice', task: 'longbench_v2', document: r.document, question: r.question, answers: goldAnswers(r), choices: r.choices!, groups };
    }
    const task = r.task ?? 'longbench';
    if (meta['rendered_prompt'] === true) {
      return { id: r.id, kind: 'rendered', task, document: '', question: r.question, answers: goldAnswers(r), renderedPrompt: r.document, ...(allClasses ? { allClasses } : {}) };
    }
    return { id: r.id, kind: 'qa', task, document: r.document, question: r.question, answers: goldAnswers(r), ...(allClasses ? { allClasses } : {}) };
  });
  return { items, skipped: skipped.count, skippedExamples: skipped.examples };
}

/** DocQA records (`longrl data synth`, any JSONL/parquet/JSON record file). */
export async function loadSynth(path: string): Promise<LoadResult> {
  let records: DocQARecord[] = await readRecords(path);
  // A file holding both splits (`data synth --split-field`): evaluate the test split.
  if (records.some((r) => r.split === 'test')) records = records.filter((r) => r.split === 'test');
  const items = records.map((r): EvalItem => ({
    id: r.id, kind: 'synth', task: r.task ?? r.data_source, document: r.document, question: r.question, answers: goldAnswers(r),
    ...(r.choices ? { choices: r.choices } : {}), dataSource: r.data_source,
    ...(r.metadata?.['rendered_prompt'] === true ? { renderedPrompt: r.document } : {}),
  }));
  return { items, skipped: 0, skippedExamples: [] };
}
