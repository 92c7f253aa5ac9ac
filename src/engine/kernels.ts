/**
 * The compute kernels longrl's model engine is built on. Two backends implement this
 * interface: the native addon (C++, N-API, runtime AVX-512/AVX2/portable dispatch, a
 * worker pool over all cores) and a plain TypeScript fallback with identical semantics.
 *
 * Conventions (every kernel):
 * - float32 row-major arrays; a sub-range is passed as a `subarray` view (zero copy);
 * - outputs are overwritten unless the doc says "accumulates";
 * - no allocation visible to the caller; work split and summation order are fixed for a
 *   given thread count, so results are bit-identical run to run (contracts §2).
 */

/** Grouped-query attention over one sequence, flash style (tiled, online softmax). */
export interface AttentionParams {
  /** Queries [Tq, H, D]; row t starts at t * qStride (default H*D). */
  q: Float32Array;
  /** Keys [Tk, Hkv, D]; row t starts at t * kvStride (default Hkv*D). */
  k: Float32Array;
  /** Values, same layout as keys. */
  v: Float32Array;
  /** Output [Tq, H, D], rows of stride oStride (default H*D). */
  out: Float32Array;
  /** Log-sum-exp of the scaled scores per query and head, [Tq, H]; saved for backward and for merging partial attentions. May be null in inference. */
  lse: Float32Array | null;
  Tq: number;
  Tk: number;
  /** Query heads. */
  H: number;
  /** Key/value heads; query head h reads kv head floor(h / (H / Hkv)). */
  Hkv: number;
  /** Head dimension. */
  D: number;
  /** Score scale, usually 1/sqrt(D). */
  scale: number;
  /** When true, query i (absolute position qPos0 + i) sees keys j <= qPos0 + i. */
  causal: boolean;
  /** Absolute position of query 0 relative to key 0 (0 in training; Tk - Tq when decoding with a cache). */
  qPos0: number;
  qStride?: number;
  kvStride?: number;
  oStride?: number;
}

export interface AttentionBackwardParams extends AttentionParams {
  lse: Float32Array;
  /** Gradient of the output, same layout as out. */
  dOut: Float32Array;
  /** Gradients, same layouts as q, k, v (overwritten). */
  dq: Float32Array;
  dk: Float32Array;
  dv: Float32Array;
}

/**
 * One fused decode step over M rows (one new token each): every layer and the LM head in
 * one call (native only; see `Kernels.decodeStep`). Layouts are documented on the fields.
 */
export interface DecodeStepParams {
  /** The model's flat weight buffer; `plan` holds element offsets into it. */
  weights: Float32Array;
  /**
   * layers, hidden, H, Hkv, D, inter, vocab, eps, qkNorm (0/1), then the offsets of embed,
   * finalNorm, lmHead, then per layer inNorm, qkvW, qkvB, qNorm, kNorm, oW, postNorm,
   * gateW, upW, downW (-1 when absent). qkvW is the fused [(H + 2·Hkv)·D, hidden] matrix.
   */
  plan: Float64Array;
  /** RoPE tables [maxPos, D/2] (attention factor folded in), as for ropeForward. */
  cos: Float32Array;
  sin: Float32Array;
  /** The token of each row [M]. */
  ids: Int32Array;
  /**
   * Per row: prefix cache index, prefix length, suffix cache index (-1: the row owns the
   * prefix cache and appends to it), suffix length. Rows sharing a prefix are adjacent.
   * The row's position is prefix length + suffix length; its new K/V go to its own cache
   * at that cache's length (the caller then counts it).
   */
  rows: Int32Array;
  /** Cache buffers, each [2][layers][capacity][Hkv·D] (K of all layers, then V). */
  caches: Float32Array[];
  /** Output [M, vocab]. */
  logits: Float32Array;
}

export interface Kernels {
  /** `native` (the addon) or `js` (the TypeScript fallback). */
  readonly backend: 'native' | 'js';
  /** Worker threads used by the kernels (1 for the fallback). */
  readonly threads: number;
  /** Sets the number of worker threads (native only; clamped to [1, cores]). */
  setThreads(n: number): void;
  /** The instruction set the kernels dispatched to: `avx512`, `avx2` or `portable` (or `js`). */
  readonly isa: string;

  /**
   * C = alpha * op(A) * op(B) + beta * C, row-major; op(A) is M x K, op(B) is K x N.
   * lda/ldb/ldc are row strides of A, B, C as stored. beta = 0 ignores C's old content (NaN-safe).
   */
  sgemm(
    transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    A: Float32Array, lda: number, B: Float32Array, ldb: number, beta: number, C: Float32Array, ldc: number,
  ): void;

  attentionForward(p: AttentionParams): void;
  /** Recomputes the probabilities from q, k and lse; memory linear in sequence length. */
  attentionBackward(p: AttentionBackwardParams): void;

  /** out = x / sqrt(mean(x^2) + eps) * weight per row; rstd[r] saved for backward. */
  rmsnormForward(x: Float32Array, weight: Float32Array, out: Float32Array, rstd: Float32Array, rows: number, dim: number, eps: number): void;
  /** dx overwritten; dWeight accumulates. */
  rmsnormBackward(x: Float32Array, weight: Float32Array, rstd: Float32Array, dOut: Float32Array, dx: Float32Array, dWeight: Float32Array, rows: number, dim: number): void;

  /**
   * Rotary embedding in place, Hugging Face `rotate_half` layout (pairs i and i + D/2).
   * x holds `rows` rows of `nHeads` heads of `headDim`, row stride `rowStride`;
   * row r uses position positions[r]; cos/sin are tables [maxPos, headDim/2] with any
   * attention scaling (YaRN) already folded in.
   */
  ropeForward(x: Float32Array, rows: number, nHeads: number, headDim: number, rowStride: number, positions: Int32Array, cos: Float32Array, sin: Float32Array): void;
  /** The transpose of ropeForward (rotation by -angle, scaled), applied in place to a gradient. */
  ropeBackward(dx: Float32Array, rows: number, nHeads: number, headDim: number, rowStride: number, positions: Int32Array, cos: Float32Array, sin: Float32Array): void;

  /** out = silu(gate) * up, elementwise over n. */
  swigluForward(gate: Float32Array, up: Float32Array, out: Float32Array, n: number): void;
  swigluBackward(gate: Float32Array, up: Float32Array, dOut: Float32Array, dGate: Float32Array, dUp: Float32Array, n: number): void;

  /** out[r] = table[ids[r]] (rows of dim). */
  embeddingForward(table: Float32Array, ids: Int32Array, out: Float32Array, dim: number): void;
  /** dTable[ids[r]] += dOut[r]; accumulates; deterministic for repeated ids. */
  embeddingBackward(dOut: Float32Array, ids: Int32Array, dTable: Float32Array, dim: number): void;

  /**
   * Per row of logits [rows, vocab], with z = logits * invTemperature:
   * lse[r] = logsumexp(z), logprob[r] = z[target] - lse, entropy[r] = lse - sum softmax(z) z.
   * A target < 0 gives logprob 0 (ignored row). entropy may be null.
   */
  logprobForward(logits: Float32Array, rows: number, vocab: number, targets: Int32Array, invTemperature: number,
    outLogprob: Float32Array, outEntropy: Float32Array | null, outLse: Float32Array): void;
  /** dLogits (may alias logits) from dLogprob[r] and dEntropy[r] (may be null); chain rule through invTemperature included. */
  logprobBackward(logits: Float32Array, rows: number, vocab: number, targets: Int32Array, invTemperature: number,
    lse: Float32Array, dLogprob: Float32Array, dEntropy: Float32Array | null, dLogits: Float32Array): void;

  /** One AdamW step (decoupled weight decay, bias-corrected; `step` counts from 1). gradScale multiplies grad first (clipping). */
  adamw(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array,
    lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number, gradScale: number): void;
  /** Sum of squares in float64, fixed order (for global-norm clipping). */
  sumSquares(x: Float32Array): number;
  /** y += a * x. */
  axpy(n: number, a: number, x: Float32Array, y: Float32Array): void;

  /**
   * The fused decode step, when the backend has one (the native addon). Absent in the
   * TypeScript fallback: callers then run the same step kernel by kernel.
   */
  decodeStep?(p: DecodeStepParams): void;

  bf16ToF32(src: Uint16Array, dst: Float32Array): void;
  f16ToF32(src: Uint16Array, dst: Float32Array): void;
  /** Round to nearest even. */
  f32ToBf16(src: Float32Array, dst: Uint16Array): void;
  f32ToF16(src: Float32Array, dst: Uint16Array): void;
}
