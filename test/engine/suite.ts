/**
 * Kernel tests run against any backend: each kernel vs an independent float64
 * reference, each backward vs finite differences. js.test.ts and native.test.ts call it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.ts';
import type { AttentionParams, Kernels } from '../../src/engine/kernels.ts';
import { assertClose, attentionRef, checkGradFD, dot, randn, sgemmRef } from './ref.ts';

export function kernelSuite(label: string, k: Kernels): void {
  test(`${label}: sgemm matches the float64 reference (transposes, strides, alpha, beta)`, () => {
    const rng = new Rng(1);
    const shapes: [number, number, number][] = [[1, 1, 1], [3, 5, 7], [17, 33, 9], [65, 3, 127], [40, 70, 130], [129, 17, 65], [150, 40, 530]];
    for (const [M, N, K] of shapes) for (const tA of [false, true]) for (const tB of [false, true]) for (const beta of [0, 0.5]) {
      const lda = (tA ? M : K) + 3;
      const ldb = (tB ? K : N) + 1;
      const ldc = N + 2;
      const A = randn(rng, (tA ? K : M) * lda);
      const B = randn(rng, (tB ? N : K) * ldb);
      const C = randn(rng, M * ldc);
      if (beta === 0) C.fill(NaN); // beta = 0 must ignore old content, NaN included
      const C0 = C.slice();
      const alpha = 0.75;
      const ref = sgemmRef(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C0, ldc);
      k.sgemm(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
      const got = new Float64Array(M * N);
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) got[i * N + j] = C[i * ldc + j]!;
      assertClose(got, ref, 2e-6 * Math.sqrt(K), 1e-6, `sgemm ${M}x${N}x${K} tA=${tA} tB=${tB} beta=${beta}`);
      // padding columns of C are untouched
      for (let i = 0; i < M; i++) for (let j = N; j < ldc; j++) assert.ok(Object.is(C[i * ldc + j], C0[i * ldc + j]), 'C padding changed');
    }
  });

  const attnCases: { Tq: number; Tk: number; H: number; Hkv: number; D: number; causal: boolean; qPos0: number; pad: number }[] = [
    { Tq: 1, Tk: 1, H: 1, Hkv: 1, D: 1, causal: true, qPos0: 0, pad: 0 },
    { Tq: 7, Tk: 7, H: 4, Hkv: 2, D: 8, causal: true, qPos0: 0, pad: 0 },
    { Tq: 5, Tk: 13, H: 4, Hkv: 1, D: 3, causal: true, qPos0: 8, pad: 5 },
    { Tq: 6, Tk: 9, H: 2, Hkv: 2, D: 5, causal: false, qPos0: 0, pad: 2 },
    { Tq: 33, Tk: 33, H: 4, Hkv: 4, D: 17, causal: true, qPos0: 0, pad: 0 },
  ];

  function attnParams(rng: Rng, c: typeof attnCases[number]): AttentionParams {
    const qStride = c.H * c.D + c.pad;
    const kvStride = c.Hkv * c.D + c.pad;
    const oStride = c.H * c.D + c.pad;
    return {
      q: randn(rng, c.Tq * qStride), k: randn(rng, c.Tk * kvStride), v: randn(rng, c.Tk * kvStride),
      out: new Float32Array(c.Tq * oStride), lse: new Float32Array(c.Tq * c.H),
      Tq: c.Tq, Tk: c.Tk, H: c.H, Hkv: c.Hkv, D: c.D, scale: 1 / Math.sqrt(c.D), causal: c.causal, qPos0: c.qPos0,
      qStride, kvStride, oStride,
    };
  }

  function denseOut(p: AttentionParams, o: Float32Array): Float64Array {
    const oS = p.oStride ?? p.H * p.D;
    const r = new Float64Array(p.Tq * p.H * p.D);
    for (let i = 0; i < p.Tq; i++) for (let x = 0; x < p.H * p.D; x++) r[i * p.H * p.D + x] = o[i * oS + x]!;
    return r;
  }

  test(`${label}: attention forward matches full-matrix softmax (GQA, causal, qPos0, strides)`, () => {
    const rng = new Rng(2);
    for (const c of attnCases) {
      const p = attnParams(rng, c);
      k.attentionForward(p);
      const ref = attentionRef(p);
      assertClose(denseOut(p, p.out), ref.out, 1e-5, 1e-6, `attention out ${JSON.stringify(c)}`);
      assertClose(p.lse!, ref.lse, 1e-5, 1e-6, `attention lse ${JSON.stringify(c)}`);
    }
  });

  test(`${label}: attention backward matches finite differences`, () => {
    const rng = new Rng(3);
    for (const c of attnCases) {
      const p = attnParams(rng, c);
      const W = randn(rng, p.out.length);
      const loss = (): number => { k.attentionForward(p); return dot(p.out, W); };
      loss();
      const dq = new Float32Array(p.q.length).fill(7);
      const dk = new Float32Array(p.k.length).fill(7);
      const dv = new Float32Array(p.v.length).fill(7);
      // padding of dq/dk/dv must stay untouched; zero W there so the loss ignores it
      const pb = { ...p, lse: p.lse!, dOut: W, dq, dk, dv };
      k.attentionBackward(pb);
      const mask = (g: Float32Array, rows: number, width: number, stride: number): Float32Array => {
        const r = new Float32Array(g.length);
        for (let i = 0; i < rows; i++) for (let x = 0; x < width; x++) r[i * stride + x] = g[i * stride + x]!;
        for (let i = 0; i < g.length; i++) if (i % stride >= width && g[i] !== 7) assert.fail(`padding element ${i} overwritten`);
        return r;
      };
      const tag = JSON.stringify(c);
      const dqm = mask(dq, c.Tq, c.H * c.D, p.qStride!);
      checkGradFD(rng, p.q, dqm, loss, `attention dq ${tag}`, { eps: 3e-3 });
      checkGradFD(rng, p.k, mask(dk, c.Tk, c.Hkv * c.D, p.kvStride!), loss, `attention dk ${tag}`, { eps: 3e-3 });
      checkGradFD(rng, p.v, mask(dv, c.Tk, c.Hkv * c.D, p.kvStride!), loss, `attention dv ${tag}`, { eps: 3e-3 });
      if (c.pad > 0) assert.equal(dq[c.H * c.D], 7, 'dq padding column untouched');
    }
  });

  test(`${label}: rmsnorm forward and backward`, () => {
    const rng = new Rng(4);
    for (const [rows, dim] of [[1, 1], [3, 17], [5, 64], [2, 129]] as const) {
      const x = randn(rng, rows * dim);
      const w = randn(rng, dim, 0.5);
      for (let i = 0; i < dim; i++) w[i]! += 1;
      const out = new Float32Array(rows * dim);
      const rstd = new Float32Array(rows);
      const eps = 1e-6;
      k.rmsnormForward(x, w, out, rstd, rows, dim, eps);
      const ref = new Float64Array(rows * dim);
      for (let r = 0; r < rows; r++) {
        let ss = 0;
        for (let i = 0; i < dim; i++) ss += x[r * dim + i]! ** 2;
        const rs = 1 / Math.sqrt(ss / dim + eps);
        for (let i = 0; i < dim; i++) ref[r * dim + i] = x[r * dim + i]! * rs * w[i]!;
      }
      assertClose(out, ref, 1e-5, 1e-6, `rmsnorm ${rows}x${dim}`);
      const W = randn(rng, rows * dim);
      const dx = new Float32Array(rows * dim);
      const dw = new Float32Array(dim).fill(0.25);
      k.rmsnormBackward(x, w, rstd, W, dx, dw, rows, dim);
      for (let i = 0; i < dim; i++) dw[i]! -= 0.25; // accumulates
      const loss = (): number => { k.rmsnormForward(x, w, out, rstd, rows, dim, eps); return dot(out, W); };
      checkGradFD(rng, x, dx, loss, `rmsnorm dx ${rows}x${dim}`, { eps: 1e-2 });
      checkGradFD(rng, w, dw, loss, `rmsnorm dw ${rows}x${dim}`, { eps: 1e-2 });
    }
  });

  test(`${label}: rope forward (rotate_half, positions, strides) and its transpose`, () => {
    const rng = new Rng(5);
    for (const [rows, nHeads, headDim, pad] of [[1, 1, 2, 0], [5, 3, 8, 3], [7, 2, 34, 1]] as const) {
      const half = headDim / 2;
      const maxPos = 50;
      const cos = new Float32Array(maxPos * half);
      const sin = new Float32Array(maxPos * half);
      for (let t = 0; t < maxPos; t++) for (let i = 0; i < half; i++) {
        const ang = t * Math.pow(10000, -i / half);
        cos[t * half + i] = 1.1 * Math.cos(ang); // scaled, as YaRN folds its factor in
        sin[t * half + i] = 1.1 * Math.sin(ang);
      }
      const positions = Int32Array.from({ length: rows }, () => rng.int(maxPos));
      const rowStride = nHeads * headDim + pad;
      const x = randn(rng, rows * rowStride);
      const x0 = x.slice();
      k.ropeForward(x, rows, nHeads, headDim, rowStride, positions, cos, sin);
      const ref = x0.slice() as unknown as Float64Array;
      const refA = Float64Array.from(x0);
      for (let r = 0; r < rows; r++) for (let h = 0; h < nHeads; h++) for (let i = 0; i < half; i++) {
        const o = r * rowStride + h * headDim;
        const c = cos[positions[r]! * half + i]!;
        const s = sin[positions[r]! * half + i]!;
        refA[o + i] = x0[o + i]! * c - x0[o + i + half]! * s;
        refA[o + i + half] = x0[o + i + half]! * c + x0[o + i]! * s;
      }
      void ref;
      assertClose(x, refA, 1e-6, 1e-6, `rope ${rows}x${nHeads}x${headDim}`);
      // adjoint: <R x, y> = <x, R^T y>
      const y = randn(rng, rows * rowStride);
      const y0 = y.slice();
      k.ropeBackward(y, rows, nHeads, headDim, rowStride, positions, cos, sin);
      assert.ok(Math.abs(dot(x, y0) - dot(x0, y)) < 1e-4 * Math.sqrt(x.length), 'rope backward is the transpose');
    }
  });

  test(`${label}: swiglu forward and backward`, () => {
    const rng = new Rng(6);
    for (const n of [1, 3, 17, 33, 100]) {
      const g = randn(rng, n, 2);
      const u = randn(rng, n);
      const out = new Float32Array(n);
      k.swigluForward(g, u, out, n);
      assertClose(out, Array.from(g, (x, i) => (x / (1 + Math.exp(-x))) * u[i]!), 1e-6, 1e-7, `swiglu ${n}`);
      const W = randn(rng, n);
      const dg = new Float32Array(n);
      const du = new Float32Array(n);
      k.swigluBackward(g, u, W, dg, du, n);
      const loss = (): number => { k.swigluForward(g, u, out, n); return dot(out, W); };
      checkGradFD(rng, g, dg, loss, `swiglu dgate ${n}`);
      checkGradFD(rng, u, du, loss, `swiglu dup ${n}`);
    }
  });

  test(`${label}: embedding lookup and scatter-add with repeated ids`, () => {
    const rng = new Rng(7);
    const dim = 19;
    const V = 11;
    const table = randn(rng, V * dim);
    const ids = Int32Array.from([3, 0, 3, 10, 3, 5]);
    const out = new Float32Array(ids.length * dim);
    k.embeddingForward(table, ids, out, dim);
    for (let r = 0; r < ids.length; r++) for (let i = 0; i < dim; i++) assert.equal(out[r * dim + i], table[ids[r]! * dim + i]);
    const dOut = randn(rng, ids.length * dim);
    const dT = new Float32Array(V * dim).fill(1);
    k.embeddingBackward(dOut, ids, dT, dim);
    const ref = new Float64Array(V * dim).fill(1);
    for (let r = 0; r < ids.length; r++) for (let i = 0; i < dim; i++) ref[ids[r]! * dim + i]! += dOut[r * dim + i]!;
    assertClose(dT, ref, 1e-6, 1e-6, 'embedding backward');
  });

  test(`${label}: logprob/entropy forward and backward (temperature, ignored rows)`, () => {
    const rng = new Rng(8);
    for (const [rows, vocab, invT] of [[1, 1, 1], [3, 17, 1], [4, 1000, 1 / 0.7], [2, 65, 2]] as const) {
      const logits = randn(rng, rows * vocab, 3);
      const targets = Int32Array.from({ length: rows }, (_, r) => (r === 1 ? -100 : rng.int(vocab)));
      const lp = new Float32Array(rows);
      const ent = new Float32Array(rows);
      const lse = new Float32Array(rows);
      k.logprobForward(logits, rows, vocab, targets, invT, lp, ent, lse);
      for (let r = 0; r < rows; r++) {
        const z = Array.from(logits.subarray(r * vocab, (r + 1) * vocab), (x) => x * invT);
        const m = Math.max(...z);
        const L = m + Math.log(z.reduce((s, x) => s + Math.exp(x - m), 0));
        const H = -z.reduce((s, x) => s + Math.exp(x - L) * (x - L), 0);
        const t = targets[r]!;
        assert.ok(Math.abs(lse[r]! - L) < 1e-5 * Math.max(1, Math.abs(L)), `lse row ${r}`);
        assert.ok(Math.abs(lp[r]! - (t >= 0 ? z[t]! - L : 0)) < 2e-5 * Math.max(1, Math.abs(L)), `logprob row ${r}: ${lp[r]}`);
        assert.ok(Math.abs(ent[r]! - H) < 2e-5 * Math.max(1, Math.abs(L)), `entropy row ${r}: ${ent[r]} vs ${H}`);
      }
      const lp2 = new Float32Array(rows);
      k.logprobForward(logits, rows, vocab, targets, invT, lp2, null, lse);
      assert.deepEqual(lp2, lp, 'entropy null gives the same logprobs');
      const dlp = randn(rng, rows);
      const dent = randn(rng, rows);
      const loss = (): number => { k.logprobForward(logits, rows, vocab, targets, invT, lp, ent, lse); return dot(lp, dlp) + dot(ent, dent); };
      loss();
      const dLogits = new Float32Array(rows * vocab);
      k.logprobBackward(logits, rows, vocab, targets, invT, lse, dlp, dent, dLogits);
      checkGradFD(rng, logits, dLogits, loss, `logprob dlogits ${rows}x${vocab}`, { eps: 2e-3, count: 20 });
      // aliasing: dLogits may be the logits buffer
      loss();
      const alias = logits.slice();
      k.logprobBackward(alias, rows, vocab, targets, invT, lse, dlp, dent, alias);
      assertClose(alias, dLogits, 1e-6, 1e-7, 'logprob backward in place');
      // without entropy gradient
      const d2 = new Float32Array(rows * vocab);
      k.logprobBackward(logits, rows, vocab, targets, invT, lse, dlp, null, d2);
      const lossLp = (): number => { k.logprobForward(logits, rows, vocab, targets, invT, lp, null, lse); return dot(lp, dlp); };
      checkGradFD(rng, logits, d2, lossLp, `logprob (no entropy) ${rows}x${vocab}`, { eps: 2e-3 });
    }
  });

  test(`${label}: adamw matches the PyTorch AdamW update; sumSquares; axpy`, () => {
    const rng = new Rng(9);
    for (const n of [1, 7, 33, 1000]) {
      const p = randn(rng, n);
      const g = randn(rng, n);
      const m = randn(rng, n, 0.1);
      const v = Float32Array.from(randn(rng, n, 0.1), (x) => x * x);
      const [lr, b1, b2, eps, wd, step, gs] = [1e-3, 0.9, 0.95, 1e-8, 0.1, 3, 0.5];
      const P = Float64Array.from(p);
      const Mv = Float64Array.from(m);
      const V = Float64Array.from(v);
      for (let i = 0; i < n; i++) {
        const gi = g[i]! * gs;
        P[i]! *= 1 - lr * wd;
        Mv[i] = b1 * Mv[i]! + (1 - b1) * gi;
        V[i] = b2 * V[i]! + (1 - b2) * gi * gi;
        P[i]! -= (lr / (1 - b1 ** step)) * Mv[i]! / (Math.sqrt(V[i]!) / Math.sqrt(1 - b2 ** step) + eps);
      }
      k.adamw(p, g, m, v, lr, b1, b2, eps, wd, step, gs);
      assertClose(p, P, 1e-6, 1e-7, `adamw param ${n}`);
      assertClose(m, Mv, 1e-6, 1e-8, `adamw m ${n}`);
      assertClose(v, V, 1e-6, 1e-9, `adamw v ${n}`);
      const ss = k.sumSquares(g);
      assert.ok(Math.abs(ss - dot(g, g)) <= 1e-12 * Math.max(1, ss), `sumSquares ${n}`);
      const y = randn(rng, n);
      const y0 = Float64Array.from(y);
      k.axpy(n, 0.3, g, y);
      assertClose(y, y0.map((yy, i) => yy + 0.3 * g[i]!), 1e-6, 1e-7, `axpy ${n}`);
    }
  });

  test(`${label}: bf16/f16 conversions round to nearest even`, () => {
    const vals = Float32Array.from([0, -0, 1, -2.5, 65504, 65520, 1e-8, 2 ** -14, 5.96e-8, 2.98e-8, 3e-8, Infinity, -Infinity, NaN, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 3.14159, 1e38, 3.4e38]);
    const h = new Uint16Array(vals.length);
    k.f32ToF16(vals, h);
    const expectF16 = [0x0000, 0x8000, 0x3c00, 0xc100, 0x7bff, 0x7c00, 0x0000, 0x0400, 0x0001, 0x0000, 0x0001, 0x7c00, 0xfc00, -1, 0x3c04, 0x3c0c, 0x4248, 0x7c00, 0x7c00];
    for (let i = 0; i < vals.length; i++) {
      if (expectF16[i] === -1) assert.ok((h[i]! & 0x7c00) === 0x7c00 && (h[i]! & 0x3ff) !== 0, 'f16 NaN');
      else assert.equal(h[i], expectF16[i], `f32ToF16(${vals[i]}) = 0x${h[i]!.toString(16)}`);
    }
    const back = new Float32Array(vals.length);
    k.f16ToF32(h, back);
    assert.equal(back[4], 65504);
    assert.equal(back[8], 2 ** -24);
    assert.equal(back[15], 1 + 3 * 2 ** -8);
    assert.ok(Number.isNaN(back[13]));
    const b = new Uint16Array(vals.length);
    k.f32ToBf16(vals, b);
    assert.equal(b[2], 0x3f80);
    assert.equal(b[14], 0x3f80, '1 + 2^-8 is a tie: rounds to even (1)');
    assert.equal(b[15], 0x3f82, '1 + 3*2^-8 is a tie: rounds to even (up)');
    assert.equal(b[18], 0x7f80, '3.4e38 rounds up to inf in bf16');
    const bb = new Float32Array(vals.length);
    k.bf16ToF32(b, bb);
    assert.ok(Number.isNaN(bb[13]), 'bf16 NaN stays NaN');
    assert.equal(bb[3], -2.5);
    // every f16 bit pattern round-trips through f32
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const f = new Float32Array(65536);
    k.f16ToF32(all, f);
    const rt = new Uint16Array(65536);
    k.f32ToF16(f, rt);
    for (let i = 0; i < 65536; i++) {
      if ((i & 0x7c00) === 0x7c00 && (i & 0x3ff)) continue;
      if (rt[i] !== i) assert.fail(`f16 0x${i.toString(16)} round trip gave 0x${rt[i]!.toString(16)}`);
    }
  });
}
