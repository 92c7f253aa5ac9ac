/**
 * Model benchmark (`npm run bench:model`, or `node --import tsx bench/model.ts`): the
 * reference config of issue 3 (4 layers, hidden 256, 4 heads, 2 KV heads, SwiGLU 704,
 * vocab 4096, tied embeddings). One JSON object per line (contracts §4):
 *
 * - `peak`: FP32 peak of this machine (the native addon's FMA loop, all threads);
 * - `stream`: a STREAM-like copy (Float32Array.set over 256 MiB, read + write bytes);
 * - `train`: one training step (forward + backward of one sequence of T tokens, loss on every
 *   position) at T = 2K, 8K, 16K, each in its own process so that `peak_rss_mb` is that
 *   shape's. Model FLOPs = 6·N·T (N = all parameters; the tied embedding counted once, as the
 *   LM head) + attention 6·T²·D·H·layers (causal: the computed half of 4·T²·D·H forward, and
 *   backward twice the forward). Recomputation (activation checkpointing) is not counted.
 *   `pct_peak` uses the wall-clock peak of the same run;
 * - `decode`: tokens/s at 2K context for one sequence and for a group of 8 sharing the
 *   prompt, with the bytes per step (weights + KV read) as GB/s and `pct_bandwidth` against
 *   the copy; also on a model several times larger than L3 (`decode-large`) where weight
 *   traffic really comes from memory;
 * - peers (best effort, skipped with a message): PyTorch (Debian python3-torch, OpenBLAS,
 *   tcmalloc, settings per contracts §6) via bench/peers/torch_model.py for training and
 *   decode (`vs_torch`); llama.cpp via node-llama-cpp (bench/peers/llama-decode.mjs) for
 *   decode (`vs_peer`). `--quick`: T=2K and the reference decode only; `--decode-only`; `--no-llama`.
 * - `--only decode`: the fused decode step against the per-kernel step (Decoder.stepKernels)
 *   in one process, interleaved in rounds so that a busy machine slows both alike, for the
 *   reference and the demo model at 2K context, one stream and a group of 8, on 1 and 2
 *   threads (`--threads 1,2`, `--steps 64`): tok/s of both and their ratio.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getKernels } from '../src/engine/index.ts';
import type { NativeKernels } from '../src/engine/native.ts';
import { parseModelConfig, type ModelConfig } from '../src/model/config.ts';
import { ModelWeights } from '../src/model/weights.ts';
import { QwenModel } from '../src/model/qwen.ts';
import { KvCache } from '../src/model/kvcache.ts';
import { Decoder } from '../src/model/generate.ts';

const REFERENCE = { hidden_size: 256, intermediate_size: 704, num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 4096 };
const DEMO = { hidden_size: 128, intermediate_size: 352, num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 32, vocab_size: 2048 };
const LARGE = { hidden_size: 1024, intermediate_size: 2816, num_hidden_layers: 8, num_attention_heads: 16, num_key_value_heads: 4, vocab_size: 32000 };

function config(dims: Record<string, number>): ModelConfig {
  return parseModelConfig({
    model_type: 'qwen2', ...dims, rms_norm_eps: 1e-6, rope_theta: 10000, max_position_embeddings: 32768,
    tie_word_embeddings: true, torch_dtype: 'float32',
  }, 'bench config');
}

/** Deterministic weights (cheap LCG, ±0.02 matrices, norms 1) — the values do not matter for speed. */
function weights(cfg: ModelConfig): ModelWeights {
  const w = new ModelWeights(cfg);
  let s = 12345;
  const d = w.data;
  for (let i = 0; i < d.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    d[i] = ((s >>> 8) / 16777216 - 0.5) * 0.04;
  }
  for (const e of w.entries) if (e.name.endsWith('norm.weight')) d.fill(1, e.offset, e.offset + e.size);
  return w;
}

function ids(n: number, vocab: number, seed: number): Int32Array {
  let s = seed >>> 0;
  return Int32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % vocab;
  });
}

function emit(o: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(o) + '\n');
}

function trainFlops(w: ModelWeights, T: number): number {
  const d = w.dims;
  return 6 * w.numParams * T + 3 * 2 * T * T * d.D * d.H * d.layers;
}

/** One training step at T in this process; prints a JSON result. */
function caseTrain(T: number, steps: number): void {
  const k = getKernels();
  const w = weights(config(REFERENCE));
  const model = new QwenModel(w, null, k);
  model.enableGrads();
  const seq = ids(T + 1, w.dims.vocab, 7);
  const inp = seq.subarray(0, T);
  const tg = seq.subarray(1);
  const dl = new Float32Array(T).fill(-1 / T);
  const budget = 512 * 2 ** 20;
  let best = Infinity;
  for (let i = 0; i < steps + 1; i++) {
    const t0 = performance.now();
    const ckBytes = (w.dims.layers + 1) * T * w.dims.hidden * 4;
    const r = model.forwardSequence(inp, tg, null, { keepTape: true, extraBudgetBytes: budget - ckBytes });
    model.backwardSequence(r.tape, dl, null);
    const dt = (performance.now() - t0) / 1000;
    if (i > 0 || steps === 0) best = Math.min(best, dt);
  }
  const rss = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ seconds: best, flops: trainFlops(w, T), peak_rss_mb: Math.round(rss), threads: k.threads }) + '\n');
}

/**
 * Decode at `ctx` context: one stream and a group of `group` sharing the prompt. Caches come
 * from the model's pool as generate() takes them, and a first untimed pass runs the same
 * steps, so the timed pass decodes into recycled buffers as every sampling call after a
 * policy's first does (fresh pages cost ~10 us each at first write here: the steady state
 * is what RL sees). The two cases' timed windows alternate, so the group's ratio to one
 * stream compares windows run under the same machine state (this VM's speed drifts by
 * 1.5x over seconds: run back to back, the ratio moved between 2.7x and 3.4x).
 */
function caseDecode(dims: Record<string, number>, ctx: number, group: number, steps: number): void {
  const k = getKernels();
  const w = weights(config(dims));
  const model = new QwenModel(w, null, k);
  const d = w.dims;
  const prompt = ids(ctx, d.vocab, 9);
  const out: Record<string, number> = {};
  // Best of REPS windows of `steps` tokens each (one short window is at the mercy of one
  // descheduling or frequency change).
  const REPS = 7;
  const total = REPS * steps + 8;
  const feed = ids(total, d.vocab, 11);
  // As generate() does: one sample appends to its prompt's cache, a group shares it.
  const start = (n: number) => {
    const prefix = model.kvPool.acquire(d.layers, d.kvDim, ctx + (n === 1 ? total : 0));
    model.prefill(prompt, prefix);
    const rows = Array.from({ length: n }, () => ({ token: 0, prefix, suffix: n === 1 ? null : model.kvPool.acquire(d.layers, d.kvDim, total) }));
    return { n, dec: new Decoder(model, n), rows, prefix, at: 0, best: Infinity };
  };
  type Run = ReturnType<typeof start>;
  const advance = (r: Run, count: number) => {
    for (let i = 0; i < count; i++, r.at++) { r.rows.forEach((row) => (row.token = feed[r.at]!)); r.dec.step(r.rows); }
  };
  const finish = (r: Run) => {
    for (const row of r.rows) if (row.suffix) model.kvPool.release(row.suffix);
    model.kvPool.release(r.prefix);
  };
  for (const n of [1, group]) { const warm = start(n); advance(warm, total); finish(warm); }
  const runs = [start(1), start(group)];
  for (const r of runs) advance(r, 4);
  for (let rep = 0; rep < REPS; rep++) {
    for (const r of rep % 2 === 0 ? runs : [...runs].reverse()) {
      const t0 = performance.now();
      advance(r, steps);
      r.best = Math.min(r.best, (performance.now() - t0) / 1000);
    }
  }
  for (const r of runs) {
    out[`tok_s_${r.n}`] = (r.n * steps) / r.best;
    out[`step_s_${r.n}`] = r.best / steps;
    finish(r);
  }
  const weightBytes = w.numParams * 4;
  const kvBytes = ctx * d.kvDim * 2 * d.layers * 4;
  process.stdout.write(JSON.stringify({ ...out, weight_bytes: weightBytes, kv_bytes: kvBytes, threads: k.threads }) + '\n');
}

/** Fused vs per-kernel decode, interleaved in rounds in one process (see the module doc). */
function compareDecode(label: string, dims: Record<string, number>, ctx: number, group: number, steps: number): void {
  const w = weights(config(dims));
  const model = new QwenModel(w, null, getKernels());
  const d = w.dims;
  const prompt = ids(ctx, d.vocab, 9);
  const rounds = 4;
  const per = Math.max(1, Math.floor(steps / rounds));
  for (const n of [1, group]) {
    const make = (fused: boolean) => {
      const prefix = new KvCache(d.layers, d.kvDim, ctx + (n === 1 ? rounds * per + 8 : 0));
      model.prefill(prompt, prefix);
      const dec = new Decoder(model, n);
      dec.fused = fused;
      const rows = Array.from({ length: n }, () => ({ token: 0, prefix, suffix: n === 1 ? null : new KvCache(d.layers, d.kvDim, rounds * per + 8) }));
      return { dec, rows, time: 0, cpu: 0, i: 0 };
    };
    const paths = [make(true), make(false)];
    const feed = ids(rounds * per + 8, d.vocab, 11);
    const run = (p: (typeof paths)[number], k: number) => {
      for (let s = 0; s < k; s++, p.i++) {
        p.rows.forEach((r) => (r.token = feed[p.i]!));
        p.dec.step(p.rows);
      }
    };
    for (const p of paths) run(p, 4); // warm-up
    for (let r = 0; r < rounds; r++) {
      for (const p of r % 2 === 0 ? paths : [...paths].reverse()) {
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        run(p, per);
        const c = process.cpuUsage(c0);
        p.time += performance.now() - t0;
        p.cpu += (c.user + c.system) / 1000;
      }
    }
    const tok = paths.map((p) => (n * rounds * per) / (p.time / 1000));
    // Per CPU-second too: on a shared machine the wall clock counts time the process waited.
    const cpuTok = paths.map((p) => (n * rounds * per) / (p.cpu / 1000));
    emit({
      // No peer here (the per-kernel path is ours): the contract's keys are present and null.
      bench: 'decode-compare', shape: `ctx=${ctx},n=${n},${label}`, threads: getKernels().threads, gflops: null, pct_peak: null, peer: null, vs_peer: null,
      fused_tokens_per_s: +tok[0]!.toFixed(0),
      kernels_tokens_per_s: +tok[1]!.toFixed(0), speedup: +(tok[0]! / tok[1]!).toFixed(2),
      fused_tokens_per_cpu_s: +cpuTok[0]!.toFixed(0), kernels_tokens_per_cpu_s: +cpuTok[1]!.toFixed(0), cpu_speedup: +(cpuTok[0]! / cpuTok[1]!).toFixed(2), fused_active: paths[0]!.dec.usesFused,
    });
  }
}

function streamCopyGBs(): number {
  const n = 64 * 2 ** 20; // 256 MiB each
  const a = new Float32Array(n).fill(1);
  const b = new Float32Array(n);
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    b.set(a);
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return (2 * n * 4) / best / 1e9;
}

function child(args: string[]): Record<string, number> | null {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, ['--import', 'tsx', self, ...args], { encoding: 'utf8', env: process.env, maxBuffer: 1 << 24 });
  if (r.status !== 0) {
    process.stderr.write(`bench case ${args.join(' ')} failed: ${r.stderr}\n`);
    return null;
  }
  const line = r.stdout.trim().split('\n').pop()!;
  return JSON.parse(line) as Record<string, number>;
}

/** A Python interpreter that imports torch (the PATH one, else Debian's /usr/bin/python3), or null. */
function torchPython(): string | null {
  for (const py of ['python3', '/usr/bin/python3']) {
    if (spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0) return py;
  }
  return null;
}

/** The PyTorch peer: bench/peers/torch_model.py, run with OpenBLAS and tcmalloc at its best (contracts §6). */
function torchPeer(args: string[], threads?: number): Record<string, number | string> | null {
  const script = fileURLToPath(new URL('./peers/torch_model.py', import.meta.url));
  const py = torchPython();
  if (!existsSync(script) || !py) return null;
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const tc = ['/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4'].find((p) => existsSync(p));
  if (tc) env.LD_PRELOAD = tc;
  if (threads) env.OPENBLAS_NUM_THREADS = env.TORCH_PEER_THREADS = String(threads);
  const r = spawnSync(py, [script, ...args], { encoding: 'utf8', env, maxBuffer: 1 << 24, timeout: 900_000 });
  if (r.status !== 0) {
    process.stderr.write(`torch peer ${args.join(' ')} failed: ${(r.stderr || '').slice(-400)}\n`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number | string>;
}

const repoRoot = fileURLToPath(new URL('../', import.meta.url));

/**
 * The llama.cpp peer: node-llama-cpp 3.21.1 (prebuilt linux-x64 binary, no download outside
 * the registry: NODE_LLAMA_CPP_SKIP_DOWNLOAD=true, optional GPU packages omitted), installed on
 * first use into .longrl-cache/peers-llama (git-ignored), on the GGUF export (F16) of the
 * `bench` preset made by `longrl init-model` + `longrl export`.
 */
function llamaPeer(ctx: number, n: number, steps: number): Record<string, number> | null {
  const cache = join(repoRoot, '.longrl-cache');
  const modules = join(cache, 'peers-llama', 'node_modules');
  if (!existsSync(join(modules, 'node-llama-cpp'))) {
    mkdirSync(join(cache, 'peers-llama'), { recursive: true });
    writeFileSync(join(cache, 'peers-llama', 'package.json'), '{"name":"longrl-llama-peer","private":true}\n');
    process.stderr.write('installing node-llama-cpp 3.21.1 for the llama.cpp peer (first use)...\n');
    const r = spawnSync('npm', ['install', '--no-save', '--omit=optional', '--no-audit', '--no-fund', 'node-llama-cpp@3.21.1', '@node-llama-cpp/linux-x64@3.21.1'],
      { cwd: join(cache, 'peers-llama'), encoding: 'utf8', env: { ...process.env, NODE_LLAMA_CPP_SKIP_DOWNLOAD: 'true' }, timeout: 900_000 });
    if (r.status !== 0) {
      process.stderr.write(`llama.cpp peer skipped: npm install failed: ${(r.stderr || '').slice(-300)}\n`);
      return null;
    }
  }
  const dir = join(cache, 'llama-bench');
  const gguf = join(dir, 'bench.gguf');
  if (!existsSync(gguf)) {
    const bin = join(repoRoot, 'bin', 'longrl.js');
    const a = spawnSync(process.execPath, [bin, 'init-model', '--preset', 'bench', '--out', join(dir, 'model')], { encoding: 'utf8' });
    const b = a.status === 0 ? spawnSync(process.execPath, [bin, 'export', '--model', join(dir, 'model'), '--format', 'gguf', '--out', gguf], { encoding: 'utf8' }) : a;
    if (b.status !== 0) {
      process.stderr.write(`llama.cpp peer skipped: GGUF export failed: ${(b.stderr || '').slice(-300)}\n`);
      return null;
    }
  }
  const script = fileURLToPath(new URL('./peers/llama-decode.mjs', import.meta.url));
  const r = spawnSync(process.execPath, [script, modules, gguf, String(ctx), String(n), String(steps)], { encoding: 'utf8', timeout: 900_000 });
  if (r.status !== 0) {
    process.stderr.write(`llama.cpp peer failed: ${(r.stderr || '').slice(-300)}\n`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number>;
}

function main(): void {
  const argv = process.argv.slice(2);
  if (argv[0] === '--case') {
    if (argv[1] === 'train') return caseTrain(Number(argv[2]), Number(argv[3] ?? 2));
    if (argv[1] === 'decode') {
      if (argv[6]) getKernels().setThreads(Number(argv[6]));
      return caseDecode(argv[2] === 'large' ? LARGE : REFERENCE, Number(argv[3]), Number(argv[4]), Number(argv[5]));
    }
    throw new Error(`unknown case ${argv[1]}`);
  }
  const only = argv.indexOf('--only');
  if (only >= 0 && argv[only + 1] === 'decode') {
    const opt = (name: string, def: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : def);
    const steps = Number(opt('--steps', '64'));
    for (const t of opt('--threads', '1,2').split(',').map(Number)) {
      getKernels().setThreads(t);
      compareDecode('reference', REFERENCE, 2048, 8, steps);
      compareDecode('demo', DEMO, 2048, 8, steps);
    }
    return;
  }
  const quick = argv.includes('--quick');
  const k = getKernels();
  const threads = k.threads;
  const peak = k.backend === 'native' ? (k as NativeKernels).peakGflops(threads, 0.5) : null;
  const peakG = peak ? peak.wall : NaN;
  emit({ bench: 'peak', shape: 'fma', threads, gflops: peak ? +peakG.toFixed(1) : null, cpu_gflops: peak ? +peak.cpu.toFixed(1) : null, backend: k.backend, isa: k.isa, pct_peak: null, peer: null, vs_peer: null });
  // STREAM-like copy: the addon's multi-threaded copy (as `npm run bench`), else a JS one.
  const nat = k.backend === 'native' ? (k as NativeKernels) : null;
  const copy = nat && typeof nat.streamGBps === 'function' ? nat.streamGBps(threads, 256) : streamCopyGBs();
  emit({ bench: 'stream', shape: 'copy 256MiB', threads: nat ? threads : 1, gb_s: +copy.toFixed(2), gflops: null, pct_peak: null, peer: null, vs_peer: null });
  const hasTorch = torchPython() !== null;
  if (!hasTorch) process.stderr.write('torch peer skipped: python3-torch is not installed (apt-get install python3-torch)\n');

  const decodeOnly = argv.includes('--decode-only');
  for (const T of decodeOnly ? [] : quick ? [2048] : [2048, 8192, 16384]) {
    const r = child(['--case', 'train', String(T), T >= 16384 ? '1' : '2']);
    if (!r) continue;
    const gflops = r.flops! / r.seconds! / 1e9;
    let peer: Record<string, number | string> | null = null;
    if (hasTorch) {
      peer = T >= 16384 ? null : torchPeer(['train', String(T)]);
      if (T >= 16384) process.stderr.write(`torch peer skipped at T=${T}: needs about 30 GB\n`);
    }
    const tokS = T / r.seconds!;
    emit({
      bench: 'model-train', shape: `T=${T},L=4,hidden=256,H=4,Hkv=2,I=704,V=4096`, threads: r.threads, gflops: +gflops.toFixed(1),
      pct_peak: Number.isFinite(peakG) ? +((100 * gflops) / peakG).toFixed(1) : null, tokens_per_s: +tokS.toFixed(0), step_s: +r.seconds!.toFixed(3),
      peak_rss_mb: r.peak_rss_mb, peer: peer ? `torch ${peer.backend ?? ''} threads=${peer.threads ?? ''}` : null,
      peer_tokens_per_s: peer ? peer.tokens_per_s : null, peer_peak_rss_mb: peer ? peer.peak_rss_mb : null,
      vs_peer: peer ? +(tokS / Number(peer.tokens_per_s)).toFixed(2) : null,
    });
  }

  for (const [label, size] of [['decode', 'reference'], ['decode-large', 'large']] as const) {
    if (quick && size === 'large') continue;
    const steps = size === 'large' ? 16 : 64;
    // Ours at its best too: decode kernels are small, so one thread can beat two; both are
    // measured and the faster is reported per row count (its thread count in `threads`).
    const threadCounts = [1, threads].filter((t, i, a) => a.indexOf(t) === i);
    const runs = threadCounts
      .map((t) => child(['--case', 'decode', size, '2048', '8', String(steps), String(t)]))
      .filter((x): x is Record<string, number> => x !== null);
    if (runs.length === 0) continue;
    // The torch peer at its best too: OpenBLAS's M=1 products collapse on two threads on
    // this VM (145 vs 500 tok/s), so both thread counts run and the faster counts per n.
    const torchRuns = hasTorch && size === 'reference'
      ? threadCounts.map((t) => torchPeer(['decode', '2048', '8'], t)).filter((x): x is Record<string, number | string> => x !== null)
      : [];
    const llama = size === 'reference' && !argv.includes('--no-llama') ? llamaPeer(2048, 8, 64) : null;
    for (const n of [1, 8]) {
      const r = runs.reduce((a, b) => (b[`tok_s_${n}`]! > a[`tok_s_${n}`]! ? b : a));
      const one = Math.max(...runs.map((x) => x.tok_s_1!));
      const stepS = r[`step_s_${n}`]!;
      // A group reads the weights and the shared prompt KV once per step (own suffixes are tiny).
      const bytes = r.weight_bytes! + r.kv_bytes!;
      const gbs = bytes / stepS / 1e9;
      const tokS = r[`tok_s_${n}`]!;
      const llamaTok = llama ? llama[`tok_s_${n}`] ?? null : null;
      const torchBest = torchRuns.length ? torchRuns.reduce((a, b) => (Number(b[`tok_s_${n}`]) > Number(a[`tok_s_${n}`]) ? b : a)) : null;
      const torchTok = torchBest ? Number(torchBest[`tok_s_${n}`]) : null;
      emit({
        bench: label, shape: `ctx=2048,n=${n},${size}`, threads: r.threads, gflops: null, pct_peak: null,
        tokens_per_s: +tokS.toFixed(0), gb_s: +gbs.toFixed(2), pct_bandwidth: +((100 * gbs) / copy).toFixed(1),
        vs_one_stream: n > 1 ? +(tokS / one).toFixed(2) : null,
        peer: llama ? 'llama.cpp (node-llama-cpp 3.21.1, 1 thread, f16 weights and cache, no flash attention)' : null,
        peer_tokens_per_s: llamaTok ? +llamaTok.toFixed(0) : null, vs_peer: llamaTok ? +(tokS / llamaTok).toFixed(2) : null,
        torch_peer: torchBest ? `torch ${torchBest.backend} threads=${torchBest.threads}` : null,
        torch_tokens_per_s: torchTok ? +torchTok.toFixed(0) : null, vs_torch: torchTok ? +(tokS / torchTok).toFixed(2) : null,
      });
    }
  }
}

main();
