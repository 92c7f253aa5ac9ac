/**
 * The LLM judge client (qwenlong-recipe.md §3; contracts.md §6): the QwenLong-L1 judge
 * prompt sent to any OpenAI-compatible `/v1/chat/completions` endpoint (vLLM, SGLang,
 * llama.cpp server, Ollama, OpenAI) at temperature 0.
 *
 * Robustness, because training must go on when the judge misbehaves:
 * - at most `concurrency` requests in flight (a semaphore; the slot is released while a
 *   request waits to retry);
 * - a per-request timeout (AbortController) covering the whole exchange, body included;
 * - retries with exponential backoff, jitter and `Retry-After` on 429, 5xx, 408,
 *   time-outs, dropped connections and malformed replies, up to `maxRetries`; with
 *   `compat: 'reference'` only 429 is retried, 5 tries, backoff 1→2→…→64 s, as the
 *   original reward code does;
 * - a final failure is a verdict with `score: null` and `error` set (the caller falls back
 *   to the rule score); it never throws;
 * - a persistent cache keyed by (question, prediction, gold, judge model), appended as
 *   JSONL one whole line per write (a kill -9 leaves at most one torn last line, dropped
 *   on reload), so a resumed run never pays twice; identical concurrent requests share
 *   one call;
 * - counters for every outcome and fault kind (`counters()`).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Rng, hash32 } from '../util/rng.ts';
import { JsonlWriter } from '../util/jsonl.ts';
import { UserError } from '../util/errors.ts';
import type { Compat } from './docqa.ts';
import { JUDGE_SYSTEM_PROMPT, judgeUserMessage, parseVerdict, type ParsedVerdict } from './judge-prompt.ts';
import { Semaphore } from './semaphore.ts';
import { AttemptError, chatCompletionsUrl, faultCounter, postJson, withRetries, type Fault } from './openai-http.ts';

export interface JudgeOptions {
  /** Server base URL (`http://host:port`, `.../v1`) or the full `/v1/chat/completions` URL. */
  url: string;
  /** Model name sent in the request; part of the cache key. */
  model: string;
  /** Bearer token, if the server wants one. */
  apiKey?: string;
  /** Requests in flight at most (default 8). */
  concurrency?: number;
  /** Per-request timeout in ms, whole exchange (default 60 000). */
  timeoutMs?: number;
  /** Retries after the first try (default 5; reference compat: 4, i.e. 5 tries). */
  maxRetries?: number;
  /** Score with the strict `[[YES]]` parse instead of the reference substring `YES`. */
  strict?: boolean;
  /** `reference`: retry on 429 only, deterministic backoff 1→64 s, as QwenLong-L1's reward. */
  compat?: Compat;
  /** JSONL cache file (e.g. `<run>/judge-cache.jsonl`); none = no persistence. */
  cachePath?: string;
  /** First backoff delay in ms (default 1000); doubles per retry. */
  backoffBaseMs?: number;
  /** Largest backoff delay in ms (default 64 000). */
  backoffMaxMs?: number;
  /** Largest `Retry-After` honoured, in ms (default 120 000). */
  maxRetryAfterMs?: number;
  /** `max_tokens` of the judge reply (default: not sent, the server's default). */
  maxTokens?: number;
  /** `seed` sent with each request (QwenLong-L1 eval uses 42); default: not sent. */
  seed?: number;
  /** Seed of the backoff jitter (default 0); jitter changes timing only, never verdicts. */
  jitterSeed?: number;
}

/** One question for the judge. */
export interface JudgeRequest {
  /** The question (`problem` in the judge prompt). */
  problem: string;
  /** Answer 1: the extracted prediction. */
  prediction: string;
  /** Answer 2: the extracted gold. */
  gold: string;
}

export interface JudgeVerdict {
  /** 1 or 0 per the active rule (reference substring, or strict); null when the judge failed. */
  score: 0 | 1 | null;
  /** Reference verdict: substring `YES` in the reply. */
  yes: boolean;
  /** Strict verdict: last bracketed verdict is `[[YES]]`. */
  strictYes: boolean;
  /** The reply had a `[[YES]]`/`[[NO]]`. */
  hasVerdict: boolean;
  /** The judge's reply text (null on failure and for cache hits; the cache file keeps replies). */
  reply: string | null;
  /** Why the judge failed for good (null on success). */
  error: string | null;
  /** Served from the cache (persisted or in-process). */
  cached: boolean;
  /** HTTP attempts made for this verdict (0 when cached). */
  attempts: number;
}

export interface Judge {
  readonly model: string;
  judge(req: JudgeRequest): Promise<JudgeVerdict>;
  /** Judges many requests concurrently (bounded by `concurrency`), results in input order. */
  judgeMany(reqs: readonly JudgeRequest[]): Promise<JudgeVerdict[]>;
  /** Counter snapshot: `reward/judge_calls`, `judge/requests`, `judge/errors`, ... */
  counters(): Record<string, number>;
  /** Entries in the cache (loaded and new). */
  cacheSize(): number;
  /** Flushes and closes the cache file. */
  close(): void;
}

/** Every counter name, so a snapshot always has all of them (zeros included). */
export const JUDGE_COUNTERS = [
  'reward/judge_calls', // judge() calls
  'judge/requests', // HTTP attempts
  'judge/cache_hits', // served from cache (persisted or shared in-flight)
  'judge/cache_loaded', // entries read from the cache file at start
  'judge/cache_torn_lines', // unreadable cache lines skipped at start
  'judge/retries', // attempts after the first
  'judge/retry_after', // retries whose delay came from a Retry-After header
  'judge/timeouts',
  'judge/connection_errors', // refused, reset, dropped mid-reply
  'judge/http_429',
  'judge/http_5xx',
  'judge/http_4xx', // other 4xx (not retried, except 408)
  'judge/malformed', // non-JSON body or no choices[0].message
  'judge/errors', // verdicts that failed for good
  'judge/no_verdict', // replies with neither [[YES]] nor [[NO]]
  'judge/yes', // reference verdict YES
  'judge/strict_yes', // strict verdict [[YES]]
  'judge/verdict_disagree', // reference and strict verdicts differ
] as const;

export { chatCompletionsUrl, parseRetryAfter } from './openai-http.ts';

function cacheKey(req: JudgeRequest, model: string): string {
  return createHash('sha256').update(JSON.stringify([req.problem, req.prediction, req.gold, model])).digest('hex');
}

interface CacheLine {
  key: string;
  model: string;
  reply: string;
}

/** Creates a judge client. Reads the cache file (if any) now. */
export function createJudge(opts: JudgeOptions): Judge {
  const endpoint = chatCompletionsUrl(opts.url);
  const reference = opts.compat === 'reference';
  const concurrency = opts.concurrency ?? 8;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const maxRetries = opts.maxRetries ?? (reference ? 4 : 5);
  const baseMs = opts.backoffBaseMs ?? 1000;
  const maxMs = opts.backoffMaxMs ?? 64_000;
  const maxRetryAfterMs = opts.maxRetryAfterMs ?? 120_000;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UserError(`judge concurrency must be an integer >= 1 (got ${concurrency})`);
  if (!(timeoutMs > 0)) throw new UserError(`judge timeoutMs must be > 0 (got ${timeoutMs})`);
  if (!Number.isInteger(maxRetries) || maxRetries < 0) throw new UserError(`judge maxRetries must be an integer >= 0 (got ${maxRetries})`);
  const sem = new Semaphore(concurrency);
  const rng = new Rng(opts.jitterSeed ?? hash32(`judge-jitter:${opts.model}`));
  const counts: Record<string, number> = Object.fromEntries(JUDGE_COUNTERS.map((k) => [k, 0]));
  const bump = (k: string, n = 1): void => {
    counts[k] = (counts[k] ?? 0) + n;
  };

  // ---- cache: load, then append. In memory only the parsed verdict (3 bits) is kept, so
  // a long run's cache stays small; the file keeps the full replies for auditing.
  const cache = new Map<string, number>();
  const pack = (v: ParsedVerdict): number => (v.yes ? 1 : 0) | (v.strictYes ? 2 : 0) | (v.hasVerdict ? 4 : 0);
  const unpack = (b: number): ParsedVerdict => ({ yes: (b & 1) !== 0, strictYes: (b & 2) !== 0, hasVerdict: (b & 4) !== 0 });
  let writer: JsonlWriter | null = null;
  if (opts.cachePath !== undefined) {
    if (existsSync(opts.cachePath)) {
      const lines = readFileSync(opts.cachePath, 'utf8').split('\n');
      for (const raw of lines) {
        if (raw.trim() === '') continue;
        try {
          const line = JSON.parse(raw) as CacheLine;
          if (typeof line.key === 'string' && typeof line.reply === 'string') {
            cache.set(line.key, pack(parseVerdict(line.reply)));
            bump('judge/cache_loaded');
          } else bump('judge/cache_torn_lines');
        } catch {
          bump('judge/cache_torn_lines');
        }
      }
    } else {
      mkdirSync(dirname(opts.cachePath), { recursive: true });
    }
    writer = new JsonlWriter(opts.cachePath);
  }
  const inflight = new Map<string, Promise<JudgeVerdict>>();

  function verdictFrom(v: ParsedVerdict, reply: string | null, cached: boolean, attempts: number): JudgeVerdict {
    const score: 0 | 1 = (opts.strict ? v.strictYes : v.yes) ? 1 : 0;
    return { score, ...v, reply, error: null, cached, attempts };
  }

  function countVerdict(v: JudgeVerdict): void {
    if (v.yes) bump('judge/yes');
    if (v.strictYes) bump('judge/strict_yes');
    if (v.yes !== v.strictYes) bump('judge/verdict_disagree');
    if (!v.hasVerdict) bump('judge/no_verdict');
  }

  /** One HTTP exchange; throws AttemptError on any fault. */
  async function attempt(body: string): Promise<string> {
    bump('judge/requests');
    const text = await postJson(endpoint, body, opts.apiKey, timeoutMs);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new AttemptError('malformed', `reply is not JSON: ${JSON.stringify(text.slice(0, 100))}`);
    }
    const choice = (json as { choices?: { message?: { content?: unknown } }[] }).choices?.[0];
    if (!choice || typeof choice.message !== 'object' || choice.message === null) {
      throw new AttemptError('malformed', 'reply has no choices[0].message');
    }
    const content = choice.message.content;
    if (content === null || content === undefined) return '';
    if (typeof content !== 'string') throw new AttemptError('malformed', 'choices[0].message.content is not a string');
    return content;
  }

  function retryable(f: Fault): boolean {
    if (reference) return f === 'http_429';
    return f !== 'http_4xx';
  }

  function backoffMs(retry: number, retryAfterMs: number | null): number {
    if (retryAfterMs !== null) {
      bump('judge/retry_after');
      return Math.min(retryAfterMs, maxRetryAfterMs);
    }
    const d = Math.min(maxMs, baseMs * 2 ** retry);
    return reference ? d : d * (0.5 + 0.5 * rng.float());
  }

  async function call(req: JudgeRequest, key: string): Promise<JudgeVerdict> {
    const payload: Record<string, unknown> = {
      model: opts.model,
      messages: [
        { role: 'system', content: JUDGE_SYSTEM_PROMPT },
        { role: 'user', content: judgeUserMessage(req.problem, req.prediction, req.gold) },
      ],
      temperature: 0,
      n: 1,
    };
    if (opts.maxTokens !== undefined) payload.max_tokens = opts.maxTokens;
    if (opts.seed !== undefined) payload.seed = opts.seed;
    const body = JSON.stringify(payload);
    const out = await withRetries(() => sem.run(() => attempt(body)), {
      maxRetries,
      retryable,
      delayMs: backoffMs,
      onFault: (f) => bump(faultCounter('judge', f.fault)),
      onRetry: () => bump('judge/retries'),
    });
    if (!out.ok) {
      bump('judge/errors');
      return { score: null, yes: false, strictYes: false, hasVerdict: false, reply: null, error: out.why, cached: false, attempts: out.attempts };
    }
    const reply = out.value;
    const parsed = parseVerdict(reply);
    cache.set(key, pack(parsed));
    writer?.write({ key, model: opts.model, reply } satisfies CacheLine);
    const v = verdictFrom(parsed, reply, false, out.attempts);
    countVerdict(v);
    return v;
  }

  async function judge(req: JudgeRequest): Promise<JudgeVerdict> {
    bump('reward/judge_calls');
    const key = cacheKey(req, opts.model);
    const hit = cache.get(key);
    if (hit !== undefined) {
      bump('judge/cache_hits');
      return verdictFrom(unpack(hit), null, true, 0);
    }
    const running = inflight.get(key);
    if (running) {
      bump('judge/cache_hits');
      const v = await running;
      return { ...v, cached: true, attempts: 0 };
    }
    const p = call(req, key).finally(() => inflight.delete(key));
    inflight.set(key, p);
    return p;
  }

  return {
    model: opts.model,
    judge,
    judgeMany: (reqs) => Promise.all(reqs.map((r) => judge(r))),
    counters: () => ({ ...counts }),
    cacheSize: () => cache.size,
    close: () => {
      writer?.close();
      writer = null;
    },
  };
}
