/**
 * The `reward` section of a recipe and the object a trainer scores with. One zod schema
 * (unknown keys are errors, house rule) with a doc string per field; `createRewarder`
 * turns it into a scorer that owns the judge client, its cache in the run folder and the
 * plug-in verifiers named in the config.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../util/errors.ts';
import { hybridReward, type HybridBatch, type HybridItem } from './hybrid.ts';
import { createJudge, type Judge } from './judge.ts';
import { defaultVerifierRegistry, loadVerifiers, VerifierRegistry } from './rule.ts';

/** File name of the judge cache inside a run folder. */
export const JUDGE_CACHE_FILE = 'judge-cache.jsonl';

export const JudgeConfigSchema = z.strictObject({
  url: z.string().describe('OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1 (vLLM, SGLang, llama.cpp, Ollama, OpenAI)'),
  model: z.string().describe('judge model name (QwenLong-L1 trains with Qwen2.5-1.5B-Instruct); part of the cache key'),
  apiKeyEnv: z.string().optional().describe('name of the environment variable holding the bearer token (the key itself never goes in a recipe)'),
  concurrency: z.number().int().min(1).default(8).describe('judge requests in flight at most'),
  timeoutS: z.number().positive().default(60).describe('per-request timeout in seconds'),
  maxRetries: z.number().int().min(0).optional().describe('retries after the first try (default 5; reference compat 4)'),
  strict: z.boolean().default(false).describe('score by the strict [[YES]] parse instead of the reference substring YES'),
  cache: z.boolean().default(true).describe(`keep a persistent cache at <run>/${JUDGE_CACHE_FILE} so a resumed run never pays twice`),
  maxTokens: z.number().int().min(1).optional().describe('max_tokens of the judge reply (default: the server default)'),
  seed: z.number().int().optional().describe('seed sent with each judge request'),
});

export const OverlongConfigSchema = z.strictObject({
  maxLen: z.number().int().min(1).describe('maximum response length Lmax in tokens (QwenLong-L1: 10000)'),
  buffer: z.number().int().min(1).describe('penalty ramp over the last `buffer` tokens (QwenLong-L1: 1000)'),
  factor: z.number().min(0).default(1).describe('penalty factor κ (QwenLong-L1: 1.0)'),
});

export const VerifierSpecSchema = z.strictObject({
  module: z.string().describe('module path, relative to the recipe file'),
  export: z.string().optional().describe('export holding the verifier (default verify, then default)'),
  judge: z.boolean().default(true).describe('may the LLM judge raise this verifier’s score below 1'),
});

export const RewardConfigSchema = z.strictObject({
  compat: z.enum(['default', 'reference']).default('default').describe('reference: the original code exactly (sub-EM empty match, judge retries on 429 only)'),
  mode: z.enum(['rl', 'evaluation']).default('rl').describe('answer extraction: rl (no </think> = 0) or evaluation'),
  judge: JudgeConfigSchema.nullable().default(null).describe('LLM judge for rule scores below 1; null = rule only'),
  overlong: OverlongConfigSchema.nullable().default(null).describe('DAPO overlong shaping; null = none'),
  verifiers: z.record(z.string(), VerifierSpecSchema).default({}).describe('plug-in verifiers by data_source substring'),
});

export type RewardConfig = z.infer<typeof RewardConfigSchema>;

/** Parses a reward section, naming the offending field on error. */
export function parseRewardConfig(raw: unknown, where = 'reward'): RewardConfig {
  const r = RewardConfigSchema.safeParse(raw ?? {});
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${where}.${i.path.join('.')}: ${i.message}`).join('; ');
    throw new UserError(`invalid reward config: ${msg}`);
  }
  return r.data;
}

/** A configured reward: score batches, read counters, close the cache at the end. */
export interface Rewarder {
  readonly config: RewardConfig;
  readonly judge: Judge | null;
  score(items: readonly HybridItem[]): Promise<HybridBatch>;
  /** The judge's counters (empty without a judge). */
  counters(): Record<string, number>;
  close(): void;
}

export interface RewarderOptions {
  /** Run folder: holds the judge cache. Without it the cache lives in memory only. */
  runDir?: string;
  /** Directory verifier module paths are relative to (the recipe's folder). */
  baseDir?: string;
}

/** Builds the rewarder of a config: loads plug-in verifiers, opens the judge and its cache. */
export async function createRewarder(config: RewardConfig, opts: RewarderOptions = {}): Promise<Rewarder> {
  const registry = new VerifierRegistry();
  for (const e of defaultVerifierRegistry.entries()) registry.register(e.name, e.fn, { judge: e.judge });
  await loadVerifiers(config.verifiers, opts.baseDir ?? process.cwd(), registry);
  let judge: Judge | null = null;
  const j = config.judge;
  if (j) {
    const apiKey = j.apiKeyEnv !== undefined ? process.env[j.apiKeyEnv] : undefined;
    if (j.apiKeyEnv !== undefined && apiKey === undefined) {
      throw new UserError(`reward.judge.apiKeyEnv: environment variable ${j.apiKeyEnv} is not set`);
    }
    judge = createJudge({
      url: j.url,
      model: j.model,
      concurrency: j.concurrency,
      timeoutMs: j.timeoutS * 1000,
      strict: j.strict,
      compat: config.compat,
      ...(apiKey !== undefined && { apiKey }),
      ...(j.maxRetries !== undefined && { maxRetries: j.maxRetries }),
      ...(j.maxTokens !== undefined && { maxTokens: j.maxTokens }),
      ...(j.seed !== undefined && { seed: j.seed }),
      ...(j.cache && opts.runDir !== undefined && { cachePath: join(opts.runDir, JUDGE_CACHE_FILE) }),
    });
  }
  const overlong = config.overlong;
  return {
    config,
    judge,
    score: (items) => hybridReward(items, { judge, overlong, rule: { compat: config.compat, mode: config.mode, registry } }),
    counters: () => judge?.counters() ?? {},
    close: () => judge?.close(),
  };
}
