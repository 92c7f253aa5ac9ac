/**
 * The native kernels against the TypeScript ones on shapes that cross the tile and
 * cache-block edges and take the multi-threaded paths: within tolerance of the fallback,
 * within tolerance across thread counts, and bit-identical run to run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsKernels, nativeKernels } from '../../src/engine/index.ts';
import type { AttentionParams, Kernels } from '../../src/engine/kernels.ts';
import type { NativeKernels } from '../../src/engine/native.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertClose, randn } from './ref.ts';

const nat = nativeKernels() as NativeKernels | null;
const js = jsKernels();
const skip = nat ? false : 'native addon unavailable';

/** Runs fn on 1 and 2 threads, twice each; checks repeatability and returns the outputs. */
function acrossThreads(fn: (k: Kernels) => Float32Array[]): Float32Array[][] {
  const outs: Float32Array[][] = [];
  for (const t of [1, 2]) {
    nat!.setThreads(t);
    const a = fn(nat!);
    const b = fn(nat!);
    a.forEach((x, i) => assert.deepEqual(x, b[i], `threads=${t}: output ${i} differs between two runs`));
    outs.push(a);
  }
  nat!.setThreads(64);
  return outs;
}

function compare(outs: Float32Array[][], ref: Float32Array[], rtol: number, atol: number, what: string): void {
  for (const o of outs) o.forEach((x, i) => assertClose(x, ref[i]!, rtol, atol, `${what} [${i}]`));
}

test('native sgemm vs js across cache blocks, transposes and threads', { skip }, () => {
  const rng = new Rng(11);
  // The last shape's A rows are 4 KB apart (lda 1024), which A keeps packed; the others read it in place.
  for (const [M, N, K, ldaOver] of [[300, 200, 513, 1], [127, 65, 300, 1], [33, 600, 40, 1], [1, 1000, 17, 1], [4, 3000, 100, 1], [7, 513, 300, 1], [9, 100, 64, 1], [50, 70, 1000, 24]] as const) {
    for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const lda = (tA ? M : K) + ldaOver, ldb = (tB ? K : N) + 2, ldc = N + 3;
      const A = randn(rng, (tA ? K : M) * lda);
      const B = randn(rng, (tB ? N : K) * ldb);
      const C0 = randn(rng, M * ldc);
      const run = (k: Kernels): Float32Array[] => { const C = C0.slice(); k.sgemm(tA, tB, M, N, K, 1.25, A, lda, B, ldb, -0.5, C, ldc); return [C]; };
      compare(acrossThreads(run), run(js), 3e-6 * Math.sqrt(K), 1e-5, `sgemm ${M}x${N}x${K} ${tA} ${tB}`);
    }
  }
});

test('native attention vs js: several tiles, GQA 1/2/4, Tq != Tk with qPos0, odd D, threads', { skip }, () => {
  const rng = new Rng(12);
  const cases = [
    { Tq: 300, Tk: 300, H: 4, Hkv: 1, D: 64, causal: true, qPos0: 0 },
    { Tq: 250, Tk: 250, H: 4, Hkv: 2, D: 17, causal: true, qPos0: 0 },
    { Tq: 100, Tk: 350, H: 2, Hkv: 2, D: 32, causal: true, qPos0: 250 },
    { Tq: 130, Tk: 200, H: 4, Hkv: 4, D: 40, causal: false, qPos0: 0 },
    // three and more 192-row tiles each way, queries offset into the keys
    { Tq: 450, Tk: 450, H: 2, Hkv: 1, D: 64, causal: true, qPos0: 0 },
    { Tq: 200, Tk: 600, H: 2, Hkv: 1, D: 20, causal: true, qPos0: 400 },
    // decoding path (few queries, chunked keys merged in order)
    { Tq: 1, Tk: 1000, H: 8, Hkv: 2, D: 64, causal: true, qPos0: 999 },
    { Tq: 4, Tk: 700, H: 4, Hkv: 1, D: 17, causal: true, qPos0: 696 },
    { Tq: 3, Tk: 600, H: 2, Hkv: 2, D: 32, causal: false, qPos0: 0 },
  ];
  for (const c of cases) {
    const pad = 3;
    const qStride = c.H * c.D + pad, kvStride = c.Hkv * c.D + pad, oStride = c.H * c.D;
    const base: AttentionParams = {
      q: randn(rng, c.Tq * qStride), k: randn(rng, c.Tk * kvStride), v: randn(rng, c.Tk * kvStride),
      out: new Float32Array(0), lse: null, ...c, scale: 1 / Math.sqrt(c.D), qStride, kvStride, oStride,
    };
    const dOut = randn(rng, c.Tq * oStride);
    const run = (k: Kernels): Float32Array[] => {
      const out = new Float32Array(c.Tq * oStride);
      const lse = new Float32Array(c.Tq * c.H);
      const p = { ...base, out, lse };
      k.attentionForward(p);
      const dq = new Float32Array(c.Tq * qStride), dk = new Float32Array(c.Tk * kvStride), dv = new Float32Array(c.Tk * kvStride);
      k.attentionBackward({ ...p, lse, dOut, dq, dk, dv });
      return [out, lse, dq, dk, dv];
    };
    const outs = acrossThreads(run);
    compare(outs, run(js), 2e-5, 1e-5, `attention ${JSON.stringify(c)}`);
    // The forward's units are claimed dynamically, and each writes only its own rows: out
    // and lse do not depend on the thread count or on which thread took which unit.
    assert.deepEqual(outs[1]![0], outs[0]![0], `attention out, 1 vs 2 threads ${JSON.stringify(c)}`);
    assert.deepEqual(outs[1]![1], outs[0]![1], `attention lse, 1 vs 2 threads ${JSON.stringify(c)}`);
  }
});

test('native elementwise and row kernels vs js on multi-threaded sizes', { skip }, () => {
  const rng = new Rng(13);
  const rows = 300, dim = 301;
  const x = randn(rng, rows * dim), w = randn(rng, dim), dOut = randn(rng, rows * dim);
  compare(acrossThreads((k) => {
    const out = new Float32Array(rows * dim), rstd = new Float32Array(rows), dx = new Float32Array(rows * dim), dw = new Float32Array(dim).fill(1);
    k.rmsnormForward(x, w, out, rstd, rows, dim, 1e-6);
    k.rmsnormBackward(x, w, rstd, dOut, dx, dw, rows, dim);
    return [out, rstd, dx, dw];
  }), ((k: Kernels) => {
    const out = new Float32Array(rows * dim), rstd = new Float32Array(rows), dx = new Float32Array(rows * dim), dw = new Float32Array(dim).fill(1);
    k.rmsnormForward(x, w, out, rstd, rows, dim, 1e-6);
    k.rmsnormBackward(x, w, rstd, dOut, dx, dw, rows, dim);
    return [out, rstd, dx, dw];
  })(js), 1e-5, 1e-5, 'rmsnorm');

  const n = 100_003;
  const g = randn(rng, n, 3), u = randn(rng, n), d = randn(rng, n);
  const swi = (k: Kernels): Float32Array[] => {
    const o = new Float32Array(n), dg = new Float32Array(n), du = new Float32Array(n);
    k.swigluForward(g, u, o, n); k.swigluBackward(g, u, d, dg, du, n);
    return [o, dg, du];
  };
  compare(acrossThreads(swi), swi(js), 1e-5, 1e-6, 'swiglu');

  const p0 = randn(rng, n), m0 = randn(rng, n, 0.1), v0 = Float32Array.from(randn(rng, n, 0.1), (a) => a * a);
  const adam = (k: Kernels): Float32Array[] => {
    const p = p0.slice(), m = m0.slice(), v = v0.slice(), y = p0.slice();
    k.adamw(p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.01, 7, 0.3);
    k.axpy(n, -0.7, g, y);
    return [p, m, v, y, Float32Array.of(k.sumSquares(g) / n)];
  };
  compare(acrossThreads(adam), adam(js), 1e-5, 1e-6, 'adamw/axpy/sumSquares');

  const V = 5000, R = 40;
  const logits = randn(rng, R * V, 4);
  const targets = Int32Array.from({ length: R }, (_, i) => (i % 7 === 3 ? -1 : rng.int(V)));
  const dlp = randn(rng, R), dent = randn(rng, R);
  const lp = (k: Kernels): Float32Array[] => {
    const a = new Float32Array(R), e = new Float32Array(R), l = new Float32Array(R), dl = new Float32Array(R * V);
    k.logprobForward(logits, R, V, targets, 1 / 0.8, a, e, l);
    k.logprobBackward(logits, R, V, targets, 1 / 0.8, l, dlp, dent, dl);
    return [a, e, l, dl];
  };
  compare(acrossThreads(lp), lp(js), 1e-5, 1e-6, 'logprob');

  const dimE = 256, ids = Int32Array.from({ length: 700 }, () => rng.int(50));
  const table = randn(rng, 50 * dimE), dE = randn(rng, 700 * dimE);
  const emb = (k: Kernels): Float32Array[] => {
    const o = new Float32Array(700 * dimE), dt = new Float32Array(50 * dimE);
    k.embeddingForward(table, ids, o, dimE); k.embeddingBackward(dE, ids, dt, dimE);
    return [o, dt];
  };
  compare(acrossThreads(emb), emb(js), 1e-6, 1e-6, 'embedding');

  const pos = Int32Array.from({ length: rows }, (_, i) => i);
  const half = 32, cos = new Float32Array(rows * half).map((_, i) => Math.cos(i * 0.01)), sin = cos.map((c) => Math.sqrt(1 - c * c));
  const rp = (k: Kernels): Float32Array[] => {
    const a = randn(new Rng(5), rows * 8 * 64);
    k.ropeForward(a, rows, 8, 64, 512, pos, cos, sin);
    const b = a.slice();
    k.ropeBackward(b, rows, 8, 64, 512, pos, cos, sin);
    return [a, b];
  };
  compare(acrossThreads(rp), rp(js), 1e-6, 1e-6, 'rope');
});

test('native bounds checks throw RangeError instead of touching memory', { skip }, () => {
  const a = new Float32Array(10);
  assert.throws(() => nat!.sgemm(false, false, 4, 4, 4, 1, a, 4, a, 4, 0, a, 4), RangeError);
  assert.throws(() => nat!.embeddingForward(a, Int32Array.of(5), new Float32Array(2), 2), RangeError);
  assert.throws(() => nat!.attentionForward({ q: a, k: a, v: a, out: a, lse: null, Tq: 2, Tk: 2, H: 3, Hkv: 2, D: 1, scale: 1, causal: true, qPos0: 0 }), RangeError);
});
