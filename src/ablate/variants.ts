/**
 * The ablation variants (contracts.md §4 names) as pure transforms of one RL recipe.
 *
 * Every RL variant starts from the shared SFT checkpoint (`model.path`), trains no SFT or
 * pretraining of its own, reads the same RL and held-out records, and runs its RL stages
 * for counted FLOP budgets (`rl.stages[].flops`, src/train/flops.ts), so variants differ
 * only in what the name says:
 *
 * - `phased`: the recipe's stages as written (QwenLong-L1 §3.2, progressive context scaling);
 * - `single-stage`: one stage over every length up to the longest, the sum of the stage
 *   budgets, retrospective sampling off — the paper's single-stage baseline (L1 Fig. 5);
 * - `rs-off` / `rs-hard` / `rs-weighted`: retrospective sampling off, the paper's hard
 *   filter (mean reward 0), or Eq. 10's 1/mean importance weight (recipe §10);
 * - `grpo` / `dr-grpo` / `dapo`: the algorithm with its own aggregation; dynamic sampling
 *   on for DAPO only (rl-algorithms.md: DAPO = token-level loss + dynamic sampling);
 * - `hybrid` / `rule-only`: the recipe's judge kept or removed (only with a judge);
 * - `sft-long-answers`: not RL at all; see `sftLongAnswersRecipe`.
 *
 * Two variants whose resolved recipes are identical (hash of the canonical JSON, the
 * seed set aside) run once; the second is reported as an alias of the first.
 */
import { createHash } from 'node:crypto';
import { aggModeOf, dynamicSamplingOn, type Recipe } from '../train/config.ts';
import { UserError } from '../util/errors.ts';

export const VARIANT_NAMES = [
  'phased', 'single-stage', 'rs-off', 'rs-hard', 'rs-weighted', 'grpo', 'dr-grpo', 'dapo', 'hybrid', 'rule-only', 'sft-long-answers',
] as const;
export type VariantName = (typeof VARIANT_NAMES)[number];

/** Variants that need a judge (hybrid vs rule-only is meaningless without one). */
export const JUDGE_VARIANTS: readonly VariantName[] = ['hybrid', 'rule-only'];

/** The default set, in priority order (the first ones survive a tight budget). */
export const DEFAULT_VARIANTS: readonly VariantName[] = [
  'phased', 'single-stage', 'sft-long-answers', 'rs-off', 'rs-weighted', 'rs-hard', 'grpo', 'dr-grpo', 'dapo', 'hybrid', 'rule-only',
];

/** Parses `--variants a,b,...` (names checked, duplicates dropped, order kept). */
export function parseVariants(text: string | undefined): VariantName[] {
  if (text === undefined) return [...DEFAULT_VARIANTS];
  const out: VariantName[] = [];
  for (const raw of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(VARIANT_NAMES as readonly string[]).includes(raw)) throw new UserError(`--variants: unknown variant "${raw}" (known: ${VARIANT_NAMES.join(', ')})`);
    if (!out.includes(raw as VariantName)) out.push(raw as VariantName);
  }
  if (out.length === 0) throw new UserError('--variants: give at least one variant');
  return out;
}

/** Where the RL variants start and what they read (made by the shared phase). */
export interface SharedStart {
  /** HF model folder of the shared SFT checkpoint. */
  modelDir: string;
  /** RL records (.jsonl) and held-out records (.jsonl), absolute paths. */
  rlFile: string;
  testFile: string;
}

/**
 * The common RL template: the recipe with the shared start, no pretrain/SFT, its stages
 * on FLOP budgets `stageFlops_K`, and only the final model evaluated (at every eval length).
 */
export function rlTemplate(base: Recipe, start: SharedStart, stageFlops_K: readonly number[]): Recipe {
  const r: Recipe = structuredClone(base);
  if (stageFlops_K.length !== r.rl.stages.length) throw new Error('rlTemplate: one FLOP budget per stage');
  r.model = { path: start.modelDir };
  r.pretrain = null;
  r.sft = null;
  r.data = { files: { rl: start.rlFile, test: start.testFile } };
  // Keep the held-out lengths explicit so a single-stage variant evaluates where phased does.
  r.eval = { ...r.eval, lengths: r.eval.lengths ?? r.rl.stages.map((s) => s.maxInputTokens), models: ['rl-final'] };
  r.rl.stages = r.rl.stages.map((s, k) => {
    const { steps: _s, epochs: _e, flops: _f, ...rest } = s;
    return { ...rest, flops: stageFlops_K[k] as number };
  });
  // Resolve the algorithm-dependent defaults, so that equal behaviour hashes equal.
  r.rl.aggMode = aggModeOf(r.rl);
  r.rl.dynamicSampling = { ...r.rl.dynamicSampling, enabled: dynamicSamplingOn(r.rl) };
  return r;
}

/** The recipe of one RL variant (throws for `sft-long-answers`, which is not RL). */
export function variantRecipe(template: Recipe, name: VariantName): Recipe {
  const r: Recipe = structuredClone(template);
  const rl = r.rl;
  switch (name) {
    case 'phased':
    case 'hybrid':
      break;
    case 'single-stage': {
      const last = rl.stages[rl.stages.length - 1]!;
      const flops = rl.stages.reduce((a, s) => a + (s.flops ?? 0), 0);
      const maxOut = Math.max(...rl.stages.map((s) => s.maxOutputTokens));
      const { lr: _lr, ...lastRest } = last;
      rl.stages = [{ ...lastRest, maxOutputTokens: maxOut, flops, ...(last.lr !== undefined ? { lr: last.lr } : {}) }];
      rl.retrospective = { ...rl.retrospective, mode: 'off' };
      break;
    }
    case 'rs-off':
    case 'rs-hard':
    case 'rs-weighted':
      rl.retrospective = { ...rl.retrospective, mode: name === 'rs-off' ? 'off' : name === 'rs-hard' ? 'hard' : 'weighted' };
      break;
    case 'grpo':
    case 'dr-grpo':
    case 'dapo':
      rl.algorithm = name;
      delete rl.aggMode;
      rl.aggMode = aggModeOf(rl);
      rl.dynamicSampling = { ...rl.dynamicSampling, enabled: name === 'dapo' };
      break;
    case 'rule-only':
      r.reward = { ...r.reward, judge: null };
      break;
    case 'sft-long-answers':
      throw new Error('variantRecipe: sft-long-answers is built by sftLongAnswersRecipe');
  }
  return r;
}

/** Canonical JSON (sorted keys, undefined dropped) for hashing. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

/** Hash of a variant's resolved config with the seed set aside (what makes runs identical). */
export function configHash(r: Recipe): string {
  const { seed: _seed, name: _name, ...rest } = r;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex').slice(0, 16);
}

export interface PlannedVariant {
  name: VariantName;
  /** The variant that actually runs (itself unless this one is an alias). */
  runsAs: VariantName;
  hash: string;
}

/**
 * Dedupes variants by config hash: the first variant with a hash runs, later ones with the
 * same hash become aliases of it.
 */
export function dedupeVariants(items: readonly { name: VariantName; hash: string }[]): PlannedVariant[] {
  const first = new Map<string, VariantName>();
  return items.map(({ name, hash }) => {
    const owner = first.get(hash);
    if (owner === undefined) first.set(hash, name);
    return { name, hash, runsAs: owner ?? name };
  });
}
