/**
 * A pool of inference endpoints with health checks and least-loaded routing: a request goes
 * to the healthy endpoint with the fewest requests in flight (ties: the lowest index), an
 * endpoint that fails at the connection level is marked unhealthy until a health check
 * (`GET <url>/health`, both vLLM and SGLang serve it) passes again.
 */
import { UserError } from '../../util/errors.ts';
import { fetchJsonOnce } from './http.ts';

export interface Endpoint {
  url: string;
  inFlight: number;
  healthy: boolean;
  served: number;
  /** Weight version the endpoint holds (0 = base weights until a sync, -1 = a failed load); only current ones serve. */
  weightVersion: number;
}

export class EndpointPool {
  readonly endpoints: Endpoint[];

  constructor(urls: readonly string[], private readonly healthTimeoutMs = 5000) {
    if (urls.length === 0) throw new UserError('sampler.urls is empty: give at least one inference server URL');
    this.endpoints = urls.map((u) => ({ url: u.replace(/\/+$/, ''), inFlight: 0, healthy: true, served: 0, weightVersion: 0 }));
  }

  /** Checks every endpoint (`GET /health`); returns how many are healthy. */
  async checkHealth(): Promise<number> {
    await Promise.all(this.endpoints.map(async (e) => {
      try {
        await fetchJsonOnce(`${e.url}/health`, undefined, { timeoutMs: this.healthTimeoutMs }, 'GET');
        e.healthy = true;
      } catch {
        e.healthy = false;
      }
    }));
    return this.endpoints.filter((e) => e.healthy).length;
  }

  /** Endpoints that may serve now: healthy and holding `version` (when given). */
  usable(version?: number): Endpoint[] {
    return this.endpoints.filter((e) => e.healthy && (version === undefined || e.weightVersion === version));
  }

  /** Reserves the least-loaded usable endpoint (in-flight + 1; re-checks health when none is). */
  async pick(version?: number): Promise<Endpoint> {
    let live = this.usable(version);
    if (live.length === 0 && (await this.checkHealth()) > 0) live = this.usable(version);
    if (live.length === 0) throw new UserError(`no healthy inference server${version !== undefined ? ` holding weight version ${version}` : ''} among ${this.endpoints.map((e) => e.url).join(', ')}`);
    const e = live.reduce((best, x) => (x.inFlight < best.inFlight ? x : best));
    e.inFlight++;
    return e;
  }

  /** Runs `fn` on picked endpoints, moving to another one after a failure (up to `attempts`). */
  async run<T>(fn: (e: Endpoint) => Promise<T>, attempts: number, onRetry?: (e: Endpoint, err: unknown) => void, version?: number): Promise<T> {
    let last: unknown;
    for (let i = 0; i < attempts; i++) {
      const e = await this.pick(version);
      try {
        const out = await fn(e);
        e.served++;
        return out;
      } catch (err) {
        last = err;
        if (err instanceof UserError && !('status' in err && ((err as { status: number }).status >= 500 || (err as { status: number }).status === 429))) throw err;
        if (!(err instanceof UserError)) e.healthy = false;
        onRetry?.(e, err);
      } finally {
        e.inFlight--;
      }
    }
    throw last;
  }
}
