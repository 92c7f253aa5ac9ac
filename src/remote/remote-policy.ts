/**
 * `RemotePolicy`: the `Policy` seam (src/policy/types.ts) over the Tinker JSON API —
 * hosted Tinker, SkyRL tx, or longrl's own `serve --tinker` (remote-backends.md).
 *
 * Ordering: training calls carry `seq_id` 1, 2, 3, …; their POSTs go out strictly one after
 * another (each answers only a future id) and results are awaited in parallel, so
 * `forward_backward` and `optim_step` are in flight together (hosted "clock cycles").
 * Batches are split under `maxDatumsPerRequest` / `maxRequestBytes`; each chunk has its
 * own `seq_id` and gradients accumulate until `optim_step`.
 *
 * Loss (remote-backends.md §2): `forward` gives per-token logprobs, longrl's pure loss gives
 * dL/dlogp, then
 * - backend `tinker` (losses are sums): one `forward_backward` with `cross_entropy` and
 *   weights w = −dL/dlogp, whose gradient is exactly Σ dL/dlogp·∇logp;
 * - backend `skyrl` (JAX backend: each datum's loss ÷ Σw, the gradient ÷ number of datums):
 *   `importance_sampling` with logq = the forward pass's logprobs (ratio 1), unit weights on
 *   the datum's mask and advantages A = −dL/dlogp · Σw · N, N = datums in the optimizer
 *   step. N is only known at `optimStep`, so under `skyrl` the backward requests are queued
 *   and sent just before `optim_step`. SkyRL ignores `grad_clip_norm`: a non-zero clip is
 *   reported (counter `remote/grad_clip_ignored`), not silently assumed.
 * The backend comes from the server's capabilities (longrl servers say how they normalise;
 * the hosted URL is `tinker`; other self-hosted servers are taken as SkyRL) or the config.
 *
 * Logprobs at positions whose mask is 0 are reported as 0, as LocalPolicy does. Entropy
 * and sampling temperatures ≠ 1 in training are not available over the API.
 */
import { mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type {
  AdamParams, Datum, ForwardBackwardOutput, ForwardOutput, LossFn, OptimStepOutput, Policy, SampleParams, SampledSequence,
} from '../policy/types.ts';
import { Rng } from '../util/rng.ts';
import { UserError } from '../util/errors.ts';
import { readJsonFile, writeJsonAtomic } from '../util/fsx.ts';
import { TinkerClient, type Json, type TinkerClientOptions } from './tinker-client.ts';
import type { FastPathLossFn } from './fast-path.ts';

export type RemoteBackend = 'tinker' | 'skyrl';

export interface RemotePolicyOptions extends Omit<TinkerClientOptions, 'apiKey'> {
  /** `base_model` as the server names it. */
  baseModel: string;
  /** LoRA rank; 0 = full fine-tuning. */
  loraRank: number;
  loraSeed?: number;
  /** Name of the environment variable holding the API key (the key itself is never configured). */
  apiKeyEnv?: string;
  /** `auto` (default): from the server's capabilities and URL. */
  backend?: RemoteBackend | 'auto';
  /** Datums per request (default 1024) and request body bytes (default 5 MB). */
  maxDatumsPerRequest?: number;
  maxRequestBytes?: number;
  /** Heartbeat period in ms (default 10 000). */
  heartbeatMs?: number;
  /** Continue from a remote checkpoint (`tinker://…/weights/…`) as the model's first request. */
  loadPath?: string;
}

interface Ordered {
  result: Promise<Json>;
}

interface QueuedBackward {
  datums: readonly Datum[];
  dLogprobs: Float32Array[];
  rawLogprobs: Float32Array[];
}

const CHECKPOINT_FILE = 'remote_checkpoint.json';

function float32(values: ArrayLike<number>): { data: ArrayLike<number>; dtype: 'float32' } {
  return { data: values, dtype: 'float32' };
}

function stripCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '';
  }
}

export class RemotePolicy implements Policy {
  readonly client: TinkerClient;
  backend: RemoteBackend = 'tinker';
  sessionId = '';
  /** The server's context limit for the base model (null when not advertised): check it before a long curriculum stage. */
  maxContextLength: number | null = null;
  modelId = '';
  private extensions: string[] = [];
  private ignoresGradClip = false;
  private nextSeq = 1;
  private chain: Promise<unknown> = Promise.resolve();
  private broken: Error | null = null;
  private modelSeq = 0;
  private samplerSeq = 0;
  private samplingSessionId: string | null = null;
  private asampleSeq = 0;
  private weightsVersion = 0;
  private samplerVersion = -1;
  private stepCount = 0;
  private pending: Promise<Json>[] = [];
  private queued: QueuedBackward[] = [];
  private heartbeat: NodeJS.Timeout | null = null;

  private constructor(readonly opts: RemotePolicyOptions) {
    let apiKey: string | undefined;
    if (opts.apiKeyEnv) {
      apiKey = process.env[opts.apiKeyEnv];
      if (!apiKey) throw new UserError(`policy.apiKeyEnv names ${opts.apiKeyEnv}, but that environment variable is empty; export it before the run`);
    }
    this.client = new TinkerClient({ ...opts, ...(apiKey ? { apiKey } : {}) });
  }

  /** Opens a session (with heartbeat), detects the backend and creates the model. */
  static async create(opts: RemotePolicyOptions): Promise<RemotePolicy> {
    const p = new RemotePolicy(opts);
    await p.open();
    return p;
  }

  /** Retry and fault counters of the client (`remote/...`). */
  get counters(): Record<string, number> {
    return this.client.counters;
  }

  get step(): number {
    return this.stepCount;
  }

  private async open(): Promise<void> {
    const caps = await this.client.call('get_server_capabilities', undefined, 'GET');
    const models = Array.isArray(caps['supported_models']) ? (caps['supported_models'] as Json[]) : [];
    const names = models.map((m) => String(m['model_name']));
    if (names.length && !names.includes(this.opts.baseModel)) {
      throw new UserError(`policy.baseModel "${this.opts.baseModel}" is not served at ${this.opts.url}; it serves: ${names.join(', ')}`);
    }
    const served = models.find((m) => String(m['model_name']) === this.opts.baseModel);
    if (typeof served?.['max_context_length'] === 'number') this.maxContextLength = served['max_context_length'];
    const ext = caps['longrl'] as Json | undefined;
    this.extensions = Array.isArray(ext?.['extensions']) ? (ext['extensions'] as string[]) : [];
    const detected: RemoteBackend = ext ? (ext['normalize'] === 'skyrl' ? 'skyrl' : 'tinker') : /thinkingmachines/.test(this.opts.url) ? 'tinker' : 'skyrl';
    this.backend = !this.opts.backend || this.opts.backend === 'auto' ? detected : this.opts.backend;
    this.ignoresGradClip = ext ? !!ext['ignores_grad_clip'] : this.backend === 'skyrl';
    this.opts.log?.(`remote policy: ${stripCredentials(this.opts.url)} as backend ${this.backend} (${this.backend === 'skyrl' ? 'importance_sampling mapping of longrl losses' : 'cross_entropy with weights -dL/dlogp'})${this.ignoresGradClip ? '; the server ignores grad_clip_norm' : ''}`);
    const s = await this.client.call('create_session', { tags: ['longrl'], user_metadata: {}, sdk_version: '0.24.0-longrl' });
    this.sessionId = String(s['session_id']);
    const every = this.opts.heartbeatMs ?? 10_000;
    let beating = false;
    this.heartbeat = setInterval(() => {
      if (beating) return;
      beating = true;
      this.client.call('session_heartbeat', { session_id: this.sessionId }).then(
        () => this.bump('remote/heartbeat'),
        (e: Error) => {
          this.bump('remote/heartbeat_failed');
          this.opts.log?.(`tinker: heartbeat failed (${e.message}); the server drops the session after 300 s without one`);
        },
      ).finally(() => {
        beating = false;
      });
    }, every);
    this.heartbeat.unref();
    try {
      await this.createModel();
      if (this.opts.loadPath) await this.loadPath(this.opts.loadPath);
    } catch (e) {
      this.close();
      throw e;
    }
  }

  private bump(key: string): void {
    this.client.counters[key] = (this.client.counters[key] ?? 0) + 1;
  }

  private async createModel(): Promise<void> {
    const m = await this.client.op('create_model', {
      session_id: this.sessionId,
      model_seq_id: this.modelSeq++,
      base_model: this.opts.baseModel,
      lora_config: { rank: this.opts.loraRank, ...(this.opts.loraSeed !== undefined ? { seed: this.opts.loraSeed } : {}) },
    });
    this.modelId = String(m['model_id']);
    this.nextSeq = 1;
    this.chain = Promise.resolve();
  }

  /** Submits a training call in `seq_id` order; the result is awaited separately. */
  private ordered(route: string, body: Json): Ordered {
    if (this.broken) throw this.broken;
    const full = { ...body, model_id: this.modelId, seq_id: this.nextSeq++ };
    const post = this.chain.then(() => {
      if (this.broken) throw this.broken;
      return this.client.submit(route, full);
    });
    this.chain = post.catch((e: Error) => {
      this.broken ??= new UserError(`remote policy: ${route} could not be submitted, later training calls would wait forever (${e.message}); resume the run from its last checkpoint`);
    });
    const result = post.then((id) => this.client.retrieve(route, id, () => this.client.submit(route, full)));
    return { result };
  }

  /** Splits encoded datums into requests under the count and size limits. */
  private chunks<T>(items: readonly T[], encode: (x: T) => Json): Json[][] {
    const maxN = this.opts.maxDatumsPerRequest ?? 1024;
    const maxBytes = this.opts.maxRequestBytes ?? 5_000_000;
    const out: Json[][] = [];
    let cur: Json[] = [];
    let bytes = 0;
    for (const x of items) {
      const e = encode(x);
      const b = JSON.stringify(e).length;
      if (cur.length && (cur.length >= maxN || bytes + b > maxBytes)) {
        out.push(cur);
        cur = [];
        bytes = 0;
      }
      cur.push(e);
      bytes += b;
    }
    if (cur.length) out.push(cur);
    return out;
  }

  private encode(d: Datum, inputs: Record<string, { data: ArrayLike<number>; dtype: 'int64' | 'float32' }>): Json {
    // Masked targets may be negative placeholders locally; servers want token ids.
    const targets = d.targetTokens_T.some((x) => x < 0) ? d.targetTokens_T.map((x) => Math.max(x, 0)) : d.targetTokens_T;
    const lfi: Record<string, { data: ArrayLike<number>; dtype: 'int64' | 'float32' }> = { target_tokens: { data: targets, dtype: 'int64' }, ...inputs };
    if (this.extensions.includes('mask')) lfi['mask'] = float32(d.mask_T);
    const enc: Json = {};
    for (const [k, v] of Object.entries(lfi)) enc[k] = { data: Array.from(v.data), dtype: v.dtype, shape: [v.data.length] };
    return { model_input: { chunks: [{ type: 'encoded_text', tokens: Array.from(d.inputTokens_T) }] }, loss_fn_inputs: enc };
  }

  private static logprobsOf(reply: Json, n: number, route: string): Float32Array[] {
    const outs = reply['loss_fn_outputs'];
    if (!Array.isArray(outs) || outs.length !== n) throw new UserError(`Tinker ${route}: expected ${n} loss_fn_outputs, got ${Array.isArray(outs) ? outs.length : 'none'}`);
    return outs.map((o: Json) => Float32Array.from(((o['logprobs'] as Json | undefined)?.['data'] as number[] | undefined) ?? []));
  }

  private checkOpts(what: string, opts: { entropy?: boolean; temperature?: number }): void {
    if (opts.entropy) throw new UserError(`${what}: the Tinker API returns no entropy; turn off losses that read it (entropy bonus, negative-gradient clipping) for remote policies`);
    if ((opts.temperature ?? 1) !== 1) throw new UserError(`${what}: the Tinker API computes logprobs at temperature 1 only; set the training temperature to 1 for remote policies`);
  }

  /** Raw logprobs from `forward` (every position the server computed). */
  private async forwardRaw(datums: readonly Datum[]): Promise<Float32Array[]> {
    const groups = this.chunks(datums, (d) => this.encode(d, { weights: float32(new Float32Array(d.mask_T.length)) }));
    const replies = groups.map((data) => this.ordered('forward', { forward_input: { data, loss_fn: 'cross_entropy' } }).result);
    const out: Float32Array[] = [];
    for (const [i, r] of (await Promise.all(replies)).entries()) out.push(...RemotePolicy.logprobsOf(r, groups[i]!.length, 'forward'));
    out.forEach((lp, i) => {
      if (lp.length !== datums[i]!.mask_T.length) throw new UserError(`Tinker forward: datum ${i} came back with ${lp.length} logprobs for ${datums[i]!.mask_T.length} tokens`);
    });
    return out;
  }

  private static masked(raw: readonly Float32Array[], datums: readonly Datum[]): Float32Array[] {
    return raw.map((lp, i) => {
      const m = datums[i]!.mask_T;
      const out = new Float32Array(lp.length);
      for (let t = 0; t < lp.length; t++) if (m[t] !== 0) out[t] = lp[t]!;
      return out;
    });
  }

  async forward(datums: readonly Datum[], opts: { entropy?: boolean; temperature?: number } = {}): Promise<ForwardOutput> {
    this.checkOpts('forward', opts);
    return { logprobs: RemotePolicy.masked(await this.forwardRaw(datums), datums), entropy: null };
  }

  async forwardBackward(datums: readonly Datum[], lossFn: LossFn, opts: { temperature?: number } = {}): Promise<ForwardBackwardOutput> {
    this.checkOpts('forwardBackward', { entropy: !!lossFn.needsEntropy, ...opts });
    const fast = (lossFn as FastPathLossFn).tinkerPpo;
    if (fast) {
      if (this.backend === 'tinker' && datums.every((d) => d.extra?.['oldLogprobs_T'])) return this.ppoFastPath(datums, lossFn, fast);
      this.bump('remote/fast_path_fallback');
    }
    const raw = await this.forwardRaw(datums);
    const logprobs = RemotePolicy.masked(raw, datums);
    const out = lossFn({ datums, logprobs, entropy: null });
    if (out.dLogprobs.length !== datums.length) throw new Error(`loss returned ${out.dLogprobs.length} gradients for ${datums.length} datums`);
    if (this.backend === 'skyrl') {
      this.queued.push({ datums, dLogprobs: out.dLogprobs, rawLogprobs: raw });
    } else {
      const items = datums.map((d, i) => ({ d, w: out.dLogprobs[i]!.map((g) => -g) }));
      for (const data of this.chunks(items, (x) => this.encode(x.d, { weights: float32(x.w) }))) {
        this.pending.push(this.ordered('forward_backward', { forward_backward_input: { data, loss_fn: 'cross_entropy' } }).result);
      }
    }
    return { logprobs, entropy: null, loss: out.loss, metrics: out.metrics };
  }

  /** One `ppo` forward_backward (fast-path.ts); loss and metrics re-evaluated here from its logprobs. */
  private async ppoFastPath(datums: readonly Datum[], lossFn: LossFn, fast: NonNullable<FastPathLossFn['tinkerPpo']>): Promise<ForwardBackwardOutput> {
    let tokens = 0;
    for (const d of datums) for (let t = 0; t < d.mask_T.length; t++) if (d.mask_T[t]! > 0) tokens++;
    const c = fast.constant(tokens);
    const encode = (d: Datum) => {
      const A = d.extra?.['advantages_T'];
      if (!A) throw new UserError('ppo fast path: a datum has no extra.advantages_T');
      const A_T = new Float64Array(d.mask_T.length);
      for (let t = 0; t < A_T.length; t++) if (d.mask_T[t]! > 0) A_T[t] = A[t]! * d.mask_T[t]! * c;
      return this.encode(d, { logprobs: float32(d.extra!['oldLogprobs_T']!), advantages: float32(A_T) });
    };
    const groups = this.chunks(datums, encode);
    const replies = groups.map((data) => this.ordered('forward_backward', {
      forward_backward_input: { data, loss_fn: 'ppo', loss_fn_config: { clip_low_threshold: fast.clipLowThreshold, clip_high_threshold: fast.clipHighThreshold } },
    }).result);
    const raw: Float32Array[] = [];
    for (const [i, r] of (await Promise.all(replies)).entries()) raw.push(...RemotePolicy.logprobsOf(r, groups[i]!.length, 'forward_backward'));
    const logprobs = RemotePolicy.masked(raw, datums);
    const out = lossFn({ datums, logprobs, entropy: null });
    return { logprobs, entropy: null, loss: out.loss, metrics: out.metrics };
  }

  /** SkyRL mapping (module doc): the queued backward passes as importance_sampling requests. */
  private flushSkyrl(): void {
    const N = this.queued.reduce((s, q) => s + q.datums.length, 0);
    const items = this.queued.flatMap((q) => q.datums.map((d, i) => ({ d, g: q.dLogprobs[i]!, lp: q.rawLogprobs[i]! })));
    this.queued = [];
    const encode = ({ d, g, lp }: (typeof items)[number]) => {
      const T = d.mask_T.length;
      const w_T = new Float32Array(T);
      let s = 0;
      for (let t = 0; t < T; t++) if (d.mask_T[t] !== 0) {
        w_T[t] = 1;
        s++;
      }
      const A_T = new Float64Array(T);
      for (let t = 0; t < T; t++) if (w_T[t] !== 0) A_T[t] = -g[t]! * s * N;
      return this.encode(d, { weights: float32(w_T), logprobs: float32(lp), advantages: float32(A_T) });
    };
    for (const data of this.chunks(items, encode)) {
      this.pending.push(this.ordered('forward_backward', { forward_backward_input: { data, loss_fn: 'importance_sampling' } }).result);
    }
  }

  async optimStep(params: AdamParams): Promise<OptimStepOutput> {
    if (this.backend === 'skyrl') this.flushSkyrl();
    if (params.gradClipNorm > 0 && this.ignoresGradClip) this.bump('remote/grad_clip_ignored');
    const step = this.ordered('optim_step', {
      adam_params: {
        learning_rate: params.learningRate, beta1: params.beta1, beta2: params.beta2, eps: params.eps,
        weight_decay: params.weightDecay, grad_clip_norm: params.gradClipNorm,
      },
    }).result;
    const pending = this.pending;
    this.pending = [];
    const [r] = await Promise.all([step, ...pending]);
    this.stepCount++;
    this.weightsVersion++;
    const metrics = (r!['metrics'] ?? {}) as Record<string, number>;
    return { gradNorm: typeof metrics['grad_norm:mean'] === 'number' ? metrics['grad_norm:mean'] : NaN, step: this.stepCount };
  }

  private async sampler(): Promise<string> {
    if (this.samplingSessionId && this.samplerVersion === this.weightsVersion) return this.samplingSessionId;
    const r = await this.ordered('save_weights_for_sampler', { sampling_session_seq_id: this.samplerSeq++ }).result;
    const id = r['sampling_session_id'];
    if (typeof id !== 'string') throw new UserError(`Tinker save_weights_for_sampler returned no sampling_session_id`);
    this.samplingSessionId = id;
    this.samplerVersion = this.weightsVersion;
    this.asampleSeq = 0;
    return id;
  }

  /**
   * One `asample` per prompt (in parallel). Prompt 0 samples with `seed` itself (so a
   * one-prompt call matches LocalPolicy exactly); prompt i > 0 with a seed derived from
   * (seed, i).
   */
  async sample(prompts: readonly (readonly number[])[], params: SampleParams): Promise<SampledSequence[][]> {
    const stopIds = params.stopTokenIds ?? [];
    const stopStrings = params.stopStrings ?? [];
    if (stopIds.length && stopStrings.length) throw new UserError('remote sampling: give stop token ids or stop strings, not both (the Tinker API takes one kind)');
    const sid = await this.sampler();
    const replies = prompts.map((prompt, i) => {
      const seed = i === 0 ? params.seed : Rng.derive(params.seed, `remote-prompt/${i}`).int(2 ** 31);
      return this.client.op('asample', {
        sampling_session_id: sid,
        seq_id: this.asampleSeq++,
        num_samples: params.n,
        prompt: { chunks: [{ type: 'encoded_text', tokens: Array.from(prompt) }] },
        sampling_params: {
          max_tokens: params.maxTokens, temperature: params.temperature, top_p: params.topP, top_k: params.topK,
          stop: stopIds.length ? Array.from(stopIds) : Array.from(stopStrings), seed,
        },
      });
    });
    return (await Promise.all(replies)).map((r, i) => {
      const seqs = r['sequences'];
      if (!Array.isArray(seqs)) throw new UserError(`Tinker asample for prompt ${i}: reply has no sequences`);
      return seqs.map((s: Json) => ({
        tokens: (s['tokens'] as number[]) ?? [],
        logprobs: (s['logprobs'] as number[]) ?? [],
        finishReason: s['stop_reason'] === 'length' ? 'length' : 'stop',
      }));
    });
  }

  /** Saves the full remote state (`save_weights`) and records its `tinker://` path in `dir`. */
  async save(dir: string): Promise<void> {
    if (this.queued.length || this.pending.length) throw new UserError('remote policy: save() between forwardBackward and optimStep is not supported (gradients live on the server)');
    const name = `step-${this.stepCount}`;
    const r = await this.ordered('save_weights', { path: name }).result;
    mkdirSync(dir, { recursive: true });
    writeJsonAtomic(join(dir, CHECKPOINT_FILE), {
      format: 'longrl-remote-policy/1', tinker_path: r['path'], base_model: this.opts.baseModel,
      lora_rank: this.opts.loraRank, step: this.stepCount, url: stripCredentials(this.opts.url),
    });
  }

  /** Loads a checkpoint written by `save` into a fresh remote model (load_weights must be a model's first request). */
  async load(dir: string): Promise<void> {
    const file = join(dir, CHECKPOINT_FILE);
    if (!existsSync(file)) throw new UserError(`${file} not found: this is not a remote-policy checkpoint folder`);
    const ck = readJsonFile<{ tinker_path: string; step: number; lora_rank: number }>(file);
    if (ck.lora_rank !== this.opts.loraRank) throw new UserError(`${file}: checkpoint has LoRA rank ${ck.lora_rank}, policy.lora_rank is ${this.opts.loraRank}`);
    await this.loadPath(ck.tinker_path);
    this.stepCount = ck.step;
  }

  private async loadPath(path: string): Promise<void> {
    if (this.nextSeq !== 1) await this.createModel();
    await this.ordered('load_weights', { path, optimizer: true }).result;
    this.weightsVersion++;
  }

  /** The Tinker API has no download of HF weights: saves a sampler checkpoint and names it. */
  async exportHF(dir: string): Promise<void> {
    const r = await this.ordered('save_weights_for_sampler', { path: `export-step-${this.stepCount}` }).result;
    throw new UserError(`exportHF: the Tinker API cannot send weights back; the server saved them as ${String(r['path'])} (download with the Tinker CLI or from the server's state folder) — nothing was written to ${dir}`);
  }

  /** Stops the heartbeat (the server unloads the model after its session expires). */
  close(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}
