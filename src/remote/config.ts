/**
 * Recipe blocks of the remote engines, as zod schemas the recipe (src/train/config.ts) can
 * merge into its `policy` and `sampler` sections, and the factories that build them:
 *
 *   policy:  {kind: tinker, url, baseModel, loraRank, apiKeyEnv, backend, ...}
 *   sampler: {kind: policy | vllm | sglang, urls, baseModel, weightSync: lora | full | resolver, syncDir,
 *             apiKeyEnv, timeoutS, retries, backoffS}
 *
 * API keys are never part of a recipe: `apiKeyEnv` names the environment variable.
 */
import { z } from 'zod';
import { RemotePolicy } from './remote-policy.ts';
import { RolloutClient } from './rollout/rollout-client.ts';
import { UserError } from '../util/errors.ts';

export const TinkerPolicySchema = z.strictObject({
  kind: z.literal('tinker').describe('tinker: a Tinker-API training service (hosted Tinker, SkyRL tx, longrl serve --tinker)'),
  url: z.string().url().describe('service base URL (routes under /api/v1/), e.g. http://head-node:8000'),
  baseModel: z.string().min(1).describe('base_model as the service names it (e.g. Qwen/Qwen3-8B)'),
  loraRank: z.number().int().min(0).default(32).describe('LoRA rank; 0 = full fine-tuning'),
  loraSeed: z.number().int().optional().describe('seed of the LoRA initialisation (where the service honours it)'),
  apiKeyEnv: z.string().optional().describe('environment variable that holds the API key (hosted Tinker: TINKER_API_KEY); the key is never written anywhere'),
  backend: z.enum(['auto', 'tinker', 'skyrl']).default('auto').describe('loss mapping: tinker (losses are sums), skyrl (JAX per-sequence normalisation); auto = from capabilities/URL'),
  maxDatumsPerRequest: z.number().int().positive().default(1024).describe('datums per request (a batch is split above this)'),
  maxRequestBytes: z.number().int().positive().default(5_000_000).describe('request body bytes (a batch is split above this)'),
  operationDeadlineS: z.number().positive().default(7200).describe('deadline of one remote operation in seconds'),
  heartbeatS: z.number().positive().default(10).describe('session heartbeat period in seconds (servers drop sessions after 300 s without)'),
});
export type TinkerPolicyConfig = z.infer<typeof TinkerPolicySchema>;

export const SamplerSchema = z.strictObject({
  kind: z.enum(['policy', 'vllm', 'sglang']).default('policy').describe('policy: sample with the policy itself; vllm / sglang: OpenAI-compatible inference servers'),
  urls: z.array(z.string().url()).default([]).describe('inference server base URLs (least-loaded routing, health checks)'),
  baseModel: z.string().optional().describe('the model name the servers serve (vLLM --served-model-name)'),
  weightSync: z.enum(['lora', 'full', 'resolver']).default('lora').describe('how new weights reach the servers: LoRA adapter load (vLLM, SGLang), full HF folder (SGLang update_weights_from_disk), vLLM filesystem resolver'),
  syncDir: z.string().optional().describe('a folder the servers can read (shared filesystem); weight versions are written under it (default <run folder>/weights-sync; relative to the recipe file)'),
  apiKeyEnv: z.string().optional().describe('environment variable that holds the servers\' bearer token (vllm serve --api-key); the key is never written anywhere'),
  timeoutS: z.number().positive().optional().describe('per-request timeout in seconds (default 600)'),
  retries: z.number().int().min(0).optional().describe('retries of a request on 429, 5xx, time-outs and dropped connections (default 5)'),
  backoffS: z.number().positive().optional().describe('first retry delay in seconds, doubled per retry up to 30 s (default 0.5)'),
});
export type SamplerConfig = z.infer<typeof SamplerSchema>;

export function createRemotePolicy(cfg: TinkerPolicyConfig, log?: (line: string) => void): Promise<RemotePolicy> {
  return RemotePolicy.create({
    url: cfg.url,
    baseModel: cfg.baseModel,
    loraRank: cfg.loraRank,
    ...(cfg.loraSeed !== undefined ? { loraSeed: cfg.loraSeed } : {}),
    ...(cfg.apiKeyEnv ? { apiKeyEnv: cfg.apiKeyEnv } : {}),
    backend: cfg.backend,
    maxDatumsPerRequest: cfg.maxDatumsPerRequest,
    maxRequestBytes: cfg.maxRequestBytes,
    operationDeadlineMs: cfg.operationDeadlineS * 1000,
    heartbeatMs: cfg.heartbeatS * 1000,
    ...(log ? { log } : {}),
  });
}

/** The rollout client of a `sampler` block (null for `kind: policy`); the API key comes from `apiKeyEnv` only. */
export function createRolloutClient(cfg: SamplerConfig, fallbackModel: string, syncDir: string, extra: { prefix?: string; log?: (line: string) => void } = {}): RolloutClient | null {
  if (cfg.kind === 'policy') return null;
  let apiKey: string | undefined;
  if (cfg.apiKeyEnv !== undefined) {
    apiKey = process.env[cfg.apiKeyEnv];
    if (!apiKey) throw new UserError(`sampler.apiKeyEnv names ${cfg.apiKeyEnv}, but that environment variable is empty: export it before the run (the key is never read from the recipe)`);
  }
  return new RolloutClient({
    engine: cfg.kind,
    urls: cfg.urls,
    baseModel: cfg.baseModel ?? fallbackModel,
    weightSync: cfg.weightSync,
    syncDir: cfg.syncDir ?? syncDir,
    ...(apiKey !== undefined ? { apiKey } : {}),
    ...(cfg.timeoutS !== undefined ? { timeoutMs: cfg.timeoutS * 1000 } : {}),
    ...(cfg.retries !== undefined ? { retries: cfg.retries } : {}),
    ...(cfg.backoffS !== undefined ? { backoffBaseMs: cfg.backoffS * 1000 } : {}),
    ...(extra.prefix !== undefined ? { prefix: extra.prefix } : {}),
    ...(extra.log ? { log: extra.log } : {}),
  });
}
