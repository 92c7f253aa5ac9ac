/**
 * The HTTP side shared by the clients of OpenAI-compatible `/v1/chat/completions`
 * endpoints (the judge, src/reward/judge.ts, and the distillation teacher,
 * src/distill/openai-teacher.ts; contracts.md §6): the endpoint URL, one POST exchange
 * under a timeout with every fault classified, `Retry-After` parsing, and the retry loop.
 * Each client keeps its own retry policy (which faults are retried, the backoff) and its
 * own counters, given to `withRetries` as functions; reading the reply stays with the client.
 */
import { UserError } from '../util/errors.ts';

export type Fault = 'timeout' | 'connection' | 'http_429' | 'http_5xx' | 'http_408' | 'http_4xx' | 'malformed';

/** One failed attempt: what went wrong and the server's `Retry-After` (ms) if it sent one. */
export class AttemptError extends Error {
  constructor(
    readonly fault: Fault,
    message: string,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }
}

/** `http://h:p` → `http://h:p/v1/chat/completions`; `.../v1` gets `/chat/completions`. */
export function chatCompletionsUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`judge URL "${url}" is not a valid URL (expected e.g. http://127.0.0.1:8000/v1)`);
  }
  const path = u.pathname.replace(/\/+$/, '');
  if (path.endsWith('/chat/completions')) return u.toString();
  u.pathname = path.endsWith('/v1') ? `${path}/chat/completions` : `${path}/v1/chat/completions`;
  return u.toString();
}

/** `Retry-After` in ms: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : Math.max(0, t - now);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * One POST of a JSON body; the timeout covers the whole exchange (reply body included).
 * Returns the body text of a 2xx/3xx reply; throws AttemptError for a time-out, a failed
 * connection, 429, 408, 5xx (with `Retry-After`) and other 4xx.
 */
export async function postJson(endpoint: string, body: string, apiKey: string | undefined, timeoutMs: number): Promise<string> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  try {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
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
    return text;
  } finally {
    clearTimeout(timer);
  }
}

/** The counter a fault is counted under: a time-out or 408 as `<prefix>/timeouts`. */
export function faultCounter(prefix: string, f: Fault): string {
  if (f === 'timeout' || f === 'http_408') return `${prefix}/timeouts`;
  if (f === 'connection') return `${prefix}/connection_errors`;
  return `${prefix}/${f}`;
}

export interface RetryPolicy {
  /** Retries after the first try. */
  maxRetries: number;
  retryable: (f: Fault) => boolean;
  /** Delay before retry number `retry` (0-based); `retryAfterMs` is the server's, if any. */
  delayMs: (retry: number, retryAfterMs: number | null) => number;
  /** Called for every failed attempt (before deciding to retry). */
  onFault: (f: AttemptError) => void;
  /** Called before each retry's wait. */
  onRetry: () => void;
}

export type RetryOutcome<T> =
  | { ok: true; value: T; attempts: number }
  | { ok: false; attempts: number; fault: AttemptError; why: string };

/**
 * Runs `attempt` until it succeeds, fails with a fault that is not retried, or the retries
 * run out; waits `delayMs` between tries (nothing is held while waiting: callers take their
 * concurrency slot inside `attempt`). Errors other than AttemptError propagate.
 */
export async function withRetries<T>(attempt: () => Promise<T>, policy: RetryPolicy): Promise<RetryOutcome<T>> {
  let attempts = 0;
  for (let retry = 0; ; retry++) {
    attempts++;
    let fault: AttemptError;
    try {
      return { ok: true, value: await attempt(), attempts };
    } catch (err) {
      if (!(err instanceof AttemptError)) throw err;
      fault = err;
    }
    policy.onFault(fault);
    const retryable = policy.retryable(fault.fault);
    if (!retryable || retry >= policy.maxRetries) {
      const why = retryable ? `${fault.message} (gave up after ${attempts} tries)` : fault.message;
      return { ok: false, attempts, fault, why };
    }
    policy.onRetry();
    await sleep(policy.delayMs(retry, fault.retryAfterMs));
  }
}
