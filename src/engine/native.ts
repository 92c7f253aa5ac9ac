/**
 * The native backend: a thin wrapper over the N-API addon (native/*.cc). Arguments are
 * validated here, then passed positionally; typed arrays cross zero-copy.
 */
import type { AttentionBackwardParams, AttentionParams, DecodeStepParams, Kernels } from './kernels.ts';
import { dims, need, span } from './check.ts';

type F32 = Float32Array;
type I32 = Int32Array;
type U16 = Uint16Array;

/** The functions the addon exports (names as in native/addon.cc). */
export interface NativeAddon {
  info(): { isa: string; threads: number; cores: number; features: Record<string, boolean> };
  setThreads(n: number): number;
  setIsa(isa: string): string;
  peakFlops(threads: number, seconds: number): { wall: number; cpu: number };
  streamCopy(threads: number, megabytes: number, reps: number): number;
  sgemm(ta: boolean, tb: boolean, M: number, N: number, K: number, alpha: number, A: F32, lda: number, B: F32, ldb: number, beta: number, C: F32, ldc: number): void;
  attnFwd(q: F32, k: F32, v: F32, out: F32, lse: F32 | null, Tq: number, Tk: number, H: number, Hkv: number, D: number, scale: number, causal: boolean, qPos0: number, qS: number, kvS: number, oS: number): void;
  attnBwd(q: F32, k: F32, v: F32, out: F32, lse: F32, dOut: F32, dq: F32, dk: F32, dv: F32, Tq: number, Tk: number, H: number, Hkv: number, D: number, scale: number, causal: boolean, qPos0: number, qS: number, kvS: number, oS: number): void;
  rmsnormFwd(x: F32, w: F32, out: F32, rstd: F32, rows: number, dim: number, eps: number): void;
  rmsnormBwd(x: F32, w: F32, rstd: F32, dOut: F32, dx: F32, dw: F32, rows: number, dim: number): void;
  rope(x: F32, rows: number, nHeads: number, headDim: number, rowStride: number, pos: I32, cos: F32, sin: F32, sign: number): void;
  swigluFwd(g: F32, u: F32, out: F32, n: number): void;
  swigluBwd(g: F32, u: F32, dOut: F32, dg: F32, du: F32, n: number): void;
  embFwd(table: F32, ids: I32, out: F32, dim: number): void;
  embBwd(dOut: F32, ids: I32, dTable: F32, dim: number): void;
  logprobFwd(logits: F32, rows: number, vocab: number, targets: I32, invT: number, lp: F32, ent: F32 | null, lse: F32): void;
  logprobBwd(logits: F32, rows: number, vocab: number, targets: I32, invT: number, lse: F32, dlp: F32, dent: F32 | null, dLogits: F32): void;
  adamw(p: F32, g: F32, m: F32, v: F32, lr: number, b1: number, b2: number, eps: number, wd: number, step: number, gradScale: number): void;
  sumSquares(x: F32): number;
  axpy(n: number, a: number, x: F32, y: F32): void;
  decodeStep(W: F32, plan: Float64Array, cos: F32, sin: F32, ids: I32, rows: I32, caches: F32[], logits: F32): void;
  bf16ToF32(src: U16, dst: F32): void;
  f16ToF32(src: U16, dst: F32): void;
  f32ToBf16(src: F32, dst: U16): void;
  f32ToF16(src: F32, dst: U16): void;
}

/** Extra methods of the native backend beyond `Kernels`. */
export interface NativeKernels extends Kernels {
  info(): { isa: string; threads: number; cores: number; features: Record<string, boolean> };
  /** Forces an ISA (`avx512`, `avx2`, `portable`) for tests; returns the one in use (never above what the CPU has). */
  setIsa(isa: string): string;
  /**
   * FP32 peak in GFLOP/s measured by an FMA loop on `threads` threads for about `seconds`:
   * `wall` over elapsed time, `cpu` summed per thread over its own CPU time (robust to a busy machine).
   */
  peakGflops(threads: number, seconds?: number): { wall: number; cpu: number };
  /**
   * Memory bandwidth in GB/s of a STREAM-like copy (read + write counted) of `megabytes`
   * per array (default 256, several times the L3) on `threads` threads; for decode benchmarks' pct_bandwidth.
   */
  streamGBps(threads: number, megabytes?: number): number;
}

function checkAttention(p: AttentionParams, name: string): [number, number, number] {
  dims(name, ['Tq', p.Tq], ['Tk', p.Tk], ['H', p.H], ['Hkv', p.Hkv], ['D', p.D]);
  if (p.Hkv === 0 || p.H % p.Hkv !== 0) throw new RangeError(`${name}: H=${p.H} is not a multiple of Hkv=${p.Hkv}`);
  if (!Number.isInteger(p.qPos0)) throw new RangeError(`${name}: qPos0 must be an integer`);
  const qS = p.qStride ?? p.H * p.D;
  const kvS = p.kvStride ?? p.Hkv * p.D;
  const oS = p.oStride ?? p.H * p.D;
  if (qS < p.H * p.D || kvS < p.Hkv * p.D || oS < p.H * p.D) throw new RangeError(`${name}: a row stride is smaller than heads * D`);
  need(p.q, span(p.Tq, p.H * p.D, qS), 'q', name);
  need(p.k, span(p.Tk, p.Hkv * p.D, kvS), 'k', name);
  need(p.v, span(p.Tk, p.Hkv * p.D, kvS), 'v', name);
  need(p.out, span(p.Tq, p.H * p.D, oS), 'out', name);
  if (p.lse) need(p.lse, p.Tq * p.H, 'lse', name);
  return [qS, kvS, oS];
}

function checkRope(x: F32, rows: number, nHeads: number, headDim: number, rowStride: number, positions: I32, cos: F32, sin: F32): void {
  const n = 'rope';
  dims(n, ['rows', rows], ['nHeads', nHeads], ['headDim', headDim], ['rowStride', rowStride]);
  if (headDim % 2 !== 0) throw new RangeError(`${n}: headDim must be even, got ${headDim}`);
  need(x, span(rows, nHeads * headDim, rowStride), 'x', n);
  need(positions, rows, 'positions', n);
  const half = headDim / 2;
  const maxPos = Math.min(cos.length, sin.length) / half;
  for (let r = 0; r < rows; r++) {
    const t = positions[r]!;
    if (t < 0 || t >= maxPos) throw new RangeError(`${n}: positions[${r}] = ${t} outside the cos/sin tables (${Math.floor(maxPos)} positions)`);
  }
}

function checkIds(ids: I32, rows: number, name: string): void {
  for (let r = 0; r < ids.length; r++) {
    const id = ids[r]!;
    if (id < 0 || id >= rows) throw new RangeError(`${name}: ids[${r}] = ${id} outside the table (${rows} rows)`);
  }
}

export function wrapNative(a: NativeAddon): NativeKernels {
  const k: NativeKernels = {
    backend: 'native',
    get threads() { return a.info().threads; },
    get isa() { return a.info().isa; },
    setThreads(n: number): void { a.setThreads(Math.max(1, Math.floor(n))); },
    info: () => a.info(),
    setIsa: (isa: string) => a.setIsa(isa),
    peakGflops: (threads: number, seconds = 0.5) => {
      const r = a.peakFlops(threads, seconds);
      return { wall: r.wall / 1e9, cpu: r.cpu / 1e9 };
    },

    streamGBps: (threads: number, megabytes = 256) => a.streamCopy(Math.max(1, Math.floor(threads)), Math.max(1, Math.floor(megabytes)), 5) / 1e9,

    sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) {
      dims('sgemm', ['M', M], ['N', N], ['K', K], ['lda', lda], ['ldb', ldb], ['ldc', ldc]);
      const [ar, ac] = transA ? [K, M] : [M, K];
      const [br, bc] = transB ? [N, K] : [K, N];
      if (lda < ac || ldb < bc || ldc < N) throw new RangeError(`sgemm: leading dimension smaller than the row length (lda=${lda}, ldb=${ldb}, ldc=${ldc})`);
      need(A, span(ar, ac, lda), 'A', 'sgemm');
      need(B, span(br, bc, ldb), 'B', 'sgemm');
      need(C, span(M, N, ldc), 'C', 'sgemm');
      a.sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    },
    attentionForward(p) {
      const [qS, kvS, oS] = checkAttention(p, 'attentionForward');
      a.attnFwd(p.q, p.k, p.v, p.out, p.lse, p.Tq, p.Tk, p.H, p.Hkv, p.D, p.scale, p.causal, p.qPos0, qS, kvS, oS);
    },
    attentionBackward(p: AttentionBackwardParams) {
      const n = 'attentionBackward';
      const [qS, kvS, oS] = checkAttention(p, n);
      need(p.lse, p.Tq * p.H, 'lse', n);
      need(p.dOut, span(p.Tq, p.H * p.D, oS), 'dOut', n);
      need(p.dq, span(p.Tq, p.H * p.D, qS), 'dq', n);
      need(p.dk, span(p.Tk, p.Hkv * p.D, kvS), 'dk', n);
      need(p.dv, span(p.Tk, p.Hkv * p.D, kvS), 'dv', n);
      a.attnBwd(p.q, p.k, p.v, p.out, p.lse, p.dOut, p.dq, p.dk, p.dv, p.Tq, p.Tk, p.H, p.Hkv, p.D, p.scale, p.causal, p.qPos0, qS, kvS, oS);
    },
    rmsnormForward(x, weight, out, rstd, rows, dim, eps) {
      const n = 'rmsnormForward';
      dims(n, ['rows', rows], ['dim', dim]);
      need(x, rows * dim, 'x', n); need(weight, dim, 'weight', n); need(out, rows * dim, 'out', n); need(rstd, rows, 'rstd', n);
      a.rmsnormFwd(x, weight, out, rstd, rows, dim, eps);
    },
    rmsnormBackward(x, weight, rstd, dOut, dx, dWeight, rows, dim) {
      const n = 'rmsnormBackward';
      dims(n, ['rows', rows], ['dim', dim]);
      need(x, rows * dim, 'x', n); need(weight, dim, 'weight', n); need(rstd, rows, 'rstd', n);
      need(dOut, rows * dim, 'dOut', n); need(dx, rows * dim, 'dx', n); need(dWeight, dim, 'dWeight', n);
      a.rmsnormBwd(x, weight, rstd, dOut, dx, dWeight, rows, dim);
    },
    ropeForward(x, rows, nHeads, headDim, rowStride, positions, cos, sin) {
      checkRope(x, rows, nHeads, headDim, rowStride, positions, cos, sin);
      a.rope(x, rows, nHeads, headDim, rowStride, positions, cos, sin, 1);
    },
    ropeBackward(dx, rows, nHeads, headDim, rowStride, positions, cos, sin) {
      checkRope(dx, rows, nHeads, headDim, rowStride, positions, cos, sin);
      a.rope(dx, rows, nHeads, headDim, rowStride, positions, cos, sin, -1);
    },
    swigluForward(gate, up, out, n) {
      dims('swiglu', ['n', n]);
      need(gate, n, 'gate', 'swigluForward'); need(up, n, 'up', 'swigluForward'); need(out, n, 'out', 'swigluForward');
      a.swigluFwd(gate, up, out, n);
    },
    swigluBackward(gate, up, dOut, dGate, dUp, n) {
      const s = 'swigluBackward';
      dims(s, ['n', n]);
      need(gate, n, 'gate', s); need(up, n, 'up', s); need(dOut, n, 'dOut', s); need(dGate, n, 'dGate', s); need(dUp, n, 'dUp', s);
      a.swigluBwd(gate, up, dOut, dGate, dUp, n);
    },
    embeddingForward(table, ids, out, dim) {
      dims('embeddingForward', ['dim', dim]);
      if (dim > 0) checkIds(ids, Math.floor(table.length / dim), 'embeddingForward');
      need(out, ids.length * dim, 'out', 'embeddingForward');
      a.embFwd(table, ids, out, dim);
    },
    embeddingBackward(dOut, ids, dTable, dim) {
      dims('embeddingBackward', ['dim', dim]);
      if (dim > 0) checkIds(ids, Math.floor(dTable.length / dim), 'embeddingBackward');
      need(dOut, ids.length * dim, 'dOut', 'embeddingBackward');
      a.embBwd(dOut, ids, dTable, dim);
    },
    logprobForward(logits, rows, vocab, targets, invT, outLogprob, outEntropy, outLse) {
      const n = 'logprobForward';
      dims(n, ['rows', rows], ['vocab', vocab]);
      need(logits, rows * vocab, 'logits', n); need(targets, rows, 'targets', n);
      for (let r = 0; r < rows; r++) if (targets[r]! >= vocab) throw new RangeError(`${n}: targets[${r}] = ${targets[r]} >= vocab ${vocab}`);
      need(outLogprob, rows, 'outLogprob', n); if (outEntropy) need(outEntropy, rows, 'outEntropy', n); need(outLse, rows, 'outLse', n);
      a.logprobFwd(logits, rows, vocab, targets, invT, outLogprob, outEntropy, outLse);
    },
    logprobBackward(logits, rows, vocab, targets, invT, lse, dLogprob, dEntropy, dLogits) {
      const n = 'logprobBackward';
      dims(n, ['rows', rows], ['vocab', vocab]);
      need(logits, rows * vocab, 'logits', n); need(targets, rows, 'targets', n);
      for (let r = 0; r < rows; r++) if (targets[r]! >= vocab) throw new RangeError(`${n}: targets[${r}] = ${targets[r]} >= vocab ${vocab}`);
      need(lse, rows, 'lse', n); need(dLogprob, rows, 'dLogprob', n); if (dEntropy) need(dEntropy, rows, 'dEntropy', n);
      need(dLogits, rows * vocab, 'dLogits', n);
      a.logprobBwd(logits, rows, vocab, targets, invT, lse, dLogprob, dEntropy, dLogits);
    },
    adamw(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step, gradScale) {
      const n = param.length;
      need(grad, n, 'grad', 'adamw'); need(m, n, 'm', 'adamw'); need(v, n, 'v', 'adamw');
      if (!(step >= 1)) throw new RangeError(`adamw: step counts from 1, got ${step}`);
      a.adamw(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step, gradScale);
    },
    sumSquares: (x) => a.sumSquares(x),
    axpy(n, alpha, x, y) {
      dims('axpy', ['n', n]);
      need(x, n, 'x', 'axpy'); need(y, n, 'y', 'axpy');
      a.axpy(n, alpha, x, y);
    },
    // Every size, offset, position and id is checked by the addon itself (one pass in C++).
    decodeStep: (p: DecodeStepParams) => a.decodeStep(p.weights, p.plan, p.cos, p.sin, p.ids, p.rows, p.caches, p.logits),
    bf16ToF32(src, dst) { need(dst, src.length, 'dst', 'bf16ToF32'); a.bf16ToF32(src, dst); },
    f16ToF32(src, dst) { need(dst, src.length, 'dst', 'f16ToF32'); a.f16ToF32(src, dst); },
    f32ToBf16(src, dst) { need(dst, src.length, 'dst', 'f32ToBf16'); a.f32ToBf16(src, dst); },
    f32ToF16(src, dst) { need(dst, src.length, 'dst', 'f32ToF16'); a.f32ToF16(src, dst); },
  };
  return k;
}
