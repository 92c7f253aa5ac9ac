/**
 * HTTP client of the Tinker JSON API (remote-backends.md §1), with the documented rules for
 * futures: a reply of `try_again` or HTTP 408 is polled again at once; 429, 5xx and dropped
 * connections back off min(base·2^n, max) (honouring `Retry-After`); 410 ("promise lost")
 * resubmits the original request with the same `seq_id`; a failed future raises; every
 * operation has an overall deadline (futures have been seen stuck for hours:
 * tinker-feedback#37). Every retry is counted in `counters` (`remote/...`).
 *
 * The API key goes into the `X-API-Key` header and nowhere else: it is never logged.
 */
import { UserError } from '../util/errors.ts';

export type Json = Record<string, unknown>;

export interface TinkerClientOptions {
  /** Base URL of the service, e.g. `http://127.0.0.1:8000` (routes are under `/api/v1/`). */
  url: string;
  apiKey?: string;
  /** Timeout of one HTTP call in ms (default 60 000; long polls are held ≤ 30 s). */
  httpTimeoutMs?: number;
  /** Deadline of one operation (submit + result) in ms (default 2 h). */
  operationDeadlineMs?: number;
  /** First backoff in ms (default 1000), doubled per retry up to `backoffMaxMs` (default 30 000). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Most consecutive failed attempts of one HTTP call before giving up (default 12). */
  maxRetries?: number;
  log?: (line: string) => void;
}

/** A failed remote request: `category` "User" means the request was wrong (our bug or config). */
export class TinkerRequestError extends UserError {
  constructor(readonly route: string, readonly status: number, readonly category: string, detail: string) {
    super(`Tinker ${route} failed (${status}${category ? `, ${category}` : ''}): ${detail}`);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class TinkerClient {
  readonly counters: Record<string, number> = {};
  private readonly base: string;
  private readonly o: Required<Omit<TinkerClientOptions, 'apiKey' | 'log' | 'url'>>;
  private readonly log: (line: string) => void;

  constructor(private readonly opts: TinkerClientOptions) {
    this.base = opts.url.replace(/\/+$/, '');
    this.o = {
      httpTimeoutMs: opts.httpTimeoutMs ?? 60_000,
      operationDeadlineMs: opts.operationDeadlineMs ?? 2 * 3600_000,
      backoffBaseMs: opts.backoffBaseMs ?? 1000,
      backoffMaxMs: opts.backoffMaxMs ?? 30_000,
      maxRetries: opts.maxRetries ?? 12,
    };
    this.log = opts.log ?? (() => {});
  }

  private count(key: string): void {
    this.counters[key] = (this.counters[key] ?? 0) + 1;
  }

  private backoffMs(attempt: number, retryAfter: string | null): number {
    const ra = retryAfter === null ? NaN : Number(retryAfter) * 1000;
    const exp = Math.min(this.o.backoffBaseMs * 2 ** attempt, this.o.backoffMaxMs);
    return Number.isFinite(ra) && ra >= 0 ? Math.min(ra, this.o.backoffMaxMs) : exp;
  }

  /** One HTTP exchange: status and parsed body, or a thrown network error. */
  private async exchange(method: 'GET' | 'POST', route: string, body?: Json): Promise<{ status: number; body: Json; retryAfter: string | null }> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.opts.apiKey) headers['x-api-key'] = this.opts.apiKey;
    const res = await fetch(`${this.base}/api/v1/${route}`, {
      method,
      headers,
      ...(method === 'POST' ? { body: JSON.stringify(body ?? {}) } : {}),
      signal: AbortSignal.timeout(this.o.httpTimeoutMs),
    });
    const text = await res.text();
    let parsed: Json = {};
    if (text.trim() !== '') {
      try {
        const v = JSON.parse(text) as unknown;
        parsed = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : { value: v };
      } catch {
        parsed = { detail: text.slice(0, 300) };
      }
    }
    return { status: res.status, body: parsed, retryAfter: res.headers.get('retry-after') };
  }

  /**
   * A plain call with retries on 408, 429, 5xx and connection errors (safe for training
   * calls: a repeated `seq_id` is the same request on the server).
   */
  async call(route: string, body?: Json, method: 'GET' | 'POST' = 'POST'): Promise<Json> {
    for (let attempt = 0; ; attempt++) {
      let r: Awaited<ReturnType<TinkerClient['exchange']>> | null = null;
      let failure: string;
      try {
        r = await this.exchange(method, route, body);
        if (r.status >= 200 && r.status < 300) return r.body;
        if (r.status !== 408 && r.status !== 429 && r.status < 500) {
          throw new TinkerRequestError(route, r.status, r.status === 404 ? 'NotFound' : 'User', String(r.body['detail'] ?? r.body['error'] ?? JSON.stringify(r.body)));
        }
        failure = `HTTP ${r.status}`;
        this.count(r.status === 429 ? 'remote/retry_429' : r.status === 408 ? 'remote/retry_408' : 'remote/retry_5xx');
      } catch (e) {
        if (e instanceof TinkerRequestError) throw e;
        failure = `connection: ${(e as Error).message}`;
        this.count('remote/retry_connection');
      }
      if (attempt + 1 >= this.o.maxRetries) throw new UserError(`Tinker ${route} at ${this.base}: gave up after ${attempt + 1} attempts (last: ${failure})`);
      const wait = this.backoffMs(attempt, r?.retryAfter ?? null);
      this.log(`tinker ${route}: ${failure}; retry ${attempt + 1} in ${wait} ms`);
      await sleep(wait);
    }
  }

  /** POSTs a request that answers a future; returns its request id. */
  async submit(route: string, body: Json): Promise<string> {
    const r = await this.call(route, body);
    const id = r['request_id'];
    if (typeof id !== 'string') throw new TinkerRequestError(route, 200, 'Server', `reply has no request_id: ${JSON.stringify(r).slice(0, 200)}`);
    return id;
  }

  /** Long-polls a future until its result (see the module doc for the rules). */
  async retrieve(route: string, requestId: string, resubmit: () => Promise<string>, deadline = Date.now() + this.o.operationDeadlineMs): Promise<Json> {
    let id = requestId;
    let failures = 0;
    for (;;) {
      if (Date.now() > deadline) throw new UserError(`Tinker ${route}: no result for request ${id} within ${Math.round(this.o.operationDeadlineMs / 1000)} s (operation deadline)`);
      let r: Awaited<ReturnType<TinkerClient['exchange']>>;
      try {
        r = await this.exchange('POST', 'retrieve_future', { request_id: id, allow_metadata_only: false });
      } catch (e) {
        // A long poll our HTTP timeout cut (SkyRL holds polls up to 300 s) is "not yet", not a failure.
        if ((e as Error).name === 'TimeoutError') {
          this.count('remote/poll_timeout');
          continue;
        }
        this.count('remote/retry_connection');
        if (++failures >= this.o.maxRetries) throw new UserError(`Tinker retrieve_future for ${route}: gave up after ${failures} connection failures (${(e as Error).message})`);
        await sleep(this.backoffMs(failures - 1, null));
        continue;
      }
      const b = r.body;
      if (r.status === 200 && b['type'] === 'try_again') {
        this.count('remote/try_again');
        failures = 0;
        continue;
      }
      if (r.status === 200 && (b['type'] === 'request_failed' || (typeof b['error'] === 'string' && b['category'] !== undefined))) {
        throw new TinkerRequestError(route, 200, String(b['category'] ?? ''), String(b['error']));
      }
      if (r.status === 200) return b;
      if (r.status === 408) {
        this.count('remote/retry_408');
        continue;
      }
      if (r.status === 410) {
        this.count('remote/resubmit_410');
        this.log(`tinker ${route}: promise ${id} lost (410); resubmitting with the same seq_id`);
        id = await resubmit();
        continue;
      }
      if (r.status === 429 || r.status >= 500) {
        this.count(r.status === 429 ? 'remote/retry_429' : 'remote/retry_5xx');
        if (++failures >= this.o.maxRetries) throw new UserError(`Tinker retrieve_future for ${route}: gave up after ${failures} answers of HTTP ${r.status}`);
        await sleep(this.backoffMs(failures - 1, r.retryAfter));
        continue;
      }
      throw new TinkerRequestError(route, r.status, r.status === 404 ? 'NotFound' : 'User', String(b['detail'] ?? JSON.stringify(b)));
    }
  }

  /** Submit and retrieve in one (for calls whose order does not matter). */
  async op(route: string, body: Json): Promise<Json> {
    const deadline = Date.now() + this.o.operationDeadlineMs;
    const id = await this.submit(route, body);
    return this.retrieve(route, id, () => this.submit(route, body), deadline);
  }
}
