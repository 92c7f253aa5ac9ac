/**
 * `longrl data`: data tools.
 * - `data synth --tasks a,b --lengths 512,2048 --count N --seed S --tokenizer DIR --out F
 *   [--split-field | --test-out F2] [--test-count M] [--facts K --hops H ...]`:
 *   synthetic DocQA records at exact token budgets (contracts §5).
 * - `data convert --in F --out G [--format longbench] [--skip-invalid]`: JSONL ↔ verl Parquet
 *   (and LongBench → either).
 * - `data lengths --data F --tokenizer DIR [--stages 512,2048]`: rendered-prompt token
 *   lengths, cached in `F.lengths.json`.
 * - `data filter --data F --difficulties D --out G [--min-reward a --max-reward b]`: keep
 *   records by mined mean reward (drop the always-solved, or the never-solved).
 * - `data corpus --out F.jsonl`: the synthetic vocabulary corpus (one JSON string a line)
 *   for training a tokenizer.
 */
import type { Command } from 'commander';
import { UserError } from '../../util/errors.ts';
import { writeFileAtomic } from '../../util/fsx.ts';
import { loadTokenizer } from '../../tokenizer/load.ts';
import { readRecords, writeRecords, type RecordFormat } from '../../data/io/index.ts';
import { SkipCounter, type DocQARecord } from '../../data/record.ts';
import { whitespaceCounter, type TokenCounter } from '../../data/tokens.ts';
import { recordLengths, tokenizerFingerprint, sidecarPath } from '../../data/lengths.ts';
import { synthDataset } from '../../data/synth/generate.ts';
import { synthTokenizerCorpus } from '../../data/synth/corpus.ts';
import { isTaskName, TASKS, type TaskName, type TaskParams } from '../../data/synth/tasks.ts';
import { readDifficultyRows } from '../../data/mine.ts';

function intList(s: string, flag: string): number[] {
  const out = s.split(',').map((x) => x.trim()).filter((x) => x !== '').map(Number);
  if (out.length === 0 || out.some((n) => !Number.isInteger(n) || n <= 0)) throw new UserError(`${flag} must be a comma-separated list of positive integers, got "${s}"`);
  return out;
}

function int(s: string | undefined, flag: string, min = 0): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < min) throw new UserError(`${flag} must be an integer ≥ ${min}, got "${s}"`);
  return n;
}

/** The tokenizer as a TokenCounter (chat template with the generation prompt), or whitespace words. */
export function counterFor(dir: string | undefined): { counter: TokenCounter; fingerprint: string } {
  if (dir === undefined) return { counter: whitespaceCounter, fingerprint: 'whitespace' };
  const tok = loadTokenizer(dir);
  let hasTemplate = true;
  try {
    tok.applyChatTemplate([{ role: 'user', content: 'x' }], { addGenerationPrompt: true });
  } catch {
    hasTemplate = false;
  }
  const counter: TokenCounter = { encode: (t) => tok.encode(t) };
  if (hasTemplate) counter.renderChat = (m) => tok.applyChatTemplate(m, { addGenerationPrompt: true });
  return { counter, fingerprint: tokenizerFingerprint(dir) };
}

function reportSkipped(skipped: SkipCounter): void {
  if (skipped.count > 0) {
    process.stderr.write(`skipped ${skipped.count} invalid record(s); first: ${skipped.examples.join(' | ')}\n`);
  }
}

interface SynthOpts {
  tasks: string;
  lengths: string;
  count: string;
  seed: string;
  tokenizer?: string;
  out: string;
  splitField?: boolean;
  testOut?: string;
  testCount?: string;
  pretrainOut?: string;
  pretrainCount?: string;
  facts?: string;
  hops?: string;
  nearMiss?: string;
  distractors?: string;
  values?: string;
  queries?: string;
  choices?: string;
  depth?: string;
  factStyle?: string;
  traceStyle?: string;
}

function synthAction(o: SynthOpts): void {
  const tasks = o.tasks.split(',').map((t) => t.trim()).filter(Boolean);
  for (const t of tasks) if (!isTaskName(t)) throw new UserError(`--tasks: unknown task "${t}" (tasks: ${TASKS.join(', ')})`);
  if (o.splitField && o.testOut) throw new UserError('give --split-field or --test-out, not both');
  const count = int(o.count, '--count', 1) as number;
  const withTest = Boolean(o.splitField || o.testOut);
  const testCount = int(o.testCount, '--test-count', 0) ?? (withTest ? Math.max(1, Math.ceil(count / 4)) : 0);
  if (testCount > 0 && !withTest) throw new UserError('--test-count needs --split-field or --test-out');
  const params: Partial<TaskParams> = {};
  const set = <K extends keyof TaskParams>(k: K, v: TaskParams[K] | undefined) => {
    if (v !== undefined) params[k] = v;
  };
  if (o.facts !== undefined) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(o.facts.trim());
    if (!m || Number(m[1]) < 1 || (m[2] !== undefined && Number(m[2]) < Number(m[1]))) {
      throw new UserError(`--facts must be a count ≥ 1 or a range like 2-6, got "${o.facts}"`);
    }
    params.facts = Number(m[1]);
    if (m[2] !== undefined) params.factsMax = Number(m[2]);
  }
  set('hops', int(o.hops, '--hops', 1));
  set('nearMiss', int(o.nearMiss, '--near-miss', 0));
  set('distractors', int(o.distractors, '--distractors', 0));
  set('values', int(o.values, '--values', 1));
  set('queries', int(o.queries, '--queries', 2));
  set('choices', int(o.choices, '--choices', 2));
  if (o.depth !== undefined) {
    const d = Number(o.depth);
    if (!(d >= 0 && d <= 1)) throw new UserError(`--depth must be in [0, 1], got "${o.depth}"`);
    params.depth = d;
  }
  if (o.factStyle !== undefined) {
    if (o.factStyle !== 'compact' && o.factStyle !== 'sentence') throw new UserError('--fact-style must be compact or sentence');
    params.factStyle = o.factStyle;
  }
  if (o.traceStyle !== undefined) {
    if (!['copy', 'verbose', 'empty'].includes(o.traceStyle)) throw new UserError('--trace-style must be copy, verbose or empty');
    params.traceStyle = o.traceStyle as TaskParams['traceStyle'];
  }
  const { counter } = counterFor(o.tokenizer);
  const lengths = intList(o.lengths, '--lengths');
  const pretrainCount = int(o.pretrainCount, '--pretrain-count', 0) ?? (o.pretrainOut ? count : 0);
  if (pretrainCount > 0 && !o.pretrainOut) throw new UserError('--pretrain-count needs --pretrain-out');
  const total = (count + testCount + pretrainCount) * lengths.length;
  let made = 0;
  const tty = process.stderr.isTTY;
  const { train, test, pretrain } = synthDataset(
    { tasks: tasks as TaskName[], lengths, count, testCount, pretrainCount, seed: int(o.seed, '--seed', 0) as number, params },
    counter,
    () => {
      made++;
      if (tty && (made % 10 === 0 || made === total)) process.stderr.write(`\rsynth ${made}/${total}`);
    },
  );
  if (tty) process.stderr.write('\n');
  if (o.testOut) {
    writeRecords(o.out, train);
    writeRecords(o.testOut, test);
  } else {
    writeRecords(o.out, [...train, ...test]);
  }
  if (o.pretrainOut) writeRecords(o.pretrainOut, pretrain);
  const fill = [...train, ...test].map((r) => (r.metadata?.['prompt_tokens'] as number) / (r.metadata?.['budget'] as number));
  const summary = {
    train: train.length,
    test: test.length,
    out: o.out,
    ...(o.testOut ? { test_out: o.testOut } : {}),
    ...(o.pretrainOut ? { pretrain: pretrain.length, pretrain_out: o.pretrainOut } : {}),
    tokenizer: o.tokenizer ?? 'whitespace',
    min_fill: fill.length ? Math.round(Math.min(...fill) * 10000) / 10000 : null,
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

export function register(program: Command): void {
  const data = program.command('data').description('data tools: synthesise long-context tasks, convert formats');

  data
    .command('synth')
    .description('synthesise DocQA records at exact token budgets (train/test with disjoint entities)')
    .requiredOption('--tasks <list>', `comma-separated tasks: ${TASKS.join(', ')}`)
    .requiredOption('--lengths <list>', 'token budgets of the rendered prompt, e.g. 512,2048,8192')
    .requiredOption('--count <n>', 'train records per length (tasks take turns)')
    .option('--seed <n>', 'random seed', '1')
    .option('--tokenizer <dir>', 'model folder with tokenizer.json (and chat template); default: whitespace words')
    .requiredOption('--out <file>', 'output .jsonl or .parquet (train, or both splits with --split-field)')
    .option('--split-field', 'write train and test records into --out, told apart by their "split" field')
    .option('--test-out <file>', 'write the test split to this file')
    .option('--test-count <n>', 'test records per length (default: count/4 with --split-field or --test-out)')
    .option('--pretrain-out <file>', 'also write pretraining documents (entities of both splits, no shared records) to this file')
    .option('--pretrain-count <n>', 'pretraining records per length (default: --count with --pretrain-out)')
    .option('--facts <n|a-b>', 'facts per document, the queried one included, or a range drawn per record (kv, choice, multivalue, multiquery, ledger)')
    .option('--hops <n>', 'links per chain (chain, vt)')
    .option('--near-miss <n>', 'near-miss distractors (keys one letter away from the queried key)')
    .option('--distractors <n>', 'distractor chains (chain, vt)')
    .option('--values <n>', 'values of the one key (multivalue)')
    .option('--queries <n>', 'keys asked about (multiquery)')
    .option('--choices <n>', 'options per multiple-choice question')
    .option('--depth <x>', 'relative position of the evidence in [0, 1] (default: uniform at random)')
    .option('--fact-style <s>', 'compact ("bami dor.") or sentence ("The value of bami is dor.")')
    .option('--trace-style <s>', 'copy (facts key then value), verbose, or empty (<think></think> + answer)')
    .action((o: SynthOpts) => synthAction(o));

  data
    .command('convert')
    .description('convert records between .jsonl and verl .parquet (or read LongBench layouts)')
    .requiredOption('--in <file>', 'input .jsonl, .parquet, or LongBench .json/.jsonl with --format longbench')
    .requiredOption('--out <file>', 'output .jsonl or .parquet')
    .option('--format <f>', 'input format: jsonl, parquet or longbench (default: by extension)')
    .option('--skip-invalid', 'skip invalid records and count them instead of stopping')
    .action(async (o: { in: string; out: string; format?: string; skipInvalid?: boolean }) => {
      if (o.format !== undefined && !['jsonl', 'parquet', 'longbench'].includes(o.format)) throw new UserError('--format must be jsonl, parquet or longbench');
      const skipped = new SkipCounter();
      const records = await readRecords(o.in, { skipInvalid: o.skipInvalid ?? false, skipped, ...(o.format ? { format: o.format as RecordFormat } : {}) });
      writeRecords(o.out, records);
      reportSkipped(skipped);
      process.stdout.write(`${JSON.stringify({ in: o.in, out: o.out, records: records.length, skipped: skipped.count })}\n`);
    });

  data
    .command('lengths')
    .description('rendered-prompt token lengths, cached beside the data in F.lengths.json')
    .requiredOption('--data <file>', 'records (.jsonl or .parquet)')
    .option('--tokenizer <dir>', 'model folder with tokenizer.json; default: whitespace words')
    .option('--stages <list>', 'stage bounds L1,L2,... to count records per (L_{k-1}, L_k]')
    .option('--skip-invalid', 'skip invalid records and count them instead of stopping')
    .action(async (o: { data: string; tokenizer?: string; stages?: string; skipInvalid?: boolean }) => {
      const skipped = new SkipCounter();
      const records: DocQARecord[] = await readRecords(o.data, { skipInvalid: o.skipInvalid ?? false, skipped });
      reportSkipped(skipped);
      const { counter, fingerprint } = counterFor(o.tokenizer);
      const res = recordLengths(records, counter, { dataPath: o.data, tokenizer: fingerprint });
      const ls = [...res.lengths.values()];
      const summary: Record<string, unknown> = {
        records: ls.length,
        computed: res.computed,
        cached: res.cached,
        min: ls.length ? Math.min(...ls) : null,
        mean: ls.length ? Math.round((ls.reduce((a, b) => a + b, 0) / ls.length) * 100) / 100 : null,
        max: ls.length ? Math.max(...ls) : null,
        sidecar: sidecarPath(o.data),
      };
      if (o.stages) {
        const bounds = intList(o.stages, '--stages');
        const counts = bounds.map(() => 0);
        let over = 0;
        for (const n of ls) {
          const k = bounds.findIndex((b) => n <= b);
          if (k < 0) over++;
          else counts[k] = (counts[k] as number) + 1;
        }
        summary['stages'] = bounds.map((b, k) => ({ range: `(${k === 0 ? 0 : bounds[k - 1]}, ${b}]`, records: counts[k] }));
        summary['over_last'] = over;
      }
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    });

  data
    .command('filter')
    .description('keep records by mined mean reward (difficulty filtering, QwenLong-L1.5 §4.1)')
    .requiredOption('--data <file>', 'records (.jsonl or .parquet)')
    .requiredOption('--difficulties <file>', 'rows of longrl mine ({id, mean_reward, ...})')
    .requiredOption('--out <file>', 'output .jsonl or .parquet')
    .option('--min-reward <x>', 'keep mean reward ≥ x', '0')
    .option('--max-reward <x>', 'keep mean reward ≤ x', '1')
    .option('--keep-unmined', 'keep records that have no difficulty row (default: drop them)')
    .option('--skip-invalid', 'skip invalid records and count them instead of stopping')
    .action(async (o: { data: string; difficulties: string; out: string; minReward: string; maxReward: string; keepUnmined?: boolean; skipInvalid?: boolean }) => {
      const lo = Number(o.minReward);
      const hi = Number(o.maxReward);
      if (!(lo >= 0 && hi <= 1 && lo <= hi)) throw new UserError(`--min-reward/--max-reward must satisfy 0 ≤ min ≤ max ≤ 1, got ${o.minReward}, ${o.maxReward}`);
      const skipped = new SkipCounter();
      const records = await readRecords(o.data, { skipInvalid: o.skipInvalid ?? false, skipped });
      reportSkipped(skipped);
      const mean = new Map(readDifficultyRows(o.difficulties).map((r) => [r.id, r.mean_reward]));
      const kept = records.filter((r) => {
        const m = mean.get(r.id);
        return m === undefined ? Boolean(o.keepUnmined) : m >= lo && m <= hi;
      });
      writeRecords(o.out, kept);
      const unmined = records.filter((r) => !mean.has(r.id)).length;
      process.stdout.write(`${JSON.stringify({ records: records.length, kept: kept.length, unmined, out: o.out })}\n`);
    });

  data
    .command('corpus')
    .description('write the synthetic-vocabulary corpus (one JSON string per line) for tokenizer training')
    .requiredOption('--out <file>', 'output .jsonl')
    .action((o: { out: string }) => {
      const texts = synthTokenizerCorpus();
      writeFileAtomic(o.out, texts.map((t) => `${JSON.stringify(t)}\n`).join(''));
      process.stdout.write(`${JSON.stringify({ out: o.out, texts: texts.length })}\n`);
    });
}
