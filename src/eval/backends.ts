/**
 * The model under evaluation: a local model folder (LocalPolicy through the serve
 * module's `ServeModel`: tokenizer, chat template, end-of-sequence ids) or an
 * OpenAI-compatible endpoint written `openai:http://host:port/v1#model-name` (vLLM,
 * SGLang, llama.cpp, `longrl serve`), through chat completions (default) or completions.
 *
 * Endpoint calls retry like the judge (contracts.md §6): on 429, 5xx, time-outs, dropped
 * connections and empty outputs (the QwenLong-L1 eval retries those too, §14.1 step 4),
 * with exponential backoff, jitter and `Retry-After`, up to a bound; after that the item
 * fails (it is not written, so a rerun tries it again).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { Semaphore } from '../reward/semaphore.ts';
import { parseRetryAfter } from '../reward/judge.ts';
import { loadTokenizer, type TextTokenizer } from '../tokenizer/index.ts';
import { ServeModel } from '../serve/model.ts';

export interface GenRequest {
  /** The user message (already truncated). */
  content: string;
  n: number;
  temperature: number;
  topP: number;
  maxTokens: number;
  seed: number;
}

export interface GenSample {
  text: string;
  finishReason: string;
  completionTokens: number | null;
}

export interface EvalModel {
  /** What the results table calls the model. */
  label: string;
  /** Tokenizer for truncation (null: prompts are not truncated). */
  tokenizer: TextTokenizer | null;
  /** Requests in flight at most. */
  concurrency: number;
  generate(req: GenRequest): Promise<GenSample[]>;
  /** Counters (requests, retries, failures). */
  counters(): Record<string, number>;
}

/** A local model folder. */
export function localModel(dir: string, opts: { threads?: number } = {}): EvalModel {
  if (!existsSync(join(dir, 'tokenizer.json'))) throw new UserError(`--model ${dir}: no tokenizer.json in the folder (evaluation needs text prompts)`);
  const m = new ServeModel(dir, opts.threads !== undefined ? { threads: opts.threads } : {});
  const tok = m.tokenizer!;
  let calls = 0;
  return {
    label: m.name,
    tokenizer: tok,
    concurrency: 1,
    async generate(req) {
      calls++;
      const ids = tok.encode(tok.applyChatTemplate([{ role: 'user', content: req.content }], { addGenerationPrompt: true }));
      const out = await m.policy.sample([ids], {
        n: req.n, temperature: req.temperature, topP: req.topP, topK: 0, maxTokens: req.maxTokens, seed: req.seed, stopTokenIds: m.eosTokenIds,
      });
      return out[0]!.map((s) => ({ text: m.decode(s.tokens), finishReason: s.finishReason, completionTokens: s.tokens.length }));
    },
    counters: () => ({ requests: calls }),
  };
}

export interface OpenAIModelOptions {
  api?: 'chat' | 'completions';
  apiKey?: string;
  concurrency?: number;
  /** Retries after the first try (default 4: 5 tries, as QwenLong-L1's eval). */
  maxRetries?: number;
  timeoutMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Tokenizer folder for middle truncation (and the chat template with `api: completions`). */
  tokenizerDir?: string;
}

/** Parses `openai:URL#MODEL`; null when the spec is not of that form. */
export function parseOpenAISpec(spec: string): { baseUrl: string; model: string } | null {
  if (!spec.startsWith('openai:')) return null;
  const rest = spec.slice('openai:'.length);
  const hash = rest.lastIndexOf('#');
  if (hash <= 0 || hash === rest.length - 1) throw new UserError(`--model ${spec}: write an endpoint as openai:http://host:port/v1#model-name`);
  let url: URL;
  try { url = new URL(rest.slice(0, hash)); } catch { throw new UserError(`--model ${spec}: "${rest.slice(0, hash)}" is not a URL`); }
  let base = url.toString().replace(/\/+$/, '');
  if (!/\/v\d+$/.test(base)) base += '/v1';
  return { baseUrl: base, model: rest.slice(hash + 1) };
}

/** The server answered one choice to a request for n > 1 (llama.cpp ignores `n`). */
class NIgnoredError extends Error {}

class RetryableError extends Error {
  constructor(message: string, readonly retryAfterMs: number | null = null) { super(message); }
}

export function openAIModel(spec: string, opts: OpenAIModelOptions = {}): EvalModel {
  const parsed = parseOpenAISpec(spec);
  if (!parsed) throw new UserError(`--model ${spec}: not an openai: endpoint`);
  const api = opts.api ?? 'chat';
  const tok = opts.tokenizerDir ? loadTokenizer(opts.tokenizerDir) : null;
  const sem = new Semaphore(opts.concurrency ?? 8);
  const maxRetries = opts.maxRetries ?? 4;
  const timeoutMs = opts.timeoutMs ?? 600_000;
  const base = opts.backoffBaseMs ?? 1000;
  const cap = opts.backoffMaxMs ?? 64_000;
  const jitter = new Rng(0);
  const counters = { requests: 0, retries: 0, failures: 0 };

  const once = async (req: GenRequest): Promise<GenSample[]> => {
    const common = { model: parsed.model, n: req.n, temperature: req.temperature, top_p: req.topP, max_tokens: req.maxTokens, seed: req.seed };
    const body = api === 'chat'
      ? { ...common, messages: [{ role: 'user', content: req.content }] }
      : { ...common, prompt: tok ? tok.applyChatTemplate([{ role: 'user', content: req.content }], { addGenerationPrompt: true }) : req.content };
    counters.requests++;
    let res: Response;
    try {
      res = await fetch(`${parsed.baseUrl}/${api === 'chat' ? 'chat/completions' : 'completions'}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}) },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      throw new RetryableError(`request failed: ${(e as Error).message}`);
    }
    const text = await res.text().catch(() => '');
    if (res.status === 429 || res.status >= 500 || res.status === 408) {
      throw new RetryableError(`HTTP ${res.status}: ${text.slice(0, 200)}`, parseRetryAfter(res.headers.get('retry-after')));
    }
    // A request the server refuses (e.g. prompt over its context): that item fails, the run goes on.
    if (res.status === 400 || res.status === 413 || res.status === 422) throw new Error(`HTTP ${res.status}: ${text.slice(0, 500)}`);
    if (!res.ok) throw new UserError(`${parsed.baseUrl}: HTTP ${res.status}: ${text.slice(0, 500)}`);
    let json: { choices?: { index?: number; text?: string; message?: { content?: string | null }; finish_reason?: string }[]; usage?: { completion_tokens?: number } };
    try { json = JSON.parse(text); } catch { throw new RetryableError(`the reply is not JSON: ${text.slice(0, 200)}`); }
    const choices = [...(json.choices ?? [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    const out = choices.map((c) => ({ text: (api === 'chat' ? c.message?.content : c.text) ?? '', finishReason: c.finish_reason ?? 'unknown', completionTokens: null }));
    if (out.length === 1 && req.n > 1) throw new NIgnoredError();
    if (out.length !== req.n) throw new RetryableError(`asked for ${req.n} samples, got ${out.length}`);
    if (out.some((s) => s.text === '')) throw new RetryableError('empty output');
    if (req.n === 1 && json.usage?.completion_tokens !== undefined) return [{ ...out[0]!, completionTokens: json.usage.completion_tokens }];
    return out;
  };

  const withRetries = async (req: GenRequest): Promise<GenSample[]> => {
    await sem.acquire();
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          return await once(req);
        } catch (e) {
          if (e instanceof NIgnoredError) throw e;
          if (!(e instanceof RetryableError) || attempt >= maxRetries) {
            counters.failures++;
            throw e;
          }
          counters.retries++;
          const back = Math.min(cap, base * 2 ** attempt) * (0.5 + 0.5 * jitter.float());
          await new Promise((r) => setTimeout(r, Math.max(back, e.retryAfterMs ?? 0)));
        }
      }
    } finally {
      sem.release();
    }
  };
  /** Set once the server is seen ignoring `n`: then n requests of one sample, seeds seed + j. */
  let splitN = false;
  const split = async (req: GenRequest) =>
    (await Promise.all(Array.from({ length: req.n }, (_, j) => withRetries({ ...req, n: 1, seed: (req.seed + j) >>> 0 })))).flat();

  return {
    label: parsed.model,
    tokenizer: tok,
    concurrency: opts.concurrency ?? 8,
    async generate(req) {
      if (splitN && req.n > 1) return split(req);
      try {
        return await withRetries(req);
      } catch (e) {
        if (!(e instanceof NIgnoredError)) throw e;
        splitN = true;
        return split(req);
      }
    },
    counters: () => ({ ...counters, splitN: splitN ? 1 : 0 }),
  };
}
