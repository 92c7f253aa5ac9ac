/**
 * A small batching scheduler: requests that arrive within one short window are grouped
 * into ONE engine call per group of identical sampling settings, so that concurrent
 * clients share the decode steps (one GEMM per step over all their rows) instead of
 * queueing behind each other.
 *
 * Grouping key: n, temperature, top-p, top-k, max tokens, stop strings and stop ids.
 * Seeds do not split groups: each prompt carries its request's seed and its position in
 * its request, from which the engine loop (stream.ts) derives its random streams, so a
 * request gets the same samples batched or alone. A request without a seed takes the
 * server seed plus its arrival number.
 */
import type { SampleParams } from '../policy/types.ts';
import type { LoopResult, PromptJob } from './stream.ts';

export type SampleFn = (prompts: PromptJob[], params: Omit<SampleParams, 'seed'>) => Promise<LoopResult[]>;

/** Sampling settings of one request; `seed` null when the client gave none. */
export type JobParams = Omit<SampleParams, 'seed'> & { seed: number | null; topLogprobs: number };

interface Job {
  prompts: number[][];
  params: JobParams;
  seed: number;
  key: string;
  resolve: (r: LoopResult[]) => void;
  reject: (e: unknown) => void;
}

export interface SchedulerStats {
  /** Requests submitted (streams included). */
  requests: number;
  /** Engine calls made for unstreamed requests. */
  sampleCalls: number;
  /** Calls that served more than one request. */
  batchedCalls: number;
  /** Most requests served by one call. */
  maxRequestsPerCall: number;
  promptTokens: number;
  completionTokens: number;
}

export interface SchedulerOptions {
  /** How long the first pending request waits for company (ms). */
  windowMs: number;
  /** Most prompts (times n) in one call. */
  maxRowsPerCall: number;
  /** Seed of requests that give none (plus their arrival number). */
  baseSeed: number;
  /** Most requests waiting; beyond it `submit` refuses with {@link QueueFullError} (default 1024). */
  maxQueue?: number;
}

/** The queue is full: the server answers 429 so that clients back off. */
export class QueueFullError extends Error {}

export class BatchScheduler {
  readonly stats: SchedulerStats = { requests: 0, sampleCalls: 0, batchedCalls: 0, maxRequestsPerCall: 0, promptTokens: 0, completionTokens: 0 };
  private pending: Job[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private arrivals = 0;
  /** Requests received but not yet submitted (body and prompt still being prepared). */
  private arriving = 0;
  private windowStart = 0;

  constructor(private readonly sample: SampleFn, private readonly opts: SchedulerOptions) {}

  /** The seed of a request: its own, or the server seed plus its arrival number. */
  seedFor(seed: number | null): number {
    return seed !== null ? seed : (this.opts.baseSeed + this.arrivals++) >>> 0;
  }

  submit(prompts: number[][], params: JobParams): Promise<LoopResult[]> {
    if (this.pending.length >= (this.opts.maxQueue ?? 1024)) return Promise.reject(new QueueFullError(`${this.pending.length} requests are waiting; retry later`));
    this.stats.requests++;
    const key = JSON.stringify([params.n, params.temperature, params.topP, params.topK, params.maxTokens, params.stopStrings ?? [], params.stopTokenIds ?? []]);
    const seed = this.seedFor(params.seed);
    return new Promise((resolve, reject) => {
      this.pending.push({ prompts, params, seed, key, resolve, reject });
      this.arm();
    });
  }

  /**
   * The server calls `arrive()` when a generation request comes in and `leave()` once it
   * has been submitted (or failed): a window that ends while requests are still being read
   * waits for them (up to 20 windows), so a burst of simultaneous requests shares one call.
   */
  arrive(): void {
    this.arriving++;
  }

  leave(): void {
    this.arriving = Math.max(0, this.arriving - 1);
  }

  private arm(): void {
    if (this.timer || this.running || this.pending.length === 0) return;
    this.windowStart = Date.now();
    const fire = () => {
      this.timer = null;
      if (this.arriving > 0 && Date.now() - this.windowStart < 20 * Math.max(1, this.opts.windowMs)) {
        this.timer = setTimeout(fire, 1);
        return;
      }
      void this.flush();
    };
    this.timer = setTimeout(fire, this.opts.windowMs);
  }

  /** Runs what is pending now, group by group; later arrivals wait for the next window. */
  private async flush(): Promise<void> {
    this.running = true;
    try {
      let batch = this.pending;
      this.pending = [];
      while (batch.length > 0) {
        const first = batch[0]!;
        const group: Job[] = [];
        let rows = 0;
        const rest: Job[] = [];
        for (const j of batch) {
          const r = j.prompts.length * j.params.n;
          if (j.key === first.key && (group.length === 0 || rows + r <= this.opts.maxRowsPerCall)) {
            group.push(j);
            rows += r;
          } else rest.push(j);
        }
        batch = rest;
        await this.runGroup(group);
      }
    } finally {
      this.running = false;
      this.arm();
    }
  }

  private async runGroup(group: Job[]): Promise<void> {
    const { seed: _s, topLogprobs: _t, ...params } = group[0]!.params;
    const prompts: PromptJob[] = group.flatMap((j) => j.prompts.map((ids, label) => ({ ids, seed: j.seed, label, topLogprobs: j.params.topLogprobs })));
    this.stats.sampleCalls++;
    if (group.length > 1) this.stats.batchedCalls++;
    this.stats.maxRequestsPerCall = Math.max(this.stats.maxRequestsPerCall, group.length);
    try {
      const out = await this.sample(prompts, params);
      let at = 0;
      for (const j of group) {
        const mine = out.slice(at, at + j.prompts.length);
        at += j.prompts.length;
        for (const p of j.prompts) this.stats.promptTokens += p.length;
        for (const g of mine) for (const s of g.seqs) this.stats.completionTokens += s.tokens.length;
        j.resolve(mine);
      }
    } catch (e) {
      for (const j of group) j.reject(e);
    }
  }
}
