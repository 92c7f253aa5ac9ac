/**
 * Grouped-query causal attention for the TypeScript fallback, flash style: one pass per
 * (query, head) with an online softmax (Dao et al., FlashAttention, 2022; Milakov &
 * Gimelshein, "Online normalizer calculation for softmax", 2018), saving the
 * log-sum-exp so the backward pass recomputes the probabilities instead of storing the
 * Tq x Tk matrix. Scratch memory is O(D) forward and O(Tk) backward.
 */
import type { AttentionBackwardParams, AttentionParams } from '../kernels.ts';

interface Layout { qS: number; kvS: number; oS: number; group: number }

function layout(p: AttentionParams): Layout {
  if (p.H % p.Hkv !== 0) throw new RangeError(`attention: H=${p.H} is not a multiple of Hkv=${p.Hkv}`);
  return {
    qS: p.qStride ?? p.H * p.D,
    kvS: p.kvStride ?? p.Hkv * p.D,
    oS: p.oStride ?? p.H * p.D,
    group: p.H / p.Hkv,
  };
}

/** Number of keys query i may see (keys 0 .. n-1). */
function visibleKeys(p: AttentionParams, i: number): number {
  if (!p.causal) return p.Tk;
  return Math.max(0, Math.min(p.Tk, p.qPos0 + i + 1));
}

export function attentionForwardJs(p: AttentionParams): void {
  const { q, k, v, out, lse, Tq, H, D, scale } = p;
  const { qS, kvS, oS, group } = layout(p);
  const acc_D = new Float64Array(D);
  for (let i = 0; i < Tq; i++) {
    const n = visibleKeys(p, i);
    for (let h = 0; h < H; h++) {
      const qOff = i * qS + h * D;
      const kvH = Math.floor(h / group) * D;
      let m = -Infinity;
      let l = 0;
      acc_D.fill(0);
      for (let j = 0; j < n; j++) {
        const kOff = j * kvS + kvH;
        let s = 0;
        for (let d = 0; d < D; d++) s += q[qOff + d]! * k[kOff + d]!;
        s *= scale;
        if (s > m) {
          const c = Math.exp(m - s);
          l *= c;
          for (let d = 0; d < D; d++) acc_D[d]! *= c;
          m = s;
        }
        const e = Math.exp(s - m);
        l += e;
        for (let d = 0; d < D; d++) acc_D[d]! += e * v[kOff + d]!;
      }
      const oOff = i * oS + h * D;
      const inv = l > 0 ? 1 / l : 0;
      for (let d = 0; d < D; d++) out[oOff + d] = acc_D[d]! * inv;
      if (lse) lse[i * H + h] = l > 0 ? m + Math.log(l) : -Infinity;
    }
  }
}

/**
 * Backward: with P = exp(scale * q k^T - lse) recomputed, Delta_i = dO_i . O_i,
 * dV = P^T dO, dS = P * (dO V^T - Delta), dQ = scale * dS K, dK = scale * dS^T Q.
 * Query heads of one group accumulate into their shared kv head.
 */
export function attentionBackwardJs(p: AttentionBackwardParams): void {
  const { q, k, v, out, lse, dOut, dq, dk, dv, Tq, Tk, H, Hkv, D, scale } = p;
  const { qS, kvS, oS, group } = layout(p);
  for (let i = 0; i < Tq; i++) for (let h = 0; h < H; h++) dq.fill(0, i * qS + h * D, i * qS + h * D + D);
  for (let j = 0; j < Tk; j++) for (let h = 0; h < Hkv; h++) {
    dk.fill(0, j * kvS + h * D, j * kvS + h * D + D);
    dv.fill(0, j * kvS + h * D, j * kvS + h * D + D);
  }
  const dq_D = new Float64Array(D);
  for (let i = 0; i < Tq; i++) {
    const n = visibleKeys(p, i);
    for (let h = 0; h < H; h++) {
      const qOff = i * qS + h * D;
      const oOff = i * oS + h * D;
      const kvH = Math.floor(h / group) * D;
      const L = lse[i * H + h]!;
      let delta = 0;
      for (let d = 0; d < D; d++) delta += dOut[oOff + d]! * out[oOff + d]!;
      dq_D.fill(0);
      for (let j = 0; j < n; j++) {
        const kOff = j * kvS + kvH;
        let s = 0;
        let dp = 0;
        for (let d = 0; d < D; d++) {
          s += q[qOff + d]! * k[kOff + d]!;
          dp += dOut[oOff + d]! * v[kOff + d]!;
        }
        const pr = Math.exp(s * scale - L);
        const ds = pr * (dp - delta) * scale;
        for (let d = 0; d < D; d++) {
          dq_D[d]! += ds * k[kOff + d]!;
          dk[kOff + d]! += ds * q[qOff + d]!;
          dv[kOff + d]! += pr * dOut[oOff + d]!;
        }
      }
      for (let d = 0; d < D; d++) dq[qOff + d] = dq_D[d]!;
    }
  }
}
