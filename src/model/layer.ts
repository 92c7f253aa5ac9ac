/**
 * One Qwen decoder layer over T rows of one sequence, forward and backward, written out
 * explicitly over the workspace buffers (no autograd; karpathy/llm.c style):
 *
 *   h1 = rmsnorm(x) ; q,k,v = h1·Wᵀ (+b) ; [qwen3: q,k = rmsnorm per head] ; rope(q,k)
 *   att = softmax(q·kᵀ/√D + causal)·v ; x2 = x + att·Woᵀ
 *   h2 = rmsnorm(x2) ; out = x2 + (silu(h2·Wgᵀ) ⊙ h2·Wuᵀ)·Wdᵀ
 *
 * Backward consumes the intermediates the forward left in the workspace (the model
 * recomputes a layer's forward from its saved input right before its backward:
 * activation checkpointing). Gradients accumulate into the given gradient views.
 */
import type { Kernels } from '../engine/kernels.ts';
import type { Dims, LayerParams } from './weights.ts';
import type { Workspace } from './workspace.ts';
import type { LoraLayer, LoraPair } from './lora.ts';

export interface LayerCtx {
  k: Kernels;
  d: Dims;
  eps: number;
  qkNorm: boolean;
  cos: Float32Array;
  sin: Float32Array;
  /**
   * Packed sequences: the rows hold several sequences back to back, of these lengths
   * (summing to T); attention stays inside each one and `positions` restart at 0 for
   * each. Absent: the rows are one sequence at positions 0..T-1.
   */
  segments?: readonly number[];
  /** RoPE position of each row when `segments` is given. */
  positions?: Int32Array;
}

/**
 * Causal attention of every segment over itself (rows are contiguous per segment, so each
 * one is a view of the packed buffers): training on many short sequences in one pass keeps
 * the GEMMs around it wide, while attention costs what it would one sequence at a time.
 */
function attendForward(c: LayerCtx, ws: Workspace, T: number): void {
  const { H, Hkv, D, qDim, kvDim } = c.d;
  const scale = 1 / Math.sqrt(D);
  for (const [s0, len] of segmentSpans(c.segments, T)) {
    c.k.attentionForward({
      q: ws.q.subarray(s0 * qDim), k: ws.k.subarray(s0 * kvDim), v: ws.v.subarray(s0 * kvDim), out: ws.att.subarray(s0 * qDim),
      lse: ws.lse.subarray(s0 * H), Tq: len, Tk: len, H, Hkv, D, scale, causal: true, qPos0: 0,
    });
  }
}

function attendBackward(c: LayerCtx, ws: Workspace, T: number): void {
  const { H, Hkv, D, qDim, kvDim } = c.d;
  const scale = 1 / Math.sqrt(D);
  for (const [s0, len] of segmentSpans(c.segments, T)) {
    const qo = s0 * qDim;
    const ko = s0 * kvDim;
    c.k.attentionBackward({
      q: ws.q.subarray(qo), k: ws.k.subarray(ko), v: ws.v.subarray(ko), out: ws.att.subarray(qo), lse: ws.lse.subarray(s0 * H),
      dOut: ws.datt.subarray(qo), dq: ws.dq.subarray(qo), dk: ws.dk.subarray(ko), dv: ws.dv.subarray(ko),
      Tq: len, Tk: len, H, Hkv, D, scale, causal: true, qPos0: 0,
    });
  }
}

/** [first row, length] of each segment (one span of T rows when unpacked). */
export function segmentSpans(segments: readonly number[] | undefined, T: number): [number, number][] {
  if (!segments) return [[0, T]];
  const out: [number, number][] = [];
  let s0 = 0;
  for (const len of segments) {
    out.push([s0, len]);
    s0 += len;
  }
  return out;
}

/** Row positions of packed segments: 0..len-1 for each. */
export function segmentPositions(segments: readonly number[]): Int32Array {
  const pos = new Int32Array(segments.reduce((a, b) => a + b, 0));
  let r = 0;
  for (const len of segments) for (let i = 0; i < len; i++) pos[r++] = i;
  return pos;
}

/** LoRA slot order in a layer. */
export const SLOT = { q: 0, k: 1, v: 2, o: 3, gate: 4, up: 5, down: 6 } as const;

/** out[T, outDim] = x·Wᵀ (+ b) (+ scale·(x·Aᵀ)·Bᵀ); u receives x·Aᵀ for the backward. */
export function linearForward(k: Kernels, x: Float32Array, T: number, inDim: number, W: Float32Array, b: Float32Array | null,
  out: Float32Array, outDim: number, lora: LoraPair | null, u: Float32Array | undefined): void {
  let beta = 0;
  if (b) {
    for (let t = 0; t < T; t++) out.set(b, t * outDim);
    beta = 1;
  }
  k.sgemm(false, true, T, outDim, inDim, 1, x, inDim, W, inDim, beta, out, outDim);
  if (lora && u) {
    const r = lora.rank;
    k.sgemm(false, true, T, r, inDim, 1, x, inDim, lora.A, inDim, 0, u, r);
    k.sgemm(false, true, T, outDim, r, lora.scale, u, r, lora.B, r, 1, out, outDim);
  }
}

/**
 * Backward of linearForward: dx (= or +=, by `accumulate`) dy·W (+ LoRA path);
 * gW += dyᵀ·x, gB += column sums of dy, LoRA gA/gB accumulate.
 */
export function linearBackward(k: Kernels, ws: Workspace, dy: Float32Array, T: number, outDim: number, x: Float32Array, inDim: number,
  W: Float32Array, gW: Float32Array | null, gB: Float32Array | null, dx: Float32Array, accumulate: boolean,
  lora: LoraPair | null, u: Float32Array | undefined): void {
  k.sgemm(false, false, T, inDim, outDim, 1, dy, outDim, W, inDim, accumulate ? 1 : 0, dx, inDim);
  if (gW) k.sgemm(true, false, outDim, inDim, T, 1, dy, outDim, x, inDim, 1, gW, inDim);
  if (gB) k.sgemm(false, false, 1, outDim, T, 1, ws.ones, T, dy, outDim, 1, gB, outDim);
  if (lora && u) {
    const r = lora.rank;
    const du = ws.loraDu;
    k.sgemm(false, false, T, r, outDim, lora.scale, dy, outDim, lora.B, r, 0, du, r);
    if (lora.gB) k.sgemm(true, false, outDim, r, T, lora.scale, dy, outDim, u, r, 1, lora.gB, r);
    if (lora.gA) k.sgemm(true, false, r, inDim, T, 1, du, r, x, inDim, 1, lora.gA, inDim);
    k.sgemm(false, false, T, inDim, r, 1, du, r, lora.A, inDim, 1, dx, inDim);
  }
}

function qkvSlices(p: LayerParams, d: Dims) {
  const { hidden, qDim, kvDim } = d;
  const Wq = p.qkvW.subarray(0, qDim * hidden);
  const Wk = p.qkvW.subarray(qDim * hidden, (qDim + kvDim) * hidden);
  const Wv = p.qkvW.subarray((qDim + kvDim) * hidden, (qDim + 2 * kvDim) * hidden);
  const bq = p.qkvB ? p.qkvB.subarray(0, qDim) : null;
  const bk = p.qkvB ? p.qkvB.subarray(qDim, qDim + kvDim) : null;
  const bv = p.qkvB ? p.qkvB.subarray(qDim + kvDim, qDim + 2 * kvDim) : null;
  return { Wq, Wk, Wv, bq, bk, bv };
}

/**
 * q, k, v projections of h1 (rows T) into ws.q/k/v, q/k norm (qwen3) and RoPE at
 * `positions`. Shared by training, prefill and decode.
 */
export function projectQkv(c: LayerCtx, p: LayerParams, lora: LoraLayer | null, ws: Workspace, T: number, positions: Int32Array): void {
  const { k, d } = c;
  const { hidden, qDim, kvDim, H, Hkv, D } = d;
  const s = qkvSlices(p, d);
  const qOut = c.qkNorm ? ws.qPre : ws.q;
  const kOut = c.qkNorm ? ws.kPre : ws.k;
  linearForward(k, ws.h1, T, hidden, s.Wq, s.bq, qOut, qDim, lora?.[SLOT.q] ?? null, ws.loraU[SLOT.q]);
  linearForward(k, ws.h1, T, hidden, s.Wk, s.bk, kOut, kvDim, lora?.[SLOT.k] ?? null, ws.loraU[SLOT.k]);
  linearForward(k, ws.h1, T, hidden, s.Wv, s.bv, ws.v, kvDim, lora?.[SLOT.v] ?? null, ws.loraU[SLOT.v]);
  normAndRope(c, p, ws, T, positions);
}

/** q/k RMSNorm (qwen3) from qPre/kPre into q/k, then RoPE on q and k. */
function normAndRope(c: LayerCtx, p: LayerParams, ws: Workspace, T: number, positions: Int32Array): void {
  const { k, d } = c;
  const { qDim, kvDim, H, Hkv, D } = d;
  if (c.qkNorm) {
    k.rmsnormForward(ws.qPre, p.qNorm!, ws.q, ws.rstdQ, T * H, D, c.eps);
    k.rmsnormForward(ws.kPre, p.kNorm!, ws.k, ws.rstdK, T * Hkv, D, c.eps);
  }
  k.ropeForward(ws.q, T, H, D, qDim, positions, c.cos, c.sin);
  k.ropeForward(ws.k, T, Hkv, D, kvDim, positions, c.cos, c.sin);
}

/**
 * projectQkv for few rows (decode) without LoRA on q/k/v: one GEMM over the fused q/k/v
 * weight into `qkv` [T, qkvDim], then the rows are split into ws.q/k/v (a small copy):
 * one weight pass and one kernel call instead of three.
 */
export function projectQkvFused(c: LayerCtx, p: LayerParams, ws: Workspace, T: number, positions: Int32Array, qkv: Float32Array): void {
  const { k, d } = c;
  const { hidden, qDim, kvDim, qkvDim } = d;
  linearForward(k, ws.h1, T, hidden, p.qkvW, p.qkvB, qkv, qkvDim, null, undefined);
  const qOut = c.qkNorm ? ws.qPre : ws.q;
  const kOut = c.qkNorm ? ws.kPre : ws.k;
  for (let t = 0; t < T; t++) {
    const o = t * qkvDim;
    qOut.set(qkv.subarray(o, o + qDim), t * qDim);
    kOut.set(qkv.subarray(o + qDim, o + qDim + kvDim), t * kvDim);
    ws.v.set(qkv.subarray(o + qDim + kvDim, o + qkvDim), t * kvDim);
  }
  normAndRope(c, p, ws, T, positions);
}

/** The gate and up weights as one [2I, hidden] view when they are adjacent in memory (they are in ModelWeights). */
export function fusedGateUp(p: LayerParams): Float32Array | null {
  const g = p.gateW;
  const u = p.upW;
  if (g.buffer !== u.buffer || g.byteOffset + g.byteLength !== u.byteOffset) return null;
  return new Float32Array(g.buffer, g.byteOffset, g.length + u.length);
}

/** Everything after attention: x2 = x + att·Woᵀ, then the MLP block; writes `out`. */
export function finishLayer(c: LayerCtx, p: LayerParams, lora: LoraLayer | null, ws: Workspace, T: number, x: Float32Array, out: Float32Array,
  gu: { W: Float32Array; buf: Float32Array } | null = null): void {
  const { k, d } = c;
  const { hidden, qDim, inter } = d;
  const n = T * hidden;
  const x2 = ws.x2.subarray(0, n);
  // x2 = x + o_proj(att): o_proj into x2 then add x.
  linearForward(k, ws.att, T, qDim, p.oW, null, x2, hidden, lora?.[SLOT.o] ?? null, ws.loraU[SLOT.o]);
  k.axpy(n, 1, x, x2);
  k.rmsnormForward(x2, p.postNorm, ws.h2, ws.rstd2, T, hidden, c.eps);
  if (gu && !lora?.[SLOT.gate] && !lora?.[SLOT.up]) {
    // Few rows (decode): one GEMM over the adjacent gate and up weights, rows split after.
    linearForward(k, ws.h2, T, hidden, gu.W, null, gu.buf, 2 * inter, null, undefined);
    for (let t = 0; t < T; t++) {
      const o = 2 * t * inter;
      ws.g.set(gu.buf.subarray(o, o + inter), t * inter);
      ws.u.set(gu.buf.subarray(o + inter, o + 2 * inter), t * inter);
    }
  } else {
    linearForward(k, ws.h2, T, hidden, p.gateW, null, ws.g, inter, lora?.[SLOT.gate] ?? null, ws.loraU[SLOT.gate]);
    linearForward(k, ws.h2, T, hidden, p.upW, null, ws.u, inter, lora?.[SLOT.up] ?? null, ws.loraU[SLOT.up]);
  }
  k.swigluForward(ws.g, ws.u, ws.a, T * inter);
  linearForward(k, ws.a, T, inter, p.downW, null, out, hidden, lora?.[SLOT.down] ?? null, ws.loraU[SLOT.down]);
  k.axpy(n, 1, x2, out);
}

/** Full-sequence (training or prefill) forward of one layer; x and out are [T, hidden] and must not alias. */
export function layerForward(c: LayerCtx, p: LayerParams, lora: LoraLayer | null, ws: Workspace, T: number, x: Float32Array, out: Float32Array): void {
  const { k, d } = c;
  k.rmsnormForward(x, p.inNorm, ws.h1, ws.rstd1, T, d.hidden, c.eps);
  projectQkv(c, p, lora, ws, T, c.positions ?? ws.positions);
  attendForward(c, ws, T);
  finishLayer(c, p, lora, ws, T, x, out);
}

/**
 * Backward of one layer whose forward (from input x) has just been run into `ws`.
 * dX holds dLoss/d(out) on entry and dLoss/dx on return. g: the layer's gradient views,
 * or null when the base weights are frozen (LoRA).
 */
export function layerBackward(c: LayerCtx, p: LayerParams, g: LayerParams | null, lora: LoraLayer | null, ws: Workspace, T: number,
  x: Float32Array, dX: Float32Array): void {
  const { k, d } = c;
  const { hidden, qDim, kvDim, inter, H, Hkv, D } = d;
  const n = T * hidden;
  // MLP: out = x2 + down(a), a = silu(g) ⊙ u.
  linearBackward(k, ws, dX, T, hidden, ws.a, inter, p.downW, g?.downW ?? null, null, ws.da, false, lora?.[SLOT.down] ?? null, ws.loraU[SLOT.down]);
  k.swigluBackward(ws.g, ws.u, ws.da, ws.dg, ws.du, T * inter);
  linearBackward(k, ws, ws.dg, T, inter, ws.h2, hidden, p.gateW, g?.gateW ?? null, null, ws.dh, false, lora?.[SLOT.gate] ?? null, ws.loraU[SLOT.gate]);
  linearBackward(k, ws, ws.du, T, inter, ws.h2, hidden, p.upW, g?.upW ?? null, null, ws.dh, true, lora?.[SLOT.up] ?? null, ws.loraU[SLOT.up]);
  const tmp = ws.tmp.subarray(0, n);
  k.rmsnormBackward(ws.x2, p.postNorm, ws.rstd2, ws.dh, tmp, g ? g.postNorm : scratchNorm(ws, hidden), T, hidden);
  k.axpy(n, 1, tmp, dX); // dX = dLoss/dx2
  // Attention: x2 = x + o(att).
  linearBackward(k, ws, dX, T, hidden, ws.att, qDim, p.oW, g?.oW ?? null, null, ws.datt, false, lora?.[SLOT.o] ?? null, ws.loraU[SLOT.o]);
  attendBackward(c, ws, T);
  const positions = c.positions ?? ws.positions;
  k.ropeBackward(ws.dq, T, H, D, qDim, positions, c.cos, c.sin);
  k.ropeBackward(ws.dk, T, Hkv, D, kvDim, positions, c.cos, c.sin);
  let dq = ws.dq;
  let dk = ws.dk;
  if (c.qkNorm) {
    k.rmsnormBackward(ws.qPre, p.qNorm!, ws.rstdQ, ws.dq, ws.dqPre, g ? g.qNorm! : scratchNorm(ws, D), T * H, D);
    k.rmsnormBackward(ws.kPre, p.kNorm!, ws.rstdK, ws.dk, ws.dkPre, g ? g.kNorm! : scratchNorm(ws, D), T * Hkv, D);
    dq = ws.dqPre;
    dk = ws.dkPre;
  }
  const s = qkvSlices(p, d);
  const gs = g ? qkvSlices(g, d) : null;
  linearBackward(k, ws, dq, T, qDim, ws.h1, hidden, s.Wq, gs?.Wq ?? null, gs?.bq ?? null, ws.dh, false, lora?.[SLOT.q] ?? null, ws.loraU[SLOT.q]);
  linearBackward(k, ws, dk, T, kvDim, ws.h1, hidden, s.Wk, gs?.Wk ?? null, gs?.bk ?? null, ws.dh, true, lora?.[SLOT.k] ?? null, ws.loraU[SLOT.k]);
  linearBackward(k, ws, ws.dv, T, kvDim, ws.h1, hidden, s.Wv, gs?.Wv ?? null, gs?.bv ?? null, ws.dh, true, lora?.[SLOT.v] ?? null, ws.loraU[SLOT.v]);
  k.rmsnormBackward(x, p.inNorm, ws.rstd1, ws.dh, tmp, g ? g.inNorm : scratchNorm(ws, hidden), T, hidden);
  k.axpy(n, 1, tmp, dX); // dX = dLoss/dx
}

/** rmsnormBackward always accumulates a weight gradient; with frozen weights it goes to scratch. */
function scratchNorm(ws: Workspace, n: number): Float32Array {
  if (ws.normScratch.length < n) ws.normScratch = new Float32Array(n);
  return ws.normScratch.subarray(0, n);
}
