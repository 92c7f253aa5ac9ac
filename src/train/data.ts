/**
 * The data of a recipe run: records for pretraining, SFT (with a held-out slice), RL and
 * evaluation, synthesised (`data.synth`) or read from files (`data.files`), and their
 * prompt token ids (QwenLong template → chat template → tokenizer, never re-tokenised).
 *
 * Synthetic records are pure functions of (seed, task, split, length, index)
 * (src/data/synth/generate.ts), so regenerating them on resume gives the same data; they
 * are also written to `<run>/data/*.jsonl` for inspection.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DocQARecord } from '../data/record.ts';
import { promptMessages } from '../data/prompt.ts';
import { readRecords, writeRecords } from '../data/io/index.ts';
import { synthRecord } from '../data/synth/generate.ts';
import { entityPools, DEFAULT_POOL_SIZES } from '../data/synth/vocab.ts';
import type { TaskName, TaskParams } from '../data/synth/tasks.ts';
import type { TokenCounter } from '../data/tokens.ts';
import type { TextTokenizer } from '../tokenizer/load.ts';
import { UserError } from '../util/errors.ts';
import { evalLengths, type Recipe } from './config.ts';

export interface RunData {
  pretrain: DocQARecord[];
  sft: DocQARecord[];
  sftHeldOut: DocQARecord[];
  rl: DocQARecord[];
  test: DocQARecord[];
}

/** The tokenizer as the synth generators count tokens: the rendered chat prompt. */
export function chatCounter(tok: TextTokenizer): TokenCounter {
  return {
    encode: (t) => tok.encode(t),
    renderChat: (m) => tok.applyChatTemplate(m, { addGenerationPrompt: true }),
  };
}

/** Prompt token ids of a record: one user turn, chat template with the generation prompt. */
export function promptIds(tok: TextTokenizer, r: DocQARecord): number[] {
  return tok.encode(tok.applyChatTemplate(promptMessages(r), { addGenerationPrompt: true }));
}

/** Token ids of an SFT response: the trace (QwenLong format) then the end-of-turn token. */
export function responseIds(tok: TextTokenizer, r: DocQARecord, eos: number): number[] {
  if (r.trace === undefined) throw new UserError(`SFT record ${r.id} has no "trace" (the reasoning completion to learn)`);
  return [...tok.encode(r.trace), eos];
}

function synthSplit(
  recipe: Recipe, split: 'train' | 'test' | 'pretrain', lengths: readonly number[], count: number, counter: TokenCounter,
  onRecord?: () => void,
): DocQARecord[] {
  const s = recipe.data.synth!;
  const pools = entityPools(DEFAULT_POOL_SIZES);
  const out: DocQARecord[] = [];
  const params = Object.fromEntries(Object.entries(s.params).filter(([, v]) => v !== undefined)) as Partial<TaskParams>;
  for (const length of lengths) {
    for (let i = 0; i < count; i++) {
      const task = s.tasks[i % s.tasks.length] as TaskName;
      out.push(synthRecord({ task, split, length, index: i, seed: s.seed ?? recipe.seed, params, pool: pools[split] }, counter));
      onRecord?.();
    }
  }
  return out;
}

/** How many synthetic records `prepareData` makes (for a progress bar). */
export function synthRecordCount(recipe: Recipe, pretrainOnly = false): number {
  const s = recipe.data.synth;
  if (!s) return 0;
  const L = synthLengths(recipe);
  if (pretrainOnly) return s.pretrain ? L.pretrain.length * s.pretrain.count : 0;
  return L.sft.length * s.sft.count + L.sft.length * s.heldOutSft + L.rl.length * s.rl.count + L.test.length * testCount(recipe)
    + (s.pretrain ? L.pretrain.length * s.pretrain.count : 0);
}

function testCount(recipe: Recipe): number {
  return Math.max(recipe.data.synth?.test.count ?? 0, recipe.eval.itemsPerLength);
}

function synthLengths(recipe: Recipe): { sft: number[]; rl: number[]; test: number[]; pretrain: number[] } {
  const s = recipe.data.synth!;
  const stageBounds = recipe.rl.stages.map((st) => st.maxInputTokens);
  const sft = s.sft.lengths ?? [stageBounds[0] as number];
  return {
    sft,
    rl: s.rl.lengths ?? stageBounds,
    test: s.test.lengths ?? evalLengths(recipe),
    pretrain: s.pretrain?.lengths ?? sft,
  };
}

/** Builds (or reads) the run's records; synthetic ones are also written under `<runDir>/data/`. */
export async function prepareData(
  recipe: Recipe, counter: TokenCounter, opts: { baseDir: string; runDir?: string; onRecord?: () => void; pretrainOnly?: boolean },
): Promise<RunData> {
  let data: RunData;
  if (recipe.data.synth) {
    const s = recipe.data.synth;
    const L = synthLengths(recipe);
    const want = (n: number) => (opts.pretrainOnly ? 0 : n);
    data = {
      pretrain: s.pretrain ? synthSplit(recipe, 'pretrain', L.pretrain, s.pretrain.count, counter, opts.onRecord) : [],
      sft: synthSplit(recipe, 'train', L.sft, want(s.sft.count), counter, opts.onRecord),
      sftHeldOut: synthSplit(recipe, 'test', L.sft, want(s.heldOutSft), counter, opts.onRecord).map((r) => ({ ...r, id: `${r.id}-heldout` })),
      rl: synthSplit(recipe, 'train', L.rl, want(s.rl.count), counter, opts.onRecord),
      test: synthSplit(recipe, 'test', L.test, want(testCount(recipe)), counter, opts.onRecord),
    };
    // Records at the SFT length double as stage-1 RL records (as in the paper, RL stage 1
    // covers the SFT range); ids are equal, so dedupe by id keeps them once in RL.
    const seen = new Set<string>();
    data.rl = data.rl.filter((r) => (seen.has(r.id) ? false : (seen.add(r.id), true)));
    if (opts.runDir) {
      for (const [name, rows] of Object.entries(data)) {
        if (rows.length === 0) continue;
        mkdirSync(join(opts.runDir, 'data'), { recursive: true });
        writeRecords(join(opts.runDir, 'data', `${name}.jsonl`), rows);
      }
    }
  } else {
    const f = recipe.data.files!;
    const read = async (p: string | undefined, field: string): Promise<DocQARecord[]> => {
      if (p === undefined) return [];
      const path = resolve(opts.baseDir, p);
      if (!existsSync(path)) throw new UserError(`data.files.${field}: ${path} does not exist`);
      return readRecords(path);
    };
    const sftAll = await read(f.sft, 'sft');
    const held = Math.min(32, Math.floor(sftAll.length / 10));
    data = {
      pretrain: await read(f.pretrain, 'pretrain'),
      sft: sftAll.slice(held),
      sftHeldOut: sftAll.slice(0, held),
      rl: await read(f.rl, 'rl'),
      test: await read(f.test, 'test'),
    };
  }
  if (recipe.sft && data.sft.length === 0 && !opts.pretrainOnly) throw new UserError('the recipe has an sft section but no SFT records (data.synth.sft.count or data.files.sft)');
  if (recipe.pretrain && recipe.pretrain.documents.kind === 'synth' && data.pretrain.length === 0) throw new UserError('the recipe has a pretrain section but no pretraining documents (data.synth.pretrain or data.files.pretrain)');
  return data;
}
