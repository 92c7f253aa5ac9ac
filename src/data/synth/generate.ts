/**
 * Synthetic DocQA records at exact token budgets (contracts §5): the rendered prompt
 * (QwenLong template + document + question, through the chat template when the
 * counter has one) has at most L tokens and as many as the filler allows.
 *
 * Budget fill as RULER does it (scorers.md §14.1), at word granularity: binary-search
 * the number of filler words n, largest n whose rendered prompt fits. Facts sit
 * between filler sentences at their relative positions, so the evidence depth is the
 * same at every n. Everything is drawn from generators derived from (seed, task,
 * split, length, index), so a record does not depend on what else is generated.
 */
import { Rng } from '../../util/rng.ts';
import { UserError } from '../../util/errors.ts';
import type { DocQARecord } from '../record.ts';
import { renderPrompt } from '../prompt.ts';
import type { TokenCounter } from '../tokens.ts';
import { DEFAULT_POOL_SIZES, entityPools, type EntityPool, type PoolSizes, type Split } from './vocab.ts';
import { fillerSentence } from './text.ts';
import { DEFAULT_TASK_PARAMS, makeTask, type PlacedFact, type TaskInstance, type TaskName, type TaskParams } from './tasks.ts';

/** Filler sentences drawn on demand from one generator (so a prefix never changes). */
class FillerStream {
  private readonly sentences: string[][] = [];
  private words = 0;
  constructor(private readonly rng: Rng) {}

  /** The first n filler words as sentences; the last one cut short and closed with a period. */
  take(n: number): string[] {
    while (this.words < n) {
      const s = fillerSentence(this.rng);
      this.sentences.push(s);
      this.words += s.length;
    }
    const out: string[] = [];
    let left = n;
    for (const s of this.sentences) {
      if (left <= 0) break;
      const part = s.length <= left ? s : s.slice(0, left);
      out.push(`${part.join(' ')}.`);
      left -= part.length;
    }
    return out;
  }
}

/** Inserts facts between filler sentences; never before the first one (see text.ts). */
export function assembleDocument(filler: readonly string[], facts: readonly PlacedFact[]): string {
  const S = filler.length;
  const order = facts.map((f, i) => ({ f, i })).sort((a, b) => a.f.frac - b.f.frac || a.i - b.i);
  const at = new Map<number, string[]>();
  for (const { f } of order) {
    const slot = S === 0 ? 0 : Math.min(S, 1 + Math.floor(f.frac * S));
    const list = at.get(slot) ?? [];
    list.push(f.text);
    at.set(slot, list);
  }
  const parts: string[] = [];
  for (let i = 0; i <= S; i++) {
    for (const t of at.get(i) ?? []) parts.push(t);
    if (i < S) parts.push(filler[i] as string);
  }
  return parts.join(' ');
}

export interface SynthRecordSpec {
  task: TaskName;
  split: Split;
  /** Token budget of the rendered prompt. */
  length: number;
  index: number;
  seed: number;
  params?: Partial<TaskParams>;
  pool?: EntityPool;
  /**
   * Names an independent stream of records (e.g. `sft`, `rl`): records of one split,
   * length and index but different streams differ. Without it, (task, split, length,
   * index) alone decide the record, so two uses of the same split overlap.
   */
  stream?: string;
}

function promptTokens(counter: TokenCounter, inst: TaskInstance, document: string): number {
  const text = renderPrompt({ document, question: inst.question, choices: inst.choices }, counter.renderChat?.bind(counter));
  return counter.encode(text).length;
}

/** One record at budget `length`. Throws a UserError when the facts alone do not fit. */
export function synthRecord(spec: SynthRecordSpec, counter: TokenCounter): DocQARecord {
  const params: TaskParams = { ...DEFAULT_TASK_PARAMS, ...spec.params };
  const pool = spec.pool ?? entityPools(DEFAULT_POOL_SIZES)[spec.split];
  const label = `${spec.stream !== undefined ? `${spec.stream}|` : ''}${spec.task}|${spec.split}|${spec.length}|${spec.index}`;
  const inst = makeTask(spec.task, Rng.derive(spec.seed, label), pool, params);
  const filler = new FillerStream(Rng.derive(spec.seed, `${label}|filler`));
  const docOf = (n: number) => assembleDocument(filler.take(n), inst.facts);
  const count = (n: number) => promptTokens(counter, inst, docOf(n));

  const base = count(0);
  if (base > spec.length) {
    throw new UserError(
      `synth: task ${spec.task} needs ${base} tokens without any filler, more than the budget ${spec.length}; raise --lengths or lower --facts/--distractors/--hops`,
    );
  }
  // Bracket the answer, then binary-search the largest n that fits. The bracket comes
  // from the tokens-per-filler-word rate measured at one probe (a secant step), which
  // saves most of the long encodes at large budgets.
  let lo = 0;
  let hi = Math.max(1, spec.length - base);
  const probe = count(hi);
  if (probe <= spec.length) {
    lo = hi;
    hi *= 2;
    while (count(hi) <= spec.length) {
      lo = hi;
      hi *= 2;
    }
  } else {
    const rate = (probe - base) / hi;
    const est = rate > 0 ? Math.floor((spec.length - base) / rate) : 0;
    const margin = Math.max(8, Math.ceil(est * 0.01));
    const a = Math.max(0, est - margin);
    const b = Math.min(hi, est + margin);
    if (a > 0 && a < hi && count(a) <= spec.length) lo = a;
    if (b > lo && b < hi) {
      if (count(b) > spec.length) hi = b;
      else lo = b;
    }
  }
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (count(mid) <= spec.length) lo = mid;
    else hi = mid;
  }
  const document = docOf(lo);
  const tokens = count(lo);
  const evidence = inst.facts.filter((f) => f.evidence).map((f) => f.text);
  const firstEvidence = evidence.length > 0 ? document.indexOf(evidence[0] as string) : -1;

  const record: DocQARecord = {
    id: `synth-${spec.task}-${spec.split}${spec.stream !== undefined ? `-${spec.stream}` : ''}-${spec.length}-${spec.index}`,
    data_source: inst.dataSource,
    task: spec.task,
    split: spec.split,
    document,
    question: inst.question,
    answer: inst.answer,
  };
  if (inst.choices) record.choices = inst.choices;
  record.trace = inst.trace;
  record.metadata = {
    ...inst.metadata,
    budget: spec.length,
    prompt_tokens: tokens,
    filler_words: lo,
    evidence_depth: firstEvidence < 0 ? null : Math.round((firstEvidence / document.length) * 1000) / 1000,
    seed: spec.seed,
  };
  return record;
}

export interface SynthConfig {
  tasks: readonly TaskName[];
  lengths: readonly number[];
  /** Train records per length (tasks take turns). */
  count: number;
  /** Test records per length (from the disjoint test pool). */
  testCount: number;
  /** Pretraining documents per length (both pools; see vocab.ts `Split`). Default 0. */
  pretrainCount?: number;
  seed: number;
  params?: Partial<TaskParams>;
  pools?: PoolSizes;
}

/** Train and test records for every length; calls `onRecord` as each is made (progress). */
export function synthDataset(
  config: SynthConfig,
  counter: TokenCounter,
  onRecord?: (r: DocQARecord) => void,
): { train: DocQARecord[]; test: DocQARecord[]; pretrain: DocQARecord[] } {
  if (config.tasks.length === 0) throw new UserError('synth: --tasks is empty');
  const pools = entityPools(config.pools ?? DEFAULT_POOL_SIZES);
  const out = { train: [] as DocQARecord[], test: [] as DocQARecord[], pretrain: [] as DocQARecord[] };
  for (const split of ['train', 'test', 'pretrain'] as const) {
    const n = split === 'train' ? config.count : split === 'test' ? config.testCount : (config.pretrainCount ?? 0);
    for (const length of config.lengths) {
      for (let i = 0; i < n; i++) {
        const task = config.tasks[i % config.tasks.length] as TaskName;
        const r = synthRecord({ task, split, length, index: i, seed: config.seed, params: config.params, pool: pools[split] }, counter);
        out[split].push(r);
        onRecord?.(r);
      }
    }
  }
  return out;
}
