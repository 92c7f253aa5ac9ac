/**
 * Preallocated activation buffers for one sequence of up to `capacity` rows (llm.c style:
 * nothing is allocated per layer or per step; the buffers grow, by doubling, only when a
 * longer sequence arrives). Memory is linear in T: attention keeps only its log-sum-exp.
 */
import type { Dims } from './weights.ts';

export class Workspace {
  capacity = 0;
  // forward intermediates of one layer (kept for its backward)
  h1 = new Float32Array(0);
  rstd1 = new Float32Array(0);
  q = new Float32Array(0);
  k = new Float32Array(0);
  v = new Float32Array(0);
  qPre = new Float32Array(0);
  kPre = new Float32Array(0);
  rstdQ = new Float32Array(0);
  rstdK = new Float32Array(0);
  att = new Float32Array(0);
  lse = new Float32Array(0);
  x2 = new Float32Array(0);
  h2 = new Float32Array(0);
  rstd2 = new Float32Array(0);
  g = new Float32Array(0);
  u = new Float32Array(0);
  a = new Float32Array(0);
  // backward scratch
  da = new Float32Array(0);
  dg = new Float32Array(0);
  du = new Float32Array(0);
  dh = new Float32Array(0);
  tmp = new Float32Array(0);
  datt = new Float32Array(0);
  dq = new Float32Array(0);
  dk = new Float32Array(0);
  dv = new Float32Array(0);
  dqPre = new Float32Array(0);
  dkPre = new Float32Array(0);
  /** All ones, for column sums (bias gradients) as a GEMM. */
  ones = new Float32Array(0);
  /** LoRA intermediates x·Aᵀ, [T, maxRank] each, for the seven target slots. */
  loraU: Float32Array[] = [];
  loraDu = new Float32Array(0);
  positions = new Int32Array(0);
  /** Sink for norm-weight gradients of frozen weights. */
  normScratch = new Float32Array(0);

  constructor(private readonly d: Dims, private readonly qkNorm: boolean, private readonly training: boolean, private readonly loraRank = 0) {}

  /** Grows to at least T rows (doubling), or exactly T rows with `exact`. */
  ensure(T: number, exact = false): void {
    if (T <= this.capacity) return;
    let cap = Math.max(16, this.capacity);
    while (cap < T) cap *= 2;
    if (exact) cap = T;
    const { hidden, inter, qDim, kvDim, H, Hkv } = this.d;
    const f = (n: number) => new Float32Array(cap * n);
    this.h1 = f(hidden); this.rstd1 = f(1);
    this.q = f(qDim); this.k = f(kvDim); this.v = f(kvDim);
    if (this.qkNorm) { this.qPre = f(qDim); this.kPre = f(kvDim); this.rstdQ = f(H); this.rstdK = f(Hkv); }
    this.att = f(qDim); this.lse = f(H);
    this.x2 = f(hidden); this.h2 = f(hidden); this.rstd2 = f(1);
    this.g = f(inter); this.u = f(inter); this.a = f(inter);
    if (this.training) {
      this.da = f(inter); this.dg = f(inter); this.du = f(inter);
      this.dh = f(hidden); this.tmp = f(hidden);
      this.datt = f(qDim); this.dq = f(qDim); this.dk = f(kvDim); this.dv = f(kvDim);
      if (this.qkNorm) { this.dqPre = f(qDim); this.dkPre = f(kvDim); }
      this.ones = f(1).fill(1);
    }
    if (this.loraRank > 0) {
      this.loraU = Array.from({ length: 7 }, () => f(this.loraRank));
      if (this.training) this.loraDu = f(this.loraRank);
    }
    this.positions = new Int32Array(cap);
    for (let i = 0; i < cap; i++) this.positions[i] = i;
    this.capacity = cap;
  }

  /** Uses the backward scratch buffers of `src` (a per-layer activation store shares one scratch set). */
  shareScratch(src: Workspace): void {
    this.da = src.da; this.dg = src.dg; this.du = src.du; this.dh = src.dh; this.tmp = src.tmp;
    this.datt = src.datt; this.dq = src.dq; this.dk = src.dk; this.dv = src.dv;
    this.dqPre = src.dqPre; this.dkPre = src.dkPre; this.ones = src.ones; this.loraDu = src.loraDu;
    this.normScratch = src.normScratch;
  }

  /** Bytes of the forward activations a layer's backward reads, for T rows. */
  static activationBytes(d: Dims, qkNorm: boolean, T: number, loraRank = 0): number {
    const perRow = 3 * d.hidden + 2 + 2 * d.qDim + 2 * d.kvDim + d.H + 3 * d.inter
      + (qkNorm ? d.qDim + d.kvDim + d.H + d.Hkv : 0) + 7 * loraRank + 1;
    return perRow * T * 4;
  }
}
