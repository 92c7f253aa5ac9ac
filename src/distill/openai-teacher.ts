/**
 * A teacher behind an OpenAI-compatible `/v1/chat/completions` endpoint (vLLM or SGLang
 * serving a reasoning model, DeepSeek's API, longrl's own `serve`).
 *
 * One request asks for all K replies (`n: K`); servers that answer with fewer choices
 * (hosted APIs that ignore `n`) are topped up with further requests for the rest, each
 * with the next seed, so K replies come back either way.
 *
 * Robustness as the judge client's (src/reward/judge.ts, contracts.md §6): at most
 * `concurrency` requests in flight (the slot is released while a request waits to retry),
 * a per-request timeout over the whole exchange, retries on 429, 5xx, 408, time-outs,
 * dropped connections and malformed replies with exponential backoff, jitter and
 * `Retry-After`, up to `maxRetries`; every fault kind counted. The URL and `Retry-After`
 * parsing and the semaphore are the judge's; its attempt loop is private to it and
 * reads only `content`, so the loop is written again here for `reasoning_content`,
 * `finish_reason` and `usage`.
 */
import { chatCompletionsUrl, parseRetryAfter } from '../reward/judge.ts';
import { Semaphore } from '../reward/semaphore.ts';
import { Rng, hash32 } from '../util/rng.ts';
import { UserError } from '../util/errors.ts';
import { TeacherError, type Teacher, type TeacherReply, type TeacherRequest, type TeacherResult } from './teacher.ts';

export interface OpenAITeacherOptions {
  /** Server base URL (`http://host:port`, `.../v1`) or the full chat-completions URL. */
  url: string;
  /** Model name sent with each request. */
  model: string;
  apiKey?: string;
  /** Requests in flight at most (default 8). */
  concurrency?: number;
  /** Per-request timeout in ms, whole exchange (default 600 000: long reasoning replies). */
  timeoutMs?: number;
  /** Retries after the first try of each request (default 5). */
  maxRetries?: number;
  /** First backoff delay in ms (default 1000); doubles per retry, ×[0.5, 1) jitter. */
  backoffBaseMs?: number;
  /** Largest backoff delay in ms (default 64 000). */
  backoffMaxMs?: number;
  /** Largest `Retry-After` honoured, in ms (default 120 000). */
  maxRetryAfterMs?: number;
  /** Extra request fields (e.g. `top_k`, `min_p`), sent as given. */
  extraBody?: Record<string, unknown>;
}

/** Every counter, so a snapshot always has all of them. */
export const TEACHER_COUNTERS = [
  'teacher/requests', // HTTP attempts
  'teacher/retries', // attempts after the first
  'teacher/retry_after', // retries whose delay came from Retry-After
  'teacher/timeouts',
  'teacher/connection_errors', // refused, reset, dropped mid-reply
  'teacher/http_429',
  'teacher/http_5xx',
  'teacher/http_4xx', // other 4xx: not retried (except 408, counted as a time-out)
  'teacher/malformed', // non-JSON body, no choices, content of the wrong type
  'teacher/top_ups', // extra requests because a reply had fewer choices than asked
  'teacher/errors', // records whose requests failed for good
] as const;

type Fault = 'timeout' | 'connection' | 'http_429' | 'http_5xx' | 'http_408' | 'http_4xx' | 'malformed';

class AttemptError extends Error {
  constructor(readonly fault: Fault, message: string, readonly retryAfterMs: number | null = null) {
    super(message);
  }
}

interface Answered {
  replies: TeacherReply[];
  promptTokens: number;
  completionTokens: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function optString(v: unknown, what: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new AttemptError('malformed', `${what} is not a string`);
  return v;
}

/** Parses a chat-completions body into replies and usage; throws AttemptError('malformed'). */
export function parseChatCompletion(text: string): Answered {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AttemptError('malformed', `reply is not JSON: ${JSON.stringify(text.slice(0, 100))}`);
  }
  const choices = (json as { choices?: unknown }).choices;
  if (!Array.isArray(choices) || choices.length === 0) throw new AttemptError('malformed', 'reply has no choices');
  const replies = choices.map((c, i): TeacherReply => {
    const msg = (c as { message?: unknown } | null)?.message;
    if (typeof msg !== 'object' || msg === null) throw new AttemptError('malformed', `choices[${i}] has no message`);
    const m = msg as Record<string, unknown>;
    const reasoning = optString(m['reasoning_content'], `choices[${i}].message.reasoning_content`) ?? optString(m['reasoning'], `choices[${i}].message.reasoning`);
    const finish = (c as { finish_reason?: unknown }).finish_reason;
    return {
      content: optString(m['content'], `choices[${i}].message.content`) ?? '',
      reasoningContent: reasoning,
      finishReason: typeof finish === 'string' ? finish : null,
    };
  });
  const usage = (json as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } }).usage;
  const tokens = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return { replies, promptTokens: tokens(usage?.prompt_tokens), completionTokens: tokens(usage?.completion_tokens) };
}

export function createOpenAITeacher(opts: OpenAITeacherOptions): Teacher {
  const endpoint = chatCompletionsUrl(opts.url);
  const concurrency = opts.concurrency ?? 8;
  const timeoutMs = opts.timeoutMs ?? 600_000;
  const maxRetries = opts.maxRetries ?? 5;
  const baseMs = opts.backoffBaseMs ?? 1000;
  const maxMs = opts.backoffMaxMs ?? 64_000;
  const maxRetryAfterMs = opts.maxRetryAfterMs ?? 120_000;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UserError(`--concurrency must be an integer >= 1 (got ${concurrency})`);
  if (!(timeoutMs > 0)) throw new UserError(`teacher timeout must be > 0 ms (got ${timeoutMs})`);
  if (!Number.isInteger(maxRetries) || maxRetries < 0) throw new UserError(`--retries must be an integer >= 0 (got ${maxRetries})`);
  const sem = new Semaphore(concurrency);
  const rng = new Rng(hash32(`teacher-jitter:${opts.model}`));
  const counts: Record<string, number> = Object.fromEntries(TEACHER_COUNTERS.map((k) => [k, 0]));
  const bump = (k: string): void => {
    counts[k] = (counts[k] ?? 0) + 1;
  };

  async function attempt(body: string): Promise<Answered> {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), timeoutMs);
    bump('teacher/requests');
    try {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
      let res: Response;
      let text: string;
      try {
        res = await fetch(endpoint, { method: 'POST', headers, body, signal: ctl.signal });
        text = await res.text();
      } catch (err) {
        if (ctl.signal.aborted) throw new AttemptError('timeout', `no complete reply within ${timeoutMs} ms`);
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        throw new AttemptError('connection', `connection failed: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
      }
      const ra = (): number | null => parseRetryAfter(res.headers.get('retry-after'));
      if (res.status === 429) throw new AttemptError('http_429', 'HTTP 429', ra());
      if (res.status === 408) throw new AttemptError('http_408', 'HTTP 408', ra());
      if (res.status >= 500) throw new AttemptError('http_5xx', `HTTP ${res.status}: ${text.slice(0, 200)}`, ra());
      if (res.status >= 400 || res.status < 200) throw new AttemptError('http_4xx', `HTTP ${res.status}: ${text.slice(0, 200)}`);
      return parseChatCompletion(text);
    } finally {
      clearTimeout(timer);
    }
  }

  function backoffMs(retry: number, retryAfterMs: number | null): number {
    if (retryAfterMs !== null) {
      bump('teacher/retry_after');
      return Math.min(retryAfterMs, maxRetryAfterMs);
    }
    return Math.min(maxMs, baseMs * 2 ** retry) * (0.5 + 0.5 * rng.float());
  }

  /** One request with retries; returns the answer and the attempts spent, or throws TeacherError. */
  async function request(payload: Record<string, unknown>, id: string): Promise<{ answer: Answered; attempts: number }> {
    const body = JSON.stringify(payload);
    let attempts = 0;
    for (let retry = 0; ; retry++) {
      attempts++;
      let fault: AttemptError;
      try {
        return { answer: await sem.run(() => attempt(body)), attempts };
      } catch (err) {
        if (!(err instanceof AttemptError)) throw err;
        fault = err;
      }
      bump(fault.fault === 'timeout' || fault.fault === 'http_408' ? 'teacher/timeouts'
        : fault.fault === 'connection' ? 'teacher/connection_errors'
        : `teacher/${fault.fault}`);
      const retryable = fault.fault !== 'http_4xx';
      if (!retryable || retry >= maxRetries) {
        const why = retryable ? `${fault.message} (gave up after ${attempts} tries)` : fault.message;
        const e = new TeacherError(`teacher request for record "${id}" failed: ${why}`);
        (e as TeacherError & { attempts?: number }).attempts = attempts;
        throw e;
      }
      bump('teacher/retries');
      await sleep(backoffMs(retry, fault.retryAfterMs));
    }
  }

  async function sample(req: TeacherRequest): Promise<TeacherResult> {
    const replies: TeacherReply[] = [];
    let promptTokens = 0;
    let completionTokens = 0;
    let attempts = 0;
    try {
      // Top-up rounds: at most K requests in all (each returns at least one choice).
      for (let round = 0; replies.length < req.n && round < req.n; round++) {
        if (round > 0) bump('teacher/top_ups');
        const want = req.n - replies.length;
        const payload: Record<string, unknown> = {
          ...opts.extraBody,
          model: opts.model,
          messages: req.messages,
          n: want,
          max_tokens: req.maxTokens,
          temperature: req.temperature,
          top_p: req.topP,
          seed: (req.seed + round) >>> 0,
        };
        const got = await request(payload, req.id);
        attempts += got.attempts;
        replies.push(...got.answer.replies.slice(0, want));
        promptTokens += got.answer.promptTokens;
        completionTokens += got.answer.completionTokens;
      }
    } catch (err) {
      if (err instanceof TeacherError) bump('teacher/errors');
      throw err;
    }
    return { replies, promptTokens, completionTokens, attempts };
  }

  return {
    name: opts.model,
    kind: 'openai',
    sample,
    counters: () => ({ ...counts }),
    close: async () => {},
  };
}
