/**
 * The Qwen2/Qwen3 causal LM over one sequence at a time: forward with per-token
 * log-probabilities of target tokens (and entropy), backward from dLoss/dlogprob
 * (and dLoss/dentropy), with activation checkpointing (each layer's input is kept, the
 * layer is recomputed just before its backward) and logits in row chunks (never a T×V
 * buffer). Only rows whose mask is non-zero get logits: the others report logprob 0 and
 * entropy 0, which is what every masked loss ignores anyway, and it saves the LM head on
 * long prompts.
 */
import type { Kernels } from '../engine/kernels.ts';
import { getKernels } from '../engine/index.ts';
import type { ModelConfig } from './config.ts';
import { finishLayer, layerBackward, layerForward, projectQkv, segmentPositions, type LayerCtx } from './layer.ts';
import type { LoraAdapters } from './lora.ts';
import { RopeTables } from './rope.ts';
import { makeViews, type ModelWeights, type ParamViews } from './weights.ts';
import { Workspace } from './workspace.ts';
import { KvCachePool, type KvCache } from './kvcache.ts';
import { poolClass } from './pool-class.ts';

/** What the forward keeps for the backward of one sequence. */
export interface SeqTape {
  T: number;
  ids: Int32Array;
  /** Targets of the active rows (compacted). */
  activeTargets: Int32Array;
  /** Row indices that get logits (mask ≠ 0 and target ≥ 0). */
  activeRows: Int32Array;
  invTemp: number;
  /** Log-sum-exp per active row. */
  lse: Float32Array;
  /** Layer inputs x_0..x_{L-1} and the last layer's output x_L, [(L+1)·T·hidden]; null: recompute in backward. */
  checkpoints: Float32Array | null;
  /** Per layer, its full forward activations when the budget allowed (no recompute in backward), else null. */
  layerActs: (Workspace | null)[] | null;
  /** Raw logits of the active rows [nActive, vocab] when the budget allowed (no LM-head recompute), else null. */
  logits: Float32Array | null;
  /** Bytes this tape holds. */
  bytes: number;
  /** Lengths of the packed sequences the rows hold (null: one sequence). */
  segments: readonly number[] | null;
}

export interface SeqForwardOptions {
  invTemp?: number;
  entropy?: boolean;
  /** Keep the checkpoints for a later backward. */
  keepTape?: boolean;
  /**
   * Extra bytes the tape may hold beyond the checkpoints (default 0): full activations of
   * layers (from the last one down) and then the logits, each skipping a recompute in
   * backward.
   */
  extraBudgetBytes?: number;
  /**
   * The rows are several sequences packed back to back, of these lengths (summing to T):
   * attention stays within each and positions restart at 0, so each one's log-probabilities
   * are those it has alone. Many short sequences then run as one wide pass.
   */
  segments?: readonly number[];
}

export interface SeqForwardResult {
  logprobs: Float32Array;
  entropy: Float32Array | null;
  tape: SeqTape;
}

/**
 * Rows of logits per chunk: at most ~8M floats (32 MB), between 16 and 2048 rows. Small
 * vocabularies get long chunks: each chunk's LM-head products pack the head's weight again
 * (in the dX product each thread packs all of it), so 256-row chunks at a 4,096-token
 * vocabulary made the 8K training step 1-3% slower than 2,048-row ones. A 152K vocabulary
 * still gets 55 rows.
 */
export function logitChunkRows(vocab: number): number {
  return Math.max(16, Math.min(2048, Math.floor((8 << 20) / vocab)));
}

/** Most bytes of tape buffers kept for reuse between passes (the default tape budget plus half). */
const POOL_MAX_BYTES = 768 * 2 ** 20;

/** Logit of an id outside the softmax vocabulary: exp underflows to 0, and p·log p stays 0 (not NaN as with -Infinity). */
const MASKED_LOGIT = -1e9;

export class QwenModel {
  readonly k: Kernels;
  readonly cfg: ModelConfig;
  readonly rope: RopeTables;
  /** Flat gradients in the weights' layout (null until enableGrads, and always null for frozen bases). */
  grads: Float32Array | null = null;
  gradViews: ParamViews | null = null;
  private ws: Workspace | null = null;
  private wsLoraRank = 0;
  private hf = new Float32Array(0);
  private rstdF = new Float32Array(0);
  private dX = new Float32Array(0);
  private xa = new Float32Array(0);
  private xb = new Float32Array(0);
  private rowCap = 0;
  private chunkIn = new Float32Array(0);
  private chunkLogits = new Float32Array(0);
  /**
   * Vocabulary ids outside the training softmax (null = full vocabulary). Their logits are
   * set to MASKED_LOGIT in teacher-forced passes, so the log-softmax runs over the other
   * ids and they get no gradient. Why: with a byte-level BPE most rows of a small model's
   * vocabulary never occur in its synthetic corpus, and pushing them all down first delays
   * the induction circuit several-fold (demo-study §7; the same in PyTorch); pretraining
   * over the corpus vocabulary and SFT/RL over the full one keeps the circuit.
   */
  private excludedIds: Int32Array | null = null;
  private excludedMask: Uint8Array | null = null;
  private chunkDh = new Float32Array(0);
  private rowsPerChunk: number;
  /** Rows per chunk of prefill and of inference-only forwards (bounds activation memory). */
  prefillChunk = 2048;
  private lpC: Float32Array;
  private entC: Float32Array;

  constructor(readonly weights: ModelWeights, public lora: LoraAdapters | null = null, kernels?: Kernels) {
    this.k = kernels ?? getKernels();
    this.cfg = weights.config;
    this.rope = new RopeTables(this.cfg);
    this.rowsPerChunk = logitChunkRows(weights.dims.vocab);
    this.lpC = new Float32Array(this.rowsPerChunk);
    this.entC = new Float32Array(this.rowsPerChunk);
  }

  /**
   * Rows per chunk of logits (rows x vocab floats held at once): lower it to bound memory
   * under a large vocabulary. Results do not depend on it, except that the LM head's weight
   * gradient sums its chunks in order.
   */
  setLogitChunkRows(rows: number): void {
    if (!(Number.isInteger(rows) && rows >= 1)) throw new RangeError(`logit chunk rows: expected an integer >= 1, got ${rows}`);
    this.rowsPerChunk = rows;
    this.lpC = new Float32Array(rows);
    this.entC = new Float32Array(rows);
    this.chunkLogits = new Float32Array(0);  // ensure() sizes the chunk buffers again
  }

  /** Rows of logits per chunk: logitChunkRows of the vocabulary unless set with setLogitChunkRows. */
  get chunkRows(): number {
    return this.rowsPerChunk;
  }

  /** Gradient buffers for the base weights (full fine-tuning). */
  enableGrads(): void {
    if (this.grads) return;
    this.grads = new Float32Array(this.weights.data.length);
    this.gradViews = makeViews(this.cfg, this.weights.entries, this.grads);
  }

  /** Drops base gradients (LoRA training keeps the base frozen). */
  disableGrads(): void {
    this.grads = null;
    this.gradViews = null;
  }

  ctx(segments: readonly number[] | null = null): LayerCtx {
    const c: LayerCtx = { k: this.k, d: this.weights.dims, eps: this.cfg.rmsNormEps, qkNorm: this.cfg.qkNorm, cos: this.rope.cos, sin: this.rope.sin };
    if (segments) {
      c.segments = segments;
      c.positions = segmentPositions(segments);
    }
    return c;
  }

  private ensure(T: number): Workspace {
    const d = this.weights.dims;
    const needLora = this.lora ? this.lora.rank : 0;
    if (!this.ws || this.wsLoraRank !== needLora) {
      this.ws = new Workspace(d, this.cfg.qkNorm, true, needLora);
      this.wsLoraRank = needLora;
    }
    this.ws.ensure(T);
    this.rope.ensure(T);
    if (T > this.rowCap) {
      const cap = this.ws.capacity;
      this.hf = new Float32Array(cap * d.hidden);
      this.rstdF = new Float32Array(cap);
      this.dX = new Float32Array(cap * d.hidden);
      this.xa = new Float32Array(cap * d.hidden);
      this.xb = new Float32Array(cap * d.hidden);
      this.rowCap = cap;
    }
    if (this.chunkLogits.length === 0) {
      this.chunkIn = new Float32Array(this.chunkRows * d.hidden);
      this.chunkDh = new Float32Array(this.chunkRows * d.hidden);
      this.chunkLogits = new Float32Array(this.chunkRows * d.vocab);
    }
    return this.ws;
  }

  /**
   * Runs the layers over ids; returns x_L (a view). With `store` (length (L+1)·T·hidden)
   * every layer input and x_L are kept there.
   */
  private runLayers(ids: Int32Array, T: number, store: Float32Array | null, acts: (Workspace | null)[] | null = null, segments: readonly number[] | null = null): Float32Array {
    const d = this.weights.dims;
    const ws = this.ensure(T);
    const c = this.ctx(segments);
    const n = T * d.hidden;
    const slot = (l: number) => store!.subarray(l * n, (l + 1) * n);
    let x = store ? slot(0) : this.xa.subarray(0, n);
    this.k.embeddingForward(this.weights.views.embed, ids, x, d.hidden);
    for (let l = 0; l < d.layers; l++) {
      const out = store ? slot(l + 1) : (x.buffer === this.xa.buffer ? this.xb : this.xa).subarray(0, n);
      layerForward(c, this.weights.views.layers[l]!, this.lora?.layers[l] ?? null, acts?.[l] ?? ws, T, x, out);
      x = out;
    }
    return x;
  }

  /** Final norm into this.hf. */
  private finalNorm(xL: Float32Array, T: number): void {
    this.k.rmsnormForward(xL, this.weights.views.finalNorm, this.hf, this.rstdF, T, this.weights.dims.hidden, this.cfg.rmsNormEps);
  }

  /** Restricts the teacher-forced softmax to `allowed` ids (null: the full vocabulary again). */
  setSoftmaxVocabulary(allowed: Iterable<number> | null): void {
    if (allowed === null) {
      this.excludedIds = null;
      this.excludedMask = null;
      return;
    }
    const V = this.weights.dims.vocab;
    const keep = new Uint8Array(V);
    for (const id of allowed) {
      if (!(Number.isInteger(id) && id >= 0 && id < V)) throw new RangeError(`softmax vocabulary: id ${id} is outside [0, ${V})`);
      keep[id] = 1;
    }
    const out: number[] = [];
    for (let id = 0; id < V; id++) if (!keep[id]) out.push(id);
    this.excludedIds = Int32Array.from(out);
    this.excludedMask = keep.map((k) => 1 - k);
  }

  /** Logits of `rows` active rows starting at active index a0, into chunkLogits. */
  private chunkLogitsFor(activeRows: Int32Array, a0: number, rows: number, target: Float32Array = this.chunkLogits, rowBase = 0): void {
    const hid = this.weights.dims.hidden;
    const V = this.weights.dims.vocab;
    for (let i = 0; i < rows; i++) {
      const r = activeRows[a0 + i]! - rowBase;
      this.chunkIn.set(this.hf.subarray(r * hid, (r + 1) * hid), i * hid);
    }
    this.k.sgemm(false, true, rows, V, hid, 1, this.chunkIn, hid, this.weights.views.lmHead, hid, 0, target, V);
    const ex = this.excludedIds;
    if (ex) for (let i = 0; i < rows; i++) for (let j = 0; j < ex.length; j++) target[i * V + ex[j]!] = MASKED_LOGIT;
  }

  /** Gathers the final-norm rows of active rows [a0, a0 + rows) into chunkIn. */
  private gatherRows(activeRows: Int32Array, a0: number, rows: number): void {
    const hid = this.weights.dims.hidden;
    for (let i = 0; i < rows; i++) {
      const r = activeRows[a0 + i]!;
      this.chunkIn.set(this.hf.subarray(r * hid, (r + 1) * hid), i * hid);
    }
  }

  /**
   * Forward of one sequence: logprobs[t] = log softmax(logits_t · invTemp)[targets[t]] for rows
   * with mask ≠ 0 (0 elsewhere). mask null = all rows.
   */
  forwardSequence(ids: Int32Array, targets: Int32Array, mask: Float32Array | null, opts: SeqForwardOptions = {}): SeqForwardResult {
    const T = ids.length;
    const d = this.weights.dims;
    const invTemp = opts.invTemp ?? 1;
    const segments = opts.segments ?? null;
    if (segments) {
      let sum = 0;
      for (const len of segments) {
        if (!(Number.isInteger(len) && len > 0)) throw new RangeError(`segments: every length must be a positive integer, got ${len}`);
        sum += len;
      }
      if (sum !== T) throw new RangeError(`segments sum to ${sum} rows, the sequence has ${T}`);
    }
    for (let t = 0; t < T; t++) {
      const id = ids[t]!;
      if (!(id >= 0 && id < d.vocab)) throw new RangeError(`token id ${id} at position ${t} is outside the vocabulary [0, ${d.vocab})`);
      const tg = targets[t]!;
      if (tg >= d.vocab) throw new RangeError(`target id ${tg} at position ${t} is outside the vocabulary [0, ${d.vocab})`);
    }
    let nActive = 0;
    for (let t = 0; t < T; t++) if ((mask === null || mask[t] !== 0) && targets[t]! >= 0) nActive++;
    const activeRows = new Int32Array(nActive);
    const activeTargets = new Int32Array(nActive);
    for (let t = 0, i = 0; t < T; t++) {
      if ((mask === null || mask[t] !== 0) && targets[t]! >= 0) {
        if (this.excludedMask?.[targets[t]!]) throw new RangeError(`target id ${targets[t]} at position ${t} is outside the softmax vocabulary this model is restricted to`);
        activeRows[i] = t;
        activeTargets[i++] = targets[t]!;
      }
    }
    const store = opts.keepTape ? this.takeBuffer((d.layers + 1) * T * d.hidden) : null;
    let bytes = store ? store.buffer.byteLength : 0;
    let extra = opts.keepTape ? opts.extraBudgetBytes ?? 0 : 0;
    let acts: (Workspace | null)[] | null = null;
    const loraRank = this.lora ? this.lora.rank : 0;
    const actBytes = Workspace.activationBytes(d, this.cfg.qkNorm, poolClass(T), loraRank);
    for (let l = d.layers - 1; l >= 0 && actBytes <= extra; l--) {
      acts ??= new Array<Workspace | null>(d.layers).fill(null);
      const w = this.takeActs(T, loraRank);
      acts[l] = w;
      extra -= actBytes;
      bytes += actBytes;
    }
    const V = d.vocab;
    const keptLogits = opts.keepTape && nActive * V * 4 <= extra ? this.takeBuffer(nActive * V) : null;
    if (keptLogits) bytes += keptLogits.buffer.byteLength;
    const logprobs = new Float32Array(T);
    const entropy = opts.entropy ? new Float32Array(T) : null;
    const lse = new Float32Array(nActive);
    const head = (a0: number, a1: number, rowBase: number) => {
      const C = this.chunkRows;
      for (let c0 = a0; c0 < a1; c0 += C) {
        const rows = Math.min(C, a1 - c0);
        const target = keptLogits ? keptLogits.subarray(c0 * V, (c0 + rows) * V) : this.chunkLogits;
        this.chunkLogitsFor(activeRows, c0, rows, target, rowBase);
        this.k.logprobForward(target, rows, V, activeTargets.subarray(c0, c0 + rows), invTemp, this.lpC, entropy ? this.entC : null, lse.subarray(c0, c0 + rows));
        for (let i = 0; i < rows; i++) {
          const r = activeRows[c0 + i]!;
          logprobs[r] = this.lpC[i]!;
          if (entropy) entropy[r] = this.entC[i]!;
        }
      }
    };
    if (store || T <= this.prefillChunk || segments) {
      const xL = this.runLayers(ids, T, store, acts, segments);
      this.finalNorm(xL, T);
      head(0, nActive, 0);
    } else {
      // Inference only: row chunks over a temporary KV cache, activation memory O(chunk).
      let a = 0;
      const cache = this.kvPool.acquire(d.layers, d.kvDim, T);
      try {
        this.runChunked(ids, cache, (r0, rows) => {
          let b = a;
          while (b < nActive && activeRows[b]! < r0 + rows) b++;
          head(a, b, r0);
          a = b;
        });
      } finally {
        this.kvPool.release(cache);
      }
    }
    return { logprobs, entropy, tape: { T, ids, activeRows, activeTargets, invTemp, lse, checkpoints: store, layerActs: acts, logits: keptLogits, bytes, segments } };
  }

  /**
   * Backward of one sequence from dLoss/dlogprob_T (and dLoss/dentropy_T); gradients
   * accumulate into `grads` (base) and the LoRA gradients.
   */
  backwardSequence(tape: SeqTape, dLogprob: Float32Array, dEntropy: Float32Array | null): void {
    const { T, ids, activeRows, activeTargets } = tape;
    const d = this.weights.dims;
    const hid = d.hidden;
    const n = T * hid;
    let store = tape.checkpoints;
    if (!store) {
      store = this.takeBuffer((d.layers + 1) * n);
      this.runLayers(ids, T, store, null, tape.segments);
    }
    const ws = this.ensure(T);
    const slot = (l: number) => store.subarray(l * n, (l + 1) * n);
    const g = this.gradViews;
    const w = this.weights.views;
    // Head: logits chunks -> dhf (stored into this.dX as dLoss/dhf, zero on inactive rows).
    const xL = slot(d.layers);
    this.finalNorm(xL, T);
    const dhf = this.dX.subarray(0, n);
    dhf.fill(0);
    const C = this.chunkRows;
    const nActive = activeRows.length;
    const dlC = new Float32Array(C);
    const deC = dEntropy ? new Float32Array(C) : null;
    for (let a0 = 0; a0 < nActive; a0 += C) {
      const rows = Math.min(C, nActive - a0);
      let any = false;
      for (let i = 0; i < rows; i++) {
        const r = activeRows[a0 + i]!;
        dlC[i] = dLogprob[r]!;
        if (deC) deC[i] = dEntropy![r]!;
        if (dlC[i] !== 0 || (deC && deC[i] !== 0)) any = true;
      }
      if (!any) continue;
      let logits: Float32Array = this.chunkLogits;
      if (tape.logits) {
        logits = tape.logits.subarray(a0 * d.vocab, (a0 + rows) * d.vocab);
        this.gatherRows(activeRows, a0, rows);
      } else this.chunkLogitsFor(activeRows, a0, rows);
      this.k.logprobBackward(logits, rows, d.vocab, activeTargets.subarray(a0, a0 + rows), tape.invTemp,
        tape.lse.subarray(a0, a0 + rows), dlC, deC, logits);
      this.k.sgemm(false, false, rows, hid, d.vocab, 1, logits, d.vocab, w.lmHead, hid, 0, this.chunkDh, hid);
      if (g) this.k.sgemm(true, false, d.vocab, hid, rows, 1, logits, d.vocab, this.chunkIn, hid, 1, g.lmHead, hid);
      for (let i = 0; i < rows; i++) {
        const r = activeRows[a0 + i]!;
        dhf.set(this.chunkDh.subarray(i * hid, (i + 1) * hid), r * hid);
      }
    }
    // Final norm: dX = dLoss/dx_L.
    const dX = this.xb.subarray(0, n);
    this.k.rmsnormBackward(xL, w.finalNorm, this.rstdF, dhf, dX, g ? g.finalNorm : this.normSink(hid), T, hid);
    const c = this.ctx(tape.segments);
    for (let l = d.layers - 1; l >= 0; l--) {
      const x = slot(l);
      const p = w.layers[l]!;
      const lora = this.lora?.layers[l] ?? null;
      const kept = tape.layerActs?.[l] ?? null;
      if (kept) {
        kept.shareScratch(ws);
        layerBackward(c, p, g ? g.layers[l]! : null, lora, kept, T, x, dX);
      } else {
        // Recompute this layer's forward into the workspace (its output goes to scratch).
        layerForward(c, p, lora, ws, T, x, this.xa.subarray(0, n));
        layerBackward(c, p, g ? g.layers[l]! : null, lora, ws, T, x, dX);
      }
    }
    if (g) this.k.embeddingBackward(dX, ids, g.embed, hid);
    // The tape is consumed (its logits were overwritten by their gradient): recycle its buffers.
    this.giveBuffer(store);
    if (tape.logits) this.giveBuffer(tape.logits);
    for (const a of tape.layerActs ?? []) if (a) this.giveActs(a);
    tape.checkpoints = null;
    tape.logits = null;
    tape.layerActs = null;
  }

  /**
   * Recycled tape buffers: steady-state training allocates nothing, so no fresh pages fault
   * in every step (buffers are fully overwritten before they are read). Buffers come in
   * size classes (poolClass), so sequences and packs of many different lengths share them,
   * and the pool holds at most POOL_MAX_BYTES: keyed by exact length, packed passes of
   * ever-new row counts grew it without bound (a pretraining run was killed for memory).
   */
  private readonly bufferPool = new Map<number, Float32Array[]>();
  /** Recycled KV caches: generation and chunked scoring take theirs from here and give them back. */
  readonly kvPool = new KvCachePool();
  private readonly actsPool = new Map<string, Workspace[]>();
  private pooledBytes = 0;

  private takeBuffer(n: number): Float32Array {
    const c = poolClass(n);
    const full = this.bufferPool.get(c)?.pop();
    if (full) this.pooledBytes -= full.byteLength;
    return (full ?? new Float32Array(c)).subarray(0, n);
  }

  private giveBuffer(b: Float32Array): void {
    const full = new Float32Array(b.buffer);
    const list = this.bufferPool.get(full.length) ?? [];
    if (list.length >= 4 || this.pooledBytes + full.byteLength > POOL_MAX_BYTES) return;
    list.push(full);
    this.pooledBytes += full.byteLength;
    this.bufferPool.set(full.length, list);
  }

  private takeActs(T: number, loraRank: number): Workspace {
    const rows = poolClass(T);
    const w = this.actsPool.get(`${rows}/${loraRank}`)?.pop();
    if (w) {
      this.pooledBytes -= Workspace.activationBytes(this.weights.dims, this.cfg.qkNorm, rows, loraRank);
      return w;
    }
    const n = new Workspace(this.weights.dims, this.cfg.qkNorm, false, loraRank);
    n.ensure(rows, true);
    return n;
  }

  private giveActs(w: Workspace): void {
    const rank = w.loraU.length > 0 ? w.loraU[0]!.length / w.capacity : 0;
    const key = `${w.capacity}/${rank}`;
    const bytes = Workspace.activationBytes(this.weights.dims, this.cfg.qkNorm, w.capacity, rank);
    const list = this.actsPool.get(key) ?? [];
    if (list.length >= this.weights.dims.layers || this.pooledBytes + bytes > POOL_MAX_BYTES) return;
    list.push(w);
    this.pooledBytes += bytes;
    this.actsPool.set(key, list);
  }

  /** Bytes the buffer pool holds now (bounded by POOL_MAX_BYTES). */
  get pooledBytesHeld(): number {
    return this.pooledBytes;
  }

  /** Drops recycled buffers and KV caches (e.g. after a phase with long sequences). */
  releaseBuffers(): void {
    this.kvPool.clear();
    this.bufferPool.clear();
    this.actsPool.clear();
    this.pooledBytes = 0;
  }

  private sink = new Float32Array(0);
  private normSink(n: number): Float32Array {
    if (this.sink.length < n) this.sink = new Float32Array(n);
    return this.sink.subarray(0, n);
  }

  /**
   * Prefill of a prompt into `cache` (rows 0..T-1, positions 0..T-1): a causal forward over
   * all T rows at once (big GEMMs) that keeps each layer's keys and values. Returns the
   * raw logits [vocab] of the last row.
   */
  prefill(ids: Int32Array, cache: KvCache): Float32Array {
    const T = ids.length;
    const d = this.weights.dims;
    if (T === 0) throw new RangeError('prefill: empty prompt');
    const logits = new Float32Array(d.vocab);
    this.runChunked(ids, cache, (r0, rows) => {
      if (r0 + rows < T) return;
      const last = this.hf.subarray((rows - 1) * d.hidden, rows * d.hidden);
      this.k.sgemm(false, true, 1, d.vocab, d.hidden, 1, last, d.hidden, this.weights.views.lmHead, d.hidden, 0, logits, d.vocab);
    });
    return logits;
  }

  /**
   * Causal forward over ids in chunks of `prefillChunk` rows; each chunk's keys and values
   * go to `cache` (rows r0..) and its queries attend to the cache (causal, qPos0 = r0), so
   * activation memory is O(chunk) whatever the length. After each chunk, `onChunk(r0, rows)`
   * finds the chunk's final-norm rows in this.hf[0 .. rows).
   */
  private runChunked(ids: Int32Array, cache: KvCache, onChunk: (r0: number, rows: number) => void): void {
    const T = ids.length;
    const d = this.weights.dims;
    const hid = d.hidden;
    const C = Math.min(this.prefillChunk, T);
    const ws = this.ensure(C);
    this.rope.ensure(T);
    const c = this.ctx();
    const pos = new Int32Array(C);
    for (let r0 = 0; r0 < T; r0 += C) {
      const rows = Math.min(C, T - r0);
      for (let i = 0; i < rows; i++) pos[i] = r0 + i;
      const n = rows * hid;
      let x = this.xa.subarray(0, n);
      let out = this.xb.subarray(0, n);
      this.k.embeddingForward(this.weights.views.embed, ids.subarray(r0, r0 + rows), x, hid);
      for (let l = 0; l < d.layers; l++) {
        const p = this.weights.views.layers[l]!;
        const lora = this.lora?.layers[l] ?? null;
        this.k.rmsnormForward(x, p.inNorm, ws.h1, ws.rstd1, rows, hid, this.cfg.rmsNormEps);
        projectQkv(c, p, lora, ws, rows, pos);
        cache.write(l, r0, ws.k, ws.v, rows);
        this.k.attentionForward({
          q: ws.q, k: cache.k[l]!, v: cache.v[l]!, out: ws.att, lse: null, Tq: rows, Tk: r0 + rows, H: d.H, Hkv: d.Hkv, D: d.D,
          scale: 1 / Math.sqrt(d.D), causal: true, qPos0: r0,
        });
        finishLayer(c, p, lora, ws, rows, x, out);
        const t = x;
        x = out;
        out = t;
      }
      this.k.rmsnormForward(x, this.weights.views.finalNorm, this.hf, this.rstdF, rows, hid, this.cfg.rmsNormEps);
      cache.length = r0 + rows;
      onChunk(r0, rows);
    }
  }

  /** Makes the RoPE tables cover positions [0, n) (call before decoding that far). */
  ensurePositions(n: number): void {
    this.rope.ensure(n);
  }

  /** Raw logits [vocab] of the last position of ids (for inspection and the CLI). */
  lastLogits(ids: Int32Array): Float32Array {
    const T = ids.length;
    const d = this.weights.dims;
    const xL = this.runLayers(ids, T, null);
    this.finalNorm(xL, T);
    const out = new Float32Array(d.vocab);
    this.k.sgemm(false, true, 1, d.vocab, d.hidden, 1, this.hf.subarray((T - 1) * d.hidden), d.hidden, this.weights.views.lmHead, d.hidden, 0, out, d.vocab);
    return out;
  }
}
