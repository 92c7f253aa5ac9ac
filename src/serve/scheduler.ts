/**
 * A small batching scheduler: requests that arrive within one short window are grouped
 * into ONE `sample` call per group of identical sampling settings, so that concurrent
 * clients share the decode steps (one GEMM per step over all their rows) instead of
 * queueing behind each other.
 *
 * Grouping key: n, temperature, top-p, top-k, max tokens and stop strings. A request
 * that sets `seed` with temperature > 0 runs in its own call (seeded with its seed), so
 * its samples are reproducible whatever else is pending: the engine derives each
 * sample's random stream from (seed, prompt position, sample index). Greedy requests
 * (temperature 0) are deterministic in any batch.
 */
import type { SampleParams, SampledSequence } from '../policy/types.ts';

export type SampleFn = (prompts: number[][], params: SampleParams) => Promise<SampledSequence[][]>;

/** Sampling settings of one request; `seed` null when the client gave none. */
export type JobParams = Omit<SampleParams, 'seed'> & { seed: number | null };

interface Job {
  prompts: number[][];
  params: JobParams;
  key: string;
  resolve: (r: SampledSequence[][]) => void;
  reject: (e: unknown) => void;
}

export interface SchedulerStats {
  /** Requests submitted. */
  requests: number;
  /** `sample` calls made. */
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
  /** Seed of the calls whose requests gave none (each call takes the next derived one). */
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
  /** Requests received but not yet submitted (body and prompt still being prepared). */
  private arriving = 0;
  private windowStart = 0;
  private unique = 0;
  private callCounter = 0;

  constructor(private readonly sample: SampleFn, private readonly opts: SchedulerOptions) {}

  submit(prompts: number[][], params: JobParams): Promise<SampledSequence[][]> {
    if (this.pending.length >= (this.opts.maxQueue ?? 1024)) return Promise.reject(new QueueFullError(`${this.pending.length} requests are waiting; retry later`));
    this.stats.requests++;
    const ownCall = params.seed !== null && params.temperature > 0;
    const key = ownCall
      ? `own:${this.unique++}`
      : JSON.stringify([params.n, params.temperature, params.topP, params.topK, params.maxTokens, params.stopStrings ?? [], params.stopTokenIds ?? []]);
    return new Promise((resolve, reject) => {
      this.pending.push({ prompts, params, key, resolve, reject });
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

  /**
   * Runs what is pending now, group by group; requests that arrive meanwhile wait for the
   * next window (the engine blocks the event loop while it samples, so they are still being
   * parsed when a call ends: an immediate next call would take only the first of them).
   */
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
    const first = group[0]!.params;
    const seed = first.seed !== null && first.temperature > 0 ? first.seed : this.opts.baseSeed + this.callCounter;
    this.callCounter++;
    const prompts = group.flatMap((j) => j.prompts);
    this.stats.sampleCalls++;
    if (group.length > 1) this.stats.batchedCalls++;
    this.stats.maxRequestsPerCall = Math.max(this.stats.maxRequestsPerCall, group.length);
    try {
      const { seed: _s, ...rest } = first;
      const out = await this.sample(prompts, { ...rest, seed });
      let at = 0;
      for (const j of group) {
        const mine = out.slice(at, at + j.prompts.length);
        at += j.prompts.length;
        for (const p of j.prompts) this.stats.promptTokens += p.length;
        for (const g of mine) for (const s of g) this.stats.completionTokens += s.tokens.length;
        j.resolve(mine);
      }
    } catch (e) {
      for (const j of group) j.reject(e);
    }
  }
}
