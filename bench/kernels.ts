/**
 * `npm run bench`: the native engine at training shapes, as JSON lines (contracts §4) and
 * a table on stderr.
 *
 * - peak: FP32 FMA-loop throughput on 1 and 2 threads, best of six 0.2 s runs (the
 *   reference for pct_peak at the same thread count);
 * - sgemm at 2048x512x512, 2048x512x2048, 1024x1024x1024 (MxNxK) on 1 and 2 threads,
 *   against onnxruntime-node's MatMul with the same intra-op thread count (vs_peer = ours/peer);
 * - attention forward+backward, causal, H=8, Hkv=2, D=64, at T = 2K, 8K, 16K, each in a child
 *   process so its peak RSS is its own. FLOPs counted: forward 4·T²·D·H/2 (QKᵀ and PV on
 *   the causal half), backward 2.5x forward (recomputed QKᵀ, dP = dO·Vᵀ, dV, dK, dQ).
 *
 * Timings are the best of several runs (wall clock). On a shared machine wall time
 * suffers from other processes, so each line also carries `gflops_cpu`: FLOPs over the
 * mean CPU time per run and thread, with `pct_peak_cpu` against the peak measured the
 * same way (the FMA loop over each thread's own CPU clock). Spin-waiting threads count
 * as busy, so on a loaded machine multi-threaded `gflops_cpu` errs low.
 *
 * - stream_copy: memory bandwidth of a STREAM-like copy (read + write counted), GB/s.
 *
 * Flags: --quick (fewer, smaller runs), --no-peer, --only peak|sgemm|attention.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nativeKernels } from '../src/engine/index.ts';
import type { NativeKernels } from '../src/engine/native.ts';
import { loadOrtPeer, type OrtPeer } from './peer-ort.ts';

interface Line {
  bench: string; shape: string; threads: number; gflops: number; pct_peak: number | null;
  peer: string | null; vs_peer: number | null; [k: string]: unknown;
}

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;
const log = (s: string): void => { process.stderr.write(`${s}\n`); };
const r1 = (x: number): number => Math.round(x * 10) / 10;
const cpuSeconds = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

function emit(line: Line | Record<string, unknown>): void { process.stdout.write(`${JSON.stringify(line)}\n`); }

/**
 * Best wall time of `reps` runs (after one warm-up), and the mean CPU time per run
 * (a minimum of a noisy CPU clock would be biased low).
 */
async function timeIt(fn: () => unknown, reps: number, minSeconds = 0): Promise<{ wall: number; cpu: number }> {
  await fn();
  let wall = Infinity, cpuTotal = 0, spent = 0, n = 0;
  while (n < reps || spent < minSeconds) {
    const c0 = cpuSeconds(), t0 = performance.now();
    await fn();
    const dt = (performance.now() - t0) / 1000;
    cpuTotal += cpuSeconds() - c0;
    wall = Math.min(wall, dt); spent += dt; n++;
    if (n >= 50) break;
  }
  return { wall, cpu: cpuTotal / n };
}

function randomArray(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; a[i] = s / 2 ** 32 - 0.5; }
  return a;
}

// ---- attention child: one shape, own process ----
if (args[0] === '--attention-child') {
  const [T, threads, reps] = [Number(args[1]), Number(args[2]), Number(args[3])];
  const k = nativeKernels() as NativeKernels;
  k.setThreads(threads);
  const H = 8, Hkv = 2, D = 64;
  const rss0 = process.memoryUsage().rss;
  const q = randomArray(T * H * D, 1), kk = randomArray(T * Hkv * D, 2), v = randomArray(T * Hkv * D, 3), dOut = randomArray(T * H * D, 4);
  const out = new Float32Array(T * H * D), lse = new Float32Array(T * H);
  const dq = new Float32Array(T * H * D), dk = new Float32Array(T * Hkv * D), dv = new Float32Array(T * Hkv * D);
  const buffers = (q.length * 4 + kk.length * 4 + lse.length) * 4;
  const p = { q, k: kk, v, out, lse, Tq: T, Tk: T, H, Hkv, D, scale: 1 / Math.sqrt(D), causal: true, qPos0: 0 };
  const fwdFlops = (4 * T * T * D * H) / 2, bwdFlops = 2.5 * fwdFlops;
  const tf = await timeIt(() => k.attentionForward(p), reps);
  const tb = await timeIt(() => k.attentionBackward({ ...p, dOut, dq, dk, dv }), reps);
  const maxRss = process.resourceUsage().maxRSS * 1024;
  emit({
    T, threads, fwd_s: tf.wall, bwd_s: tb.wall, fwd_cpu_s: tf.cpu, bwd_cpu_s: tb.cpu, flops: fwdFlops + bwdFlops,
    fwd_gflops: fwdFlops / tf.wall / 1e9, bwd_gflops: bwdFlops / tb.wall / 1e9,
    peak_rss_mb: maxRss / 2 ** 20, rss_growth_mb: (maxRss - rss0) / 2 ** 20, buffers_mb: buffers / 2 ** 20,
  });
  process.exit(0);
}

const k = nativeKernels() as NativeKernels | null;
if (!k) {
  log('bench: the native addon is not built (npm run build:native); nothing to measure');
  process.exit(1);
}
const cores = k.info().cores;
const threadCounts = [...new Set([1, Math.min(2, cores)])];
const lines: Line[] = [];
const peak = new Map<number, { wall: number; cpu: number }>();

for (const t of threadCounts) {
  // Best of several short runs, like the kernels' timings (a busy machine only lowers it).
  const p = { wall: 0, cpu: 0 };
  for (let r = 0; r < (quick ? 3 : 6); r++) {
    const q = k.peakGflops(t, 0.2);
    p.wall = Math.max(p.wall, q.wall);
    p.cpu = Math.max(p.cpu, q.cpu);
  }
  peak.set(t, p);
  const line: Line = { bench: 'peak', gflops: r1(p.wall), shape: 'fma-loop', threads: t, pct_peak: 100, peer: null, vs_peer: null, gflops_cpu: r1(p.cpu), isa: k.isa };
  emit(line);
  lines.push(line);
}

if (!only || only === 'peak') {
  for (const t of threadCounts) {
    const gbps = k.streamGBps(t, quick ? 64 : 256);
    emit({ bench: 'stream_copy', shape: `${quick ? 64 : 256}MB`, threads: t, gbps: r1(gbps), gflops: null, pct_peak: null, peer: null, vs_peer: null });
  }
}

const pct = (g: number, t: number, which: 'wall' | 'cpu'): number => r1((100 * g) / peak.get(t)![which]);

if (!only || only === 'sgemm') {
  const peer: OrtPeer | null = args.includes('--no-peer') ? null : await loadOrtPeer(log);
  const shapes: [number, number, number][] = [[2048, 512, 512], [2048, 512, 2048], [1024, 1024, 1024]];
  for (const [M, N, K] of shapes) {
    const A = randomArray(M * K, 5), B = randomArray(K * N, 6), C = new Float32Array(M * N);
    const flops = 2 * M * N * K;
    for (const t of threadCounts) {
      k.setThreads(t);
      const ours = await timeIt(() => k.sgemm(false, false, M, N, K, 1, A, K, B, N, 0, C, N), quick ? 3 : 10, quick ? 0.3 : 1.5);
      const g = flops / ours.wall / 1e9, gc = (flops * t) / ours.cpu / 1e9;
      let peerG: number | null = null, peerGc: number | null = null;
      if (peer) {
        try {
          const run = await peer.prepare(M, N, K, t, A, B);
          const pt = await timeIt(run, quick ? 3 : 10, quick ? 0.3 : 1.5);
          peerG = flops / pt.wall / 1e9;
          peerGc = (flops * t) / pt.cpu / 1e9;
        } catch (e) { log(`peer failed at ${M}x${N}x${K}: ${(e as Error).message}`); }
      }
      const line: Line = {
        bench: 'sgemm', shape: `${M}x${N}x${K}`, threads: t, gflops: r1(g), pct_peak: pct(g, t, 'wall'),
        peer: peerG === null ? null : `${peer!.name}, intra_op_threads=${t}`, vs_peer: peerG === null ? null : Math.round((g / peerG) * 100) / 100,
        peer_gflops: peerG === null ? null : r1(peerG),
        gflops_cpu: r1(gc), pct_peak_cpu: pct(gc, t, 'cpu'), vs_peer_cpu: peerGc === null ? null : Math.round((gc / peerGc) * 100) / 100,
      };
      emit(line);
      lines.push(line);
    }
  }
  k.setThreads(cores);
}

if (!only || only === 'attention') {
  const self = fileURLToPath(import.meta.url);
  const Ts = quick ? [2048, 8192] : [2048, 8192, 16384];
  const t = threadCounts[threadCounts.length - 1]!;
  for (const T of Ts) {
    const reps = T <= 2048 ? 3 : T <= 8192 ? 2 : 1;
    const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--attention-child', String(T), String(t), String(reps)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) { log(`attention T=${T} failed (exit ${r.status})`); continue; }
    const c = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number>;
    const g = c.flops! / (c.fwd_s! + c.bwd_s!) / 1e9;
    const gc = (c.flops! * t) / (c.fwd_cpu_s! + c.bwd_cpu_s!) / 1e9;
    const line: Line = {
      bench: 'attention_fwd_bwd', shape: `T=${T},H=8,Hkv=2,D=64,causal`, threads: t, gflops: r1(g), pct_peak: pct(g, t, 'wall'),
      peer: null, vs_peer: null, fwd_gflops: r1(c.fwd_gflops!), bwd_gflops: r1(c.bwd_gflops!),
      gflops_cpu: r1(gc), pct_peak_cpu: pct(gc, t, 'cpu'),
      peak_rss_mb: r1(c.peak_rss_mb!), rss_growth_mb: r1(c.rss_growth_mb!), buffers_mb: r1(c.buffers_mb!),
    };
    emit(line);
    lines.push(line);
  }
}

// Human-readable table (stderr, so stdout stays JSON lines).
const cols = ['bench', 'shape', 'threads', 'gflops', 'pct_peak', 'vs_peer', 'gflops_cpu', 'pct_peak_cpu', 'peak_rss_mb'];
const rows = lines.map((l) => cols.map((c) => (l[c] === undefined || l[c] === null ? '-' : String(l[c]))));
const widths = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
log('');
log(cols.map((c, i) => c.padEnd(widths[i]!)).join('  '));
for (const r of rows) log(r.map((x, i) => x.padEnd(widths[i]!)).join('  '));
if (lines.some((l) => l.peer)) log(`peer: ${lines.find((l) => l.peer)!.peer}`);
