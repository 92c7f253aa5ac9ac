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
 * `Retry-After`, up to `maxRetries`; every fault kind counted. The HTTP exchange, fault
 * classification and retry loop are the judge's (src/reward/openai-http.ts); reading the
 * reply (`reasoning_content`, `finish_reason`, `usage`) is this module's.
 */
import { AttemptError, chatCompletionsUrl, faultCounter, postJson, withRetries } from '../reward/openai-http.ts';
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

interface Answered {
  replies: TeacherReply[];
  promptTokens: number;
  completionTokens: number;
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
    bump('teacher/requests');
    return parseChatCompletion(await postJson(endpoint, body, opts.apiKey, timeoutMs));
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
    const out = await withRetries(() => sem.run(() => attempt(body)), {
      maxRetries,
      retryable: (f) => f !== 'http_4xx',
      delayMs: backoffMs,
      onFault: (f) => bump(faultCounter('teacher', f.fault)),
      onRetry: () => bump('teacher/retries'),
    });
    if (out.ok) return { answer: out.value, attempts: out.attempts };
    const e = new TeacherError(`teacher request for record "${id}" failed: ${out.why}`);
    (e as TeacherError & { attempts?: number }).attempts = out.attempts;
    throw e;
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
