/**
 * Rule rewards with dispatch by `data_source` (qwenlong-recipe.md §5, §6.2).
 *
 * Reference routing is by substring: `long_toc_choices` → multiple choice, `docmath` →
 * numeric, `multihoprag` / `musique` → sub-EM; anything else is an error. longrl adds its
 * own synthetic sources (`synth_docqa_*` → sub-EM, `synth_docmath_*` → numeric,
 * `synth_choice_*` → multiple choice, i.e. the substrings `docqa` and `choice`) and a
 * plug-in point: a user verifier registered by name, or loaded from a module path.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../util/errors.ts';
import { choiceScore } from './choice.ts';
import { docmathScore } from './docmath.ts';
import { subEmMax, type Compat } from './docqa.ts';
import {
  answerSection,
  extractChoice,
  extractDocmathAnswer,
  extractGold,
  extractQaAnswer,
  type ExtractMode,
} from './extract.ts';

/** Which built-in rule scored an item, or `custom` for a plug-in. */
export type RuleKind = 'qa' | 'math' | 'choice' | 'custom';

/** One response to score. */
export interface RuleInput {
  dataSource: string;
  /** The decoded response (reasoning and answer). */
  response: string;
  /** `reward_model.ground_truth` as the data stores it; a list means any one is correct. */
  groundTruth: string | readonly string[];
  /** The question, for verifiers that want it (the built-ins do not). */
  question?: string;
}

export interface RuleOptions {
  /** `reference` reproduces the original code's quirks (sub-EM empty match). */
  compat?: Compat;
  /** `rl` (default) or `evaluation` extraction (qwenlong-recipe.md §4). */
  mode?: ExtractMode;
  /** DocMath ceil precision; default 3 in `rl` mode, 2 in `evaluation` mode (QwenLong-L1 eval). */
  docmathDecimals?: number;
  /** Verifier registry to consult before the built-ins; default: the process-wide one. */
  registry?: VerifierRegistry;
}

export interface RuleResult {
  /** The rule score in [0, 1] (built-ins: 0 or 1). */
  score: number;
  /** `score == 1`, before any shaping (DAPO's dynamic sampling filters on it). */
  acc: boolean;
  kind: RuleKind;
  /** The answer the rule compared (null when none was found). */
  extracted: string | null;
  /** The gold the rule compared against (first one for lists). */
  gold: string | null;
  /** Text after `</think>` (null in RL mode when `</think>` is absent). */
  answerText: string | null;
  /** Whether an LLM judge may raise this score (never for multiple choice). */
  judgeable: boolean;
  /** Name of the plug-in verifier that scored it, if any. */
  verifier?: string;
}

/** What a plug-in verifier receives. */
export interface VerifierInput extends RuleInput {
  /** Text after the last `</think>` per the extraction mode (null if absent in RL mode). */
  answerText: string | null;
}

/** A plug-in verifier: a score in [0, 1], or a result with the extracted answer. */
export type Verifier = (input: VerifierInput) => number | { score: number; extracted?: string | null; gold?: string | null };

export interface VerifierEntry {
  name: string;
  fn: Verifier;
  /** May the LLM judge raise this verifier's score below 1? Default true. */
  judge: boolean;
}

/**
 * Plug-in verifiers, matched against `data_source` like the built-ins: an entry applies
 * when the data source equals its name or contains it. Entries are tried in registration
 * order, before the built-ins, so a user can also override a built-in route.
 */
export class VerifierRegistry {
  private readonly list: VerifierEntry[] = [];

  register(name: string, fn: Verifier, opts: { judge?: boolean } = {}): void {
    if (name === '') throw new UserError('registerVerifier: the name (a data_source substring) must not be empty');
    const entry = { name, fn, judge: opts.judge ?? true };
    const at = this.list.findIndex((e) => e.name === name);
    if (at >= 0) this.list[at] = entry;
    else this.list.push(entry);
  }

  find(dataSource: string): VerifierEntry | undefined {
    return this.list.find((e) => dataSource === e.name || dataSource.includes(e.name));
  }

  names(): string[] {
    return this.list.map((e) => e.name);
  }

  /** The registered verifiers, in matching order. */
  entries(): readonly VerifierEntry[] {
    return [...this.list];
  }
}

/** The registry `registerVerifier` and `ruleReward` use unless given another. */
export const defaultVerifierRegistry = new VerifierRegistry();

/** Registers a plug-in verifier for data sources containing `name`. */
export function registerVerifier(name: string, fn: Verifier, opts: { judge?: boolean } = {}): void {
  defaultVerifierRegistry.register(name, fn, opts);
}

/** A verifier given in config: a module path (relative to the config file) and an export name. */
export interface VerifierModuleSpec {
  module: string;
  /** Export holding the verifier function; default `verify`, then `default`. */
  export?: string;
  /** May the judge raise its score? Default true. */
  judge?: boolean;
}

/** Imports a verifier function from a module (a `.ts` file works under tsx). */
export async function loadVerifier(spec: VerifierModuleSpec, baseDir: string = process.cwd()): Promise<Verifier> {
  const path = isAbsolute(spec.module) ? spec.module : resolve(baseDir, spec.module);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    throw new UserError(`cannot load verifier module ${path}: ${(err as Error).message}`);
  }
  const name = spec.export ?? ('verify' in mod ? 'verify' : 'default');
  const fn = mod[name];
  if (typeof fn !== 'function') {
    throw new UserError(`verifier module ${path} has no function export "${name}" (exports: ${Object.keys(mod).join(', ') || 'none'})`);
  }
  return fn as Verifier;
}

/**
 * Loads every verifier of a config map `{ <data_source substring>: {module, export} }`
 * into a registry (default: the process-wide one).
 */
export async function loadVerifiers(
  specs: Record<string, VerifierModuleSpec>,
  baseDir: string = process.cwd(),
  registry: VerifierRegistry = defaultVerifierRegistry,
): Promise<void> {
  for (const [name, spec] of Object.entries(specs)) {
    registry.register(name, await loadVerifier(spec, baseDir), { judge: spec.judge ?? true });
  }
}

/** The built-in route of a data source, or null (reference dispatch plus longrl's own). */
export function builtinKind(dataSource: string): Exclude<RuleKind, 'custom'> | null {
  if (dataSource.includes('long_toc_choices')) return 'choice';
  if (dataSource.includes('docmath')) return 'math';
  if (dataSource.includes('multihoprag') || dataSource.includes('musique')) return 'qa';
  if (dataSource.includes('docqa')) return 'qa';
  if (dataSource.includes('choice')) return 'choice';
  return null;
}

function goldList(gt: string | readonly string[]): readonly string[] {
  return typeof gt === 'string' ? [gt] : gt;
}

function clamp01(x: number, where: string): number {
  if (!Number.isFinite(x)) throw new UserError(`verifier "${where}" returned a non-finite score (${x})`);
  return Math.min(1, Math.max(0, x));
}

/**
 * Scores one response with the rule of its data source. Pure and synchronous: the judge
 * and shaping come on top in `hybridReward`.
 */
export function ruleReward(input: RuleInput, opts: RuleOptions = {}): RuleResult {
  const mode = opts.mode ?? 'rl';
  const golds = goldList(input.groundTruth);
  if (golds.length === 0) throw new UserError(`empty ground truth for data_source "${input.dataSource}"`);
  const answerText = answerSection(input.response, mode);

  const plugin = (opts.registry ?? defaultVerifierRegistry).find(input.dataSource);
  if (plugin) {
    const out = plugin.fn({ ...input, answerText });
    const score = clamp01(typeof out === 'number' ? out : out.score, plugin.name);
    return {
      score,
      acc: score === 1,
      kind: 'custom',
      extracted: typeof out === 'number' ? answerText : (out.extracted ?? answerText),
      gold: typeof out === 'number' ? (golds[0] as string) : (out.gold ?? (golds[0] as string)),
      answerText,
      judgeable: plugin.judge,
      verifier: plugin.name,
    };
  }

  const kind = builtinKind(input.dataSource);
  if (kind === null) {
    throw new UserError(
      `no reward rule for data_source "${input.dataSource}": expected one containing long_toc_choices, docmath, ` +
        `multihoprag, musique, docqa or choice, or register a verifier for it (registerVerifier / reward.verifiers in the config)`,
    );
  }
  const base = { kind, answerText, judgeable: kind !== 'choice' };

  if (kind === 'choice') {
    let score: 0 | 1 = 0;
    for (const g of golds) if (choiceScore(answerText, g) === 1) score = 1;
    const extracted = answerText === null ? null : extractChoice(answerText);
    return { ...base, score, acc: score === 1, extracted, gold: golds[0] as string };
  }

  if (kind === 'math') {
    const extracted = answerText === null ? null : extractDocmathAnswer(answerText, mode);
    const goldsX = golds.map((g) => extractGold(g, 'math', mode));
    // Evaluation follows QwenLong-L1's eval/docmath.py: 2-decimal ceil, log of the ratio.
    const cmp = mode === 'evaluation'
      ? { decimals: opts.docmathDecimals ?? 2, logForm: 'ratio' as const }
      : { decimals: opts.docmathDecimals ?? 3, logForm: 'difference' as const };
    let score: 0 | 1 = 0;
    for (const g of goldsX) {
      if (docmathScore(extracted, g, cmp) === 1) score = 1;
    }
    return { ...base, score, acc: score === 1, extracted, gold: goldsX[0] as string };
  }

  const extracted = answerText === null ? null : extractQaAnswer(answerText);
  const goldsX = golds.map((g) => extractGold(g, 'qa', mode));
  const score = extracted === null ? 0 : subEmMax(extracted, goldsX, { compat: opts.compat ?? 'default' });
  return { ...base, score, acc: score === 1, extracted, gold: goldsX[0] as string };
}
