/** Q1: engine throughput for the demo model: training tok/s at T=256/512/1024, greedy + G=8 sampling tok/s. */
import { makeModel, makeCtx, lmDatum, pretrainDoc, pools, Rng, LocalPolicy, ADAM, log } from './lib.ts';
const cpuS = (c0: NodeJS.CpuUsage) => { const c = process.cpuUsage(c0); return (c.user + c.system) / 1e6; };
import { crossEntropyLoss } from '../../src/model/losses.ts';

const dir = process.argv[2] ?? '/tmp/demo-tp';
const threads = Number(process.argv[3] ?? 2);
const hidden = Number(process.argv[4] ?? 128);
const layers = Number(process.argv[5] ?? 4);
const { params } = makeModel(dir, { hidden, layers, heads: 4, kvHeads: 2 }, 1);
const ctx = makeCtx(dir);
const policy = LocalPolicy.fromFolder(dir, { threads });
const rng = new Rng(1);
const pool = pools().pretrain;
log(`params=${params} threads=${threads}`);
for (const T of [256, 512, 1024]) {
  const B = Math.max(1, Math.round(8192 / T));
  const docs = () => Array.from({ length: B }, () => lmDatum(pretrainDoc(rng, ctx, pool, { tokens: T, facts: 8, repMin: 2, repMax: 3, chainProb: 0 })));
  const d0 = docs();
  await policy.forwardBackward(d0, crossEntropyLoss());
  await policy.optimStep({ learningRate: 1e-3, ...ADAM });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let toks = 0;
  for (let i = 0; i < 3; i++) {
    const d = docs();
    toks += d.reduce((a, x) => a + x.inputTokens_T.length, 0);
    await policy.forwardBackward(d, crossEntropyLoss());
    await policy.optimStep({ learningRate: 1e-3, ...ADAM });
  }
  const s = (performance.now() - t0) / 1000;
  const cpu = cpuS(c0);
  log(`train T=${T} B=${B}: ${(toks / s).toFixed(0)} tok/s wall, ${(toks / cpu).toFixed(0)} tok per CPU-s (${(s / 3).toFixed(2)} s/step, cpu ${cpu.toFixed(1)} s)`);
}
for (const P of [256, 512, 1024]) {
  const prompt = pretrainDoc(rng, ctx, pool, { tokens: P, facts: 8, repMin: 2, repMax: 3, chainProb: 0 });
  const prompts = Array.from({ length: 4 }, () => prompt);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await policy.sample(prompts.map((p, i) => p.slice(0, P - i)), { n: 8, temperature: 1, topP: 1, topK: -1, maxTokens: 32, seed: 1 });
  const s = (performance.now() - t0) / 1000;
  const gen = out.flat().reduce((a, x) => a + x.tokens.length, 0);
  log(`sample 4 prompts x G=8, P=${P}, 32 new: ${s.toFixed(2)} s, ${(gen / s).toFixed(0)} gen tok/s, ${((gen + 4 * P) / s).toFixed(0)} incl. prefill; ${(gen / cpuS(c0)).toFixed(0)} gen tok per CPU-s`);
}
