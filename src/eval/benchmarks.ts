/**
 * The benchmarks `longrl eval` knows, and where their data file is found: `--data` is
 * a file (one benchmark), `NAME=FILE` pairs, or a folder searched for each benchmark's
 * usual file names (LongBench `<task>.jsonl`, MiniLongBench `MiniLongBench_<task>.json`,
 * `longbench_v2_questions.jsonl`, `frames_824.jsonl`, ...).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.ts';
import { loadDocMath, loadFrames, loadLongBench, loadSynth, loadWiki, type LoadResult } from './items.ts';

export const LONGBENCH_QA_TASKS = ['2wikimqa', 'hotpotqa', 'musique', 'narrativeqa', 'qasper'] as const;

export interface BenchDef {
  name: string;
  description: string;
  /** File names tried inside a `--data` folder. */
  candidates: string[];
  load(path: string, opts: { wiki?: string }): Promise<LoadResult> | LoadResult;
}

const lbTask = (task: string): BenchDef => ({
  name: task,
  description: `LongBench v1 ${task} (QwenLong-L1 prompt and scorer)`,
  candidates: [`${task}.jsonl`, `${task}.json`, `data/${task}.jsonl`, `MiniLongBench_${task}.json`, `minilongbench_example/MiniLongBench_${task}.json`],
  load: (p) => loadLongBench(p, false),
});

export const BENCHMARKS: Readonly<Record<string, BenchDef>> = {
  docmath: {
    name: 'docmath', description: 'DocMath-Eval (question, paragraphs[], ground_truth)',
    candidates: ['docmath.jsonl', 'docmath.json', 'docmath_all_test_200.jsonl', 'docmath/docmath.jsonl'],
    load: (p) => loadDocMath(p),
  },
  frames: {
    name: 'frames', description: 'FRAMES (closed-book unless the rows carry wiki_items or --wiki is given)',
    candidates: ['frames.jsonl', 'frames_824.jsonl', 'frames/frames_824.jsonl', 'frames.json'],
    load: (p, o) => loadFrames(p, o.wiki ? loadWiki(o.wiki) : undefined),
  },
  ...Object.fromEntries(LONGBENCH_QA_TASKS.map((t) => [t, lbTask(t)])),
  'longbench-v2': {
    name: 'longbench-v2', description: 'LongBench v2 multiple choice (its own prompt; rows without context skipped)',
    candidates: ['longbench_v2_questions.jsonl', 'longbench_v2.jsonl', 'data.json', 'longbench_v2/longbench_v2_questions.jsonl'],
    load: (p) => loadLongBench(p, true),
  },
  synth: {
    name: 'synth', description: 'longrl synthetic DocQA records (longrl data synth; the test split when the file has both)',
    candidates: ['synth-test.jsonl', 'test.jsonl'],
    load: (p) => loadSynth(p),
  },
};

/** Expands `--bench` (commas; `longbench` = the five LongBench v1 QA tasks). */
export function parseBenchList(spec: string): string[] {
  const out: string[] = [];
  for (const raw of spec.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s.length > 0)) {
    const names = raw === 'longbench' ? [...LONGBENCH_QA_TASKS] : raw === 'lbv2' || raw === 'longbench_v2' ? ['longbench-v2'] : [raw];
    for (const n of names) {
      if (!BENCHMARKS[n]) throw new UserError(`--bench: unknown benchmark "${raw}" (known: ${Object.keys(BENCHMARKS).join(', ')}, longbench)`);
      if (!out.includes(n)) out.push(n);
    }
  }
  if (out.length === 0) throw new UserError('--bench: name at least one benchmark');
  return out;
}

/** The data file of each benchmark from the `--data` values. */
export function resolveData(benches: readonly string[], data: readonly string[]): Record<string, string> {
  const pairs: Record<string, string> = {};
  const plain: string[] = [];
  for (const d of data) {
    const m = /^([a-z0-9-]+)=(.+)$/i.exec(d);
    if (m && BENCHMARKS[m[1]!.toLowerCase()]) pairs[m[1]!.toLowerCase()] = m[2]!;
    else plain.push(d);
  }
  const out: Record<string, string> = {};
  for (const b of benches) {
    if (pairs[b]) { out[b] = pairs[b]!; continue; }
    let found: string | undefined;
    for (const p of plain) {
      if (!existsSync(p)) throw new UserError(`--data ${p}: no such file or folder`);
      if (statSync(p).isDirectory()) {
        found = BENCHMARKS[b]!.candidates.map((c) => join(p, c)).find((c) => existsSync(c));
      } else if (benches.length === 1 || plain.length === 1 && benches.length === 1) found = p;
      else throw new UserError(`--data ${p}: with several benchmarks, give a folder or NAME=FILE pairs`);
      if (found) break;
    }
    if (!found) throw new UserError(`benchmark ${b}: no data file; pass --data ${b}=FILE or a folder holding one of ${BENCHMARKS[b]!.candidates.join(', ')}`);
    out[b] = found;
  }
  for (const p of Object.keys(pairs)) if (!benches.includes(p)) throw new UserError(`--data ${p}=...: benchmark ${p} is not in --bench`);
  return out;
}
