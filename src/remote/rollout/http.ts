/**
 * JSON over HTTP for rollout servers, with retries on 429, 5xx, time-outs and dropped
 * connections (backoff min(base·2^n, max), `Retry-After` honoured); other 4xx raise a
 * `UserError` that names the server and route. Retries are counted in `counters`.
 */
import { UserError } from '../../util/errors.ts';

export interface HttpRetryOptions {
  timeoutMs?: number;
  retries?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  apiKey?: string;
  /** Retry connection failures on the same URL (default true; a pool rather moves on). */
  retryConnection?: boolean;
}

export class HttpStatusError extends UserError {
  constructor(readonly url: string, readonly status: number, detail: string) {
    super(`${url}: HTTP ${status}: ${detail}`);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One attempt; throws HttpStatusError on a non-2xx status, the fetch error on connection failures. */
export async function fetchJsonOnce(url: string, body: unknown, opts: HttpRetryOptions = {}, method: 'GET' | 'POST' = 'POST'): Promise<unknown> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.apiKey) headers['authorization'] = `Bearer ${opts.apiKey}`;
  const res = await fetch(url, {
    method,
    headers,
    ...(method === 'POST' ? { body: JSON.stringify(body ?? {}) } : {}),
    signal: AbortSignal.timeout(opts.timeoutMs ?? 600_000),
  });
  const text = await res.text();
  if (!res.ok) {
    const err = new HttpStatusError(url, res.status, text.slice(0, 300));
    (err as HttpStatusError & { retryAfter?: string | null }).retryAfter = res.headers.get('retry-after');
    throw err;
  }
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UserError(`${url}: reply is not JSON: ${text.slice(0, 200)}`);
  }
}

export function retryable(e: unknown): boolean {
  if (e instanceof HttpStatusError) return e.status === 408 || e.status === 429 || e.status >= 500;
  return !(e instanceof UserError);
}

/** `fetchJsonOnce` with retries (see the module doc). */
export async function fetchJson(url: string, body: unknown, opts: HttpRetryOptions = {}, counters?: Record<string, number>, method: 'GET' | 'POST' = 'POST'): Promise<unknown> {
  const retries = opts.retries ?? 5;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetchJsonOnce(url, body, opts, method);
    } catch (e) {
      if (!retryable(e) || attempt >= retries || (opts.retryConnection === false && !(e instanceof HttpStatusError))) throw e;
      const key = e instanceof HttpStatusError ? `rollout/retry_${e.status === 429 ? '429' : e.status >= 500 ? '5xx' : e.status}` : 'rollout/retry_connection';
      if (counters) counters[key] = (counters[key] ?? 0) + 1;
      const ra = Number((e as { retryAfter?: string | null }).retryAfter ?? NaN) * 1000;
      const exp = Math.min((opts.backoffBaseMs ?? 500) * 2 ** attempt, opts.backoffMaxMs ?? 30_000);
      await sleep(Number.isFinite(ra) && ra >= 0 ? Math.min(ra, opts.backoffMaxMs ?? 30_000) : exp);
    }
  }
}
