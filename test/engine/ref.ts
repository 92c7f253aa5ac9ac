/**
 * Independent float64 references for the kernel tests: the textbook formulas with full
 * matrices (no online softmax, no tiling), plus finite-difference helpers.
 */
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.ts';
import type { AttentionParams } from '../../src/engine/kernels.ts';

export function randn(rng: Rng, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    // Box-Muller from two uniforms.
    const u = Math.max(rng.float(), 1e-12);
    const v = rng.float();
    a[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return a;
}

export function sgemmRef(tA: boolean, tB: boolean, M: number, N: number, K: number, alpha: number,
  A: Float32Array, lda: number, B: Float32Array, ldb: number, beta: number, C: Float32Array, ldc: number): Float64Array {
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += (tA ? A[k * lda + i]! : A[i * lda + k]!) * (tB ? B[j * ldb + k]! : B[k * ldb + j]!);
    out[i * N + j] = alpha * s + (beta === 0 ? 0 : beta * C[i * ldc + j]!);
  }
  return out;
}

/** Full-matrix attention; returns out [Tq*H*D] (dense) and lse [Tq*H]. */
export function attentionRef(p: AttentionParams): { out: Float64Array; lse: Float64Array; P: Float64Array[] } {
  const { q, k, v, Tq, Tk, H, Hkv, D, scale } = p;
  const qS = p.qStride ?? H * D;
  const kvS = p.kvStride ?? Hkv * D;
  const g = H / Hkv;
  const out = new Float64Array(Tq * H * D);
  const lse = new Float64Array(Tq * H);
  const P: Float64Array[] = [];
  for (let h = 0; h < H; h++) {
    const kh = Math.floor(h / g);
    const Ph = new Float64Array(Tq * Tk);
    for (let i = 0; i < Tq; i++) {
      const s = new Float64Array(Tk).fill(-Infinity);
      let m = -Infinity;
      for (let j = 0; j < Tk; j++) {
        if (p.causal && j > p.qPos0 + i) continue;
        let d = 0;
        for (let c = 0; c < D; c++) d += q[i * qS + h * D + c]! * k[j * kvS + kh * D + c]!;
        s[j] = d * scale;
        m = Math.max(m, s[j]!);
      }
      let z = 0;
      for (let j = 0; j < Tk; j++) z += Math.exp(s[j]! - m);
      lse[i * H + h] = m + Math.log(z);
      for (let j = 0; j < Tk; j++) {
        const pr = Math.exp(s[j]! - m) / z;
        Ph[i * Tk + j] = pr;
        for (let c = 0; c < D; c++) out[(i * H + h) * D + c]! += pr * v[j * kvS + kh * D + c]!;
      }
    }
    P.push(Ph);
  }
  return { out, lse, P };
}

/** max |a - b| <= atol + rtol * max|b| over all elements. */
export function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  const tol = atol + rtol * scale;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= tol) && !(Number.isNaN(a[i]!) && Number.isNaN(b[i]!)) && a[i] !== b[i]) {
      assert.fail(`${what}: element ${i}: ${a[i]} vs ${b[i]} (|diff| ${d} > tol ${tol})`);
    }
  }
}

/**
 * Central finite differences of scalar loss() w.r.t. x at `count` random indices,
 * compared with the analytic gradient.
 */
export function checkGradFD(rng: Rng, x: Float32Array, grad: ArrayLike<number>, loss: () => number, what: string,
  opts: { count?: number; eps?: number; rtol?: number; atol?: number } = {}): void {
  const count = Math.min(opts.count ?? 12, x.length);
  const eps = opts.eps ?? 1e-2;
  let gScale = 0;
  for (let i = 0; i < grad.length; i++) gScale = Math.max(gScale, Math.abs(grad[i]!));
  const tol = (opts.atol ?? 1e-4) + (opts.rtol ?? 1e-2) * gScale;
  for (let c = 0; c < count; c++) {
    const i = rng.int(x.length);
    const x0 = x[i]!;
    x[i] = x0 + eps;
    const lp = loss();
    x[i] = x0 - eps;
    const lm = loss();
    x[i] = x0;
    const fd = (lp - lm) / ((Math.fround(x0 + eps) - Math.fround(x0 - eps)));
    const d = Math.abs(fd - grad[i]!);
    if (!(d <= tol)) assert.fail(`${what}: d/dx[${i}] finite difference ${fd} vs analytic ${grad[i]} (tol ${tol})`);
  }
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
