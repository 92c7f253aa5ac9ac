/**
 * Sampling with a KV cache: each prompt is prefilled ONCE (one causal forward over the
 * whole prompt, keeping keys and values), then its n samples decode together. In a decode
 * step all active rows of all groups go through the projections as one GEMM (the weights
 * are read once per step, not once per sample); each group's queries attend to the shared
 * prompt keys in one non-causal attention call (Tq = group size), each row attends to its
 * own generated suffix, and the two partial attentions are merged with their saved
 * log-sum-exps (as flash-decoding merges splits):
 *   out = (e^{l1−m}·o1 + e^{l2−m}·o2) / (e^{l1−m} + e^{l2−m}),  m = max(l1, l2).
 * On the native backend the whole step is one call (engine `decodeStep`, native/decode.inc)
 * doing the same with the same sharing (see `Decoder`).
 *
 * Randomness: sample j of prompt i draws from its own stream Rng.derive(seed, "sample/i/j"),
 * so results do not depend on batching or on the other samples.
 */
import type { SampleParams, SampledSequence, FinishReason } from '../policy/types.ts';
import { Rng } from '../util/rng.ts';
import { UserError } from '../util/errors.ts';
import { KvCache } from './kvcache.ts';
import { finishLayer, fusedGateUp, projectQkv, projectQkvFused, SLOT } from './layer.ts';
import type { QwenModel } from './qwen.ts';
import { TokenPicker } from './sampler.ts';
import { Workspace } from './workspace.ts';
import { decodePlan, fillDecodeRows } from './fused-decode.ts';

/** One row of a decode step: the token to feed, the shared prefix and the row's own cache. */
export interface DecodeRow {
  token: number;
  prefix: KvCache;
  /**
   * The row's own cache for generated tokens, or null when the row owns `prefix` alone (a
   * single sample): its tokens are appended to `prefix` (capacity must allow) and one
   * attention call covers everything.
   */
  suffix: KvCache | null;
}

/**
 * Batched one-token decode over preallocated buffers (no allocation per step).
 *
 * Two paths with the same results (within float32 rounding): the fused step (one native
 * call for all layers and the LM head, engine `decodeStep`) when the backend has it and the
 * policy has no unmerged LoRA adapters, else the per-kernel step (`stepKernels`, also the
 * TypeScript fallback's and the LoRA policy's path).
 */
export class Decoder {
  private readonly ws: Workspace;
  private readonly xa: Float32Array;
  private readonly xb: Float32Array;
  private readonly o1: Float32Array;
  private readonly o2: Float32Array;
  private readonly l1: Float32Array;
  private readonly l2: Float32Array;
  private readonly ids: Int32Array;
  private readonly pos: Int32Array;
  private readonly hf: Float32Array;
  private readonly rstd: Float32Array;
  readonly logits: Float32Array;
  private readonly qkv: Float32Array;
  private readonly guBuf: Float32Array;
  /** Per layer, the adjacent gate+up weights as one matrix (null if not adjacent). */
  private readonly guW: (Float32Array | null)[];

  /** LoRA rank the buffers were made for. */
  readonly loraRank: number;
  /** The fused step's plan (null: this decoder always runs kernel by kernel). */
  private readonly plan: Float64Array | null;
  private readonly rowInfo: Int32Array;
  private readonly caches: Float32Array[] = [];
  /** Use the fused step when there is one (false forces the per-kernel path: tests, benchmarks). */
  fused = true;

  constructor(readonly model: QwenModel, readonly maxRows: number) {
    const d = model.weights.dims;
    this.loraRank = model.lora ? model.lora.rank : 0;
    this.ws = new Workspace(d, model.cfg.qkNorm, false, model.lora ? model.lora.rank : 0);
    this.ws.ensure(maxRows);
    this.xa = new Float32Array(maxRows * d.hidden);
    this.xb = new Float32Array(maxRows * d.hidden);
    this.o1 = new Float32Array(maxRows * d.qDim);
    this.o2 = new Float32Array(maxRows * d.qDim);
    this.l1 = new Float32Array(maxRows * d.H);
    this.l2 = new Float32Array(maxRows * d.H);
    this.ids = new Int32Array(maxRows);
    this.pos = new Int32Array(maxRows);
    this.hf = new Float32Array(maxRows * d.hidden);
    this.rstd = new Float32Array(maxRows);
    this.logits = new Float32Array(maxRows * d.vocab);
    this.qkv = new Float32Array(maxRows * d.qkvDim);
    this.guBuf = new Float32Array(maxRows * 2 * d.inter);
    this.guW = model.weights.views.layers.map(fusedGateUp);
    this.plan = model.k.decodeStep ? decodePlan(model) : null;
    this.rowInfo = new Int32Array(4 * maxRows);
  }

  /** Whether `step` runs the fused native step. */
  get usesFused(): boolean {
    return this.fused && this.plan !== null && this.model.lora === null;
  }

  /**
   * Feeds one token per row (rows sharing a prefix must be adjacent) and returns the
   * logits [rows, vocab] (a view of a reused buffer). Each row's suffix grows by one.
   */
  step(rows: readonly DecodeRow[]): Float32Array {
    if (!this.usesFused) return this.stepKernels(rows);
    const S = rows.length;
    if (S > this.maxRows) throw new RangeError(`decode step of ${S} rows > maxRows ${this.maxRows}`);
    const m = this.model;
    let maxPos = 0;
    for (let r = 0; r < S; r++) {
      const row = rows[r]!;
      this.ids[r] = row.token;
      maxPos = Math.max(maxPos, row.prefix.length + (row.suffix ? row.suffix.length : 0));
    }
    m.ensurePositions(maxPos + 1);
    fillDecodeRows(rows, this.rowInfo, this.caches);
    const logits = this.logits.subarray(0, S * m.weights.dims.vocab);
    m.k.decodeStep!({
      weights: m.weights.data, plan: this.plan!, cos: m.rope.cos, sin: m.rope.sin, ids: this.ids.subarray(0, S),
      rows: this.rowInfo, caches: this.caches, logits,
    });
    for (const row of rows) (row.suffix ?? row.prefix).length++;
    return logits;
  }

  /** The same step kernel by kernel (the fallback's path, and the reference the fused step is tested against). */
  stepKernels(rows: readonly DecodeRow[]): Float32Array {
    const S = rows.length;
    if (S > this.maxRows) throw new RangeError(`decode step of ${S} rows > maxRows ${this.maxRows}`);
    const m = this.model;
    const k = m.k;
    const d = m.weights.dims;
    const { hidden, qDim, kvDim, H, Hkv, D } = d;
    let maxPos = 0;
    for (let r = 0; r < S; r++) {
      const row = rows[r]!;
      this.ids[r] = row.token;
      this.pos[r] = row.prefix.length + (row.suffix ? row.suffix.length : 0);
      maxPos = Math.max(maxPos, this.pos[r]!);
    }
    m.ensurePositions(maxPos + 1);
    const c = m.ctx();
    const ws = this.ws;
    const w = m.weights.views;
    const scale = 1 / Math.sqrt(D);
    let x = this.xa;
    let out = this.xb;
    k.embeddingForward(w.embed, this.ids.subarray(0, S), x, hidden);
    for (let l = 0; l < d.layers; l++) {
      const p = w.layers[l]!;
      const lora = m.lora?.layers[l] ?? null;
      k.rmsnormForward(x, p.inNorm, ws.h1, ws.rstd1, S, hidden, c.eps);
      if (lora && (lora[SLOT.q] || lora[SLOT.k] || lora[SLOT.v])) projectQkv(c, p, lora, ws, S, this.pos);
      else projectQkvFused(c, p, ws, S, this.pos, this.qkv);
      for (let r = 0; r < S; r++) {
        const row = rows[r]!;
        const own = row.suffix ?? row.prefix;
        own.write(l, own.length, ws.k.subarray(r * kvDim), ws.v.subarray(r * kvDim), 1);
      }
      for (let a = 0; a < S;) {
        const prefix = rows[a]!.prefix;
        if (rows[a]!.suffix === null) {
          // A single sample owning its cache: one call over prompt + generated tokens.
          k.attentionForward({
            q: ws.q.subarray(a * qDim), k: prefix.k[l]!, v: prefix.v[l]!, out: ws.att.subarray(a * qDim), lse: null,
            Tq: 1, Tk: prefix.length + 1, H, Hkv, D, scale, causal: false, qPos0: 0,
          });
          a++;
          continue;
        }
        let b = a + 1;
        while (b < S && rows[b]!.prefix === prefix) b++;
        // Shared prefix: one call for the group's queries batched.
        k.attentionForward({
          q: ws.q.subarray(a * qDim), k: prefix.k[l]!, v: prefix.v[l]!, out: this.o1.subarray(a * qDim), lse: this.l1.subarray(a * H),
          Tq: b - a, Tk: prefix.length, H, Hkv, D, scale, causal: false, qPos0: 0,
        });
        // Own suffix (including the token just written), then the merge.
        for (let r = a; r < b; r++) {
          const suf = rows[r]!.suffix!;
          k.attentionForward({
            q: ws.q.subarray(r * qDim), k: suf.k[l]!, v: suf.v[l]!, out: this.o2.subarray(r * qDim), lse: this.l2.subarray(r * H),
            Tq: 1, Tk: suf.length + 1, H, Hkv, D, scale, causal: false, qPos0: 0,
          });
        }
        mergeAttention(this.o1.subarray(a * qDim), this.l1.subarray(a * H), this.o2.subarray(a * qDim), this.l2.subarray(a * H),
          ws.att.subarray(a * qDim), (b - a) * H, D);
        a = b;
      }
      const guW = this.guW[l]!;
      finishLayer(c, p, lora, ws, S, x, out, guW ? { W: guW, buf: this.guBuf } : null);
      const t = x;
      x = out;
      out = t;
    }
    for (const row of rows) (row.suffix ?? row.prefix).length++;
    k.rmsnormForward(x, w.finalNorm, this.hf, this.rstd, S, hidden, c.eps);
    const logits = this.logits.subarray(0, S * d.vocab);
    k.sgemm(false, true, S, d.vocab, hidden, 1, this.hf, hidden, w.lmHead, hidden, 0, logits, d.vocab);
    return logits;
  }
}

/** Merges two partial attentions over disjoint key sets by their log-sum-exps (per head row of D). */
export function mergeAttention(o1: Float32Array, l1: Float32Array, o2: Float32Array, l2: Float32Array, out: Float32Array, heads: number, D: number): void {
  for (let i = 0; i < heads; i++) {
    const a = l1[i]!;
    const b = l2[i]!;
    const mx = a > b ? a : b;
    const ea = a === -Infinity ? 0 : Math.exp(a - mx);
    const eb = b === -Infinity ? 0 : Math.exp(b - mx);
    const inv = 1 / (ea + eb);
    const wa = ea * inv;
    const wb = eb * inv;
    const o = i * D;
    for (let j = 0; j < D; j++) out[o + j] = wa * o1[o + j]! + wb * o2[o + j]!;
  }
}

export interface GenerateOptions {
  /** Decoder for stop strings (token ids → text). */
  decode?: (ids: readonly number[]) => string;
  /** Most rows decoded together (groups are batched in waves up to this many samples). */
  maxBatchRows?: number;
  /** A decoder to reuse (its buffers), used when it belongs to this model and has enough rows. */
  decoder?: Decoder;
}

/** One prompt of a `sampleSteps` call: its ids and its random streams' seed and label. */
export interface StepPrompt {
  ids: readonly number[];
  /** Sample j draws from Rng.derive(seed, `sample/${label}/${j}`). */
  seed: number;
  label: number | string;
}

/** One sampled token, reported as soon as it is picked. */
export interface TokenEvent {
  /** Index of the prompt in the call. */
  prompt: number;
  /** Sample index (0..n-1). */
  sample: number;
  token: number;
  logprob: number;
  /** The logits the token was picked from ([vocab], a view valid only during the callback). */
  logits: Float32Array;
  /** Set when this token ended the sample. */
  finish: FinishReason | null;
}

export interface StepOptions {
  /** Token ids → text for stop strings (without it, stop strings are not checked). */
  decode?: (ids: readonly number[]) => string;
  /** Most rows decoded together (default 64; whole prompts per wave, at least one). */
  maxBatchRows?: number;
  /** A decoder to reuse (its buffers), used when it belongs to this model and has enough rows. */
  decoder?: Decoder;
  /** Called for every sampled token, in row order, before the generator yields. */
  onToken?: (ev: TokenEvent) => void;
  /** Checked before each wave and each decode step: true stops sampling early. */
  aborted?: () => boolean;
}

interface Stream {
  prompt: number;
  sample: number;
  rng: Rng;
  group: Group;
  suffix: KvCache | null;
  tokens: number[];
  logprobs: number[];
  finish: FinishReason | null;
}

interface Group { prompt: number; prefix: KvCache }

function validate(params: SampleParams): void {
  if (!Number.isInteger(params.n) || params.n < 1) throw new UserError(`sampling n must be a positive integer, got ${params.n}`);
  if (!Number.isInteger(params.maxTokens) || params.maxTokens < 0) throw new UserError(`maxTokens must be a non-negative integer, got ${params.maxTokens}`);
  if (!(params.temperature >= 0)) throw new UserError(`temperature must be >= 0, got ${params.temperature}`);
  if (!(params.topP > 0 && params.topP <= 1)) throw new UserError(`topP must be in (0, 1], got ${params.topP}`);
}

/** Samples `params.n` continuations of every prompt (see the module doc). */
export function generate(model: QwenModel, prompts: readonly (readonly number[])[], params: SampleParams, opts: GenerateOptions = {}): SampledSequence[][] {
  validate(params);
  const d = model.weights.dims;
  if (params.maxTokens === 0) {
    return prompts.map(() => Array.from({ length: params.n }, () => ({ tokens: [], logprobs: [], finishReason: 'length' as FinishReason })));
  }
  const stopStrings = (params.stopStrings ?? []).filter((s) => s.length > 0);
  if (stopStrings.length > 0 && !opts.decode) throw new UserError('stop strings need a tokenizer (decode function)');
  prompts.forEach((prompt, pi) => {
    if (prompt.length === 0) throw new UserError(`prompt ${pi} is empty: sampling needs at least one prompt token`);
    for (const id of prompt) if (!(Number.isInteger(id) && id >= 0 && id < d.vocab)) throw new UserError(`prompt ${pi}: token id ${id} is outside the vocabulary [0, ${d.vocab})`);
  });
  const steps = sampleSteps(model, prompts.map((ids, label) => ({ ids, seed: params.seed, label })), params, opts);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * The one decode loop (used by `generate` and by the serve engine): yields after each
 * prompt's prefill and after each decode step, so a caller can hand control to the event
 * loop or flush the tokens it got through `onToken`; returns every prompt's samples (a prompt
 * whose wave never started, when aborted, gets none; an aborted sample ends as 'length').
 * Does not validate: `generate` does.
 */
export function* sampleSteps(model: QwenModel, prompts: readonly StepPrompt[], params: Omit<SampleParams, 'seed'>, opts: StepOptions = {}): Generator<void, SampledSequence[][], void> {
  const d = model.weights.dims;
  const results: SampledSequence[][] = prompts.map(() => []);
  const maxRows = Math.max(params.n, opts.maxBatchRows ?? 64);
  const picker = new TokenPicker(d.vocab);
  const stopIds = new Set(params.stopTokenIds ?? []);
  const stopStrings = (params.stopStrings ?? []).filter((s) => s.length > 0);
  const tail = 8 + 4 * Math.max(0, ...stopStrings.map((s) => s.length));
  const pick = { temperature: params.temperature, topP: params.topP, topK: params.topK };
  const onToken = opts.onToken;
  let decoder: Decoder | null = null;

  const accept = (s: Stream, token: number, logprob: number, logits: Float32Array) => {
    s.tokens.push(token);
    s.logprobs.push(logprob);
    if (stopIds.has(token)) s.finish = 'stop';
    else if (stopStrings.length > 0 && opts.decode) {
      const text = opts.decode(s.tokens.slice(-tail));
      if (stopStrings.some((x) => text.includes(x))) s.finish = 'stop';
    }
    if (s.finish === null && s.tokens.length >= params.maxTokens) s.finish = 'length';
    onToken?.({ prompt: s.prompt, sample: s.sample, token, logprob, logits, finish: s.finish });
  };

  // One wave: as many whole groups as fit in maxRows. Caches come from the model's pool and
  // go back to it as soon as nothing reads them (a finished sample's suffix at once, the
  // prompts' caches after their wave; all of them if the caller stops the generator).
  const pool = model.kvPool;
  const live = new Set<KvCache>();
  const take = (capacity: number): KvCache => {
    const c = pool.acquire(d.layers, d.kvDim, capacity);
    live.add(c);
    return c;
  };
  const give = (c: KvCache): void => {
    if (live.delete(c)) pool.release(c);
  };
  try {
    const groupsInWave = Math.max(1, Math.floor(maxRows / params.n));
    for (let p0 = 0; p0 < prompts.length && !opts.aborted?.(); p0 += groupsInWave) {
      const p1 = Math.min(prompts.length, p0 + groupsInWave);
      const streams: Stream[] = [];
      for (let pi = p0; pi < p1; pi++) {
        const job = prompts[pi]!;
        // A single sample appends to its prompt's cache; a group shares it and keeps own suffixes.
        const prefix = take(job.ids.length + (params.n === 1 ? params.maxTokens : 0));
        const logits = model.prefill(Int32Array.from(job.ids), prefix);
        const group: Group = { prompt: pi, prefix };
        for (let j = 0; j < params.n; j++) {
          const s: Stream = { prompt: pi, sample: j, rng: Rng.derive(job.seed, `sample/${job.label}/${j}`), group, suffix: null, tokens: [], logprobs: [], finish: null };
          const r = picker.pick(logits, pick, s.rng);
          accept(s, r.token, r.logprob, logits);
          if (s.finish === null && params.n > 1) s.suffix = take(params.maxTokens);
          streams.push(s);
        }
        yield;
      }
      if (!decoder) {
        const given = opts.decoder;
        decoder = given && given.model === model && given.maxRows >= maxRows && given.loraRank === (model.lora?.rank ?? 0) ? given : new Decoder(model, maxRows);
      }
      // Active rows are rebuilt only when a sample finishes (no allocation in a plain step).
      let active = streams.filter((s) => s.finish === null);
      let rows: DecodeRow[] = active.map((s) => ({ token: 0, prefix: s.group.prefix, suffix: s.suffix }));
      while (active.length > 0 && !opts.aborted?.()) {
        for (let r = 0; r < active.length; r++) {
          const s = active[r]!;
          rows[r]!.token = s.tokens[s.tokens.length - 1]!;
        }
        const logits = decoder.step(rows);
        let finished = false;
        for (let r = 0; r < active.length; r++) {
          const s = active[r]!;
          const row = logits.subarray(r * d.vocab, (r + 1) * d.vocab);
          const res = picker.pick(row, pick, s.rng);
          accept(s, res.token, res.logprob, row);
          if (s.finish !== null) {
            if (s.suffix) give(s.suffix);
            s.suffix = null;
            finished = true;
          }
        }
        if (finished) {
          const keep = active.map((s, r) => (s.finish === null ? r : -1)).filter((r) => r >= 0);
          active = keep.map((r) => active[r]!);
          rows = keep.map((r) => rows[r]!);
        }
        yield;
      }
      for (const s of streams) results[s.prompt]!.push({ tokens: s.tokens, logprobs: s.logprobs, finishReason: s.finish ?? 'length' });
      for (const c of live) give(c);
    }
  } finally {
    for (const c of live) give(c);
  }
  return results;
}
