/**
 * Q3: from an SFT checkpoint, GRPO in stages of increasing length (G=8, T=1, token-mean
 * PPO-clip, one on-policy update, only mixed-reward groups trained) versus SFT continued
 * on SFT-length data for the same model FLOPs (2N per sampled/prefilled token, 6N per
 * trained token; attention not counted). Greedy eval at each length for SFT, SFT-continued,
 * RL after stage 1, RL final.
 *
 *   node --import tsx research/demo/rl.ts '{"sft":"/tmp/demo/e1/sft","out":"/tmp/demo/r1"}'
 */
import { mkdirSync } from 'node:fs';
import { makeCtx, Rng, LocalPolicy, ADAM, log, encodeRecord, sftDatum, synth, evalGreedy, score } from './lib.ts';
import { crossEntropyLoss } from '../../src/model/losses.ts';
import { computeAdvantages, makePolicyLossFn, makeRlDatum } from '../../src/rl/index.ts';
import type { TaskName } from '../../src/data/synth/tasks.ts';
import type { DocQARecord } from '../../src/data/record.ts';

interface Cfg {
  sft: string;
  out: string;
  seed: number;
  threads: number;
  tasks: string[];
  facts: number;
  factsMax?: number;
  /** Each stage: max length and steps; prompts drawn from lengths in (prev, max]. */
  stages: { lengths: number[]; steps: number }[];
  prompts: number;
  G: number;
  temperature: number;
  lr: number;
  maxTokens: number;
  sftContLr: number;
  sftContBatch: number;
  sftLengths: number[];
  evalN: number;
  evalLengths: number[];
  skip: string[];
}
const cfg: Cfg = {
  sft: '', out: '/tmp/demo/r', seed: 1, threads: 1, tasks: ['kv', 'chain'], facts: 4,
  stages: [{ lengths: [384, 512], steps: 40 }, { lengths: [768, 1024], steps: 40 }],
  prompts: 4, G: 8, temperature: 1, lr: 3e-4, maxTokens: 40,
  sftContLr: 1e-3, sftContBatch: 16, sftLengths: [128, 192, 256], evalN: 40, evalLengths: [256, 512, 1024], skip: [],
  ...JSON.parse(process.argv[2] ?? '{}'),
};
mkdirSync(cfg.out, { recursive: true });
log('cfg', JSON.stringify(cfg));
const ctx = makeCtx(cfg.sft);
const params = { facts: cfg.facts, ...(cfg.factsMax ? { factsMax: cfg.factsMax } : {}), nearMiss: 1 };
const tasks = cfg.tasks as TaskName[];
const tests = new Map(cfg.evalLengths.map((L) => [L, synth(ctx, { tasks, lengths: [L], count: 0, testCount: cfg.evalN, seed: 777, params: { facts: 4, nearMiss: 1 } }).test]));
const c0 = process.cpuUsage();
const t0 = performance.now();
const cpu = () => { const c = process.cpuUsage(c0); return (c.user + c.system) / 1e6; };
const stamp = () => `wall=${((performance.now() - t0) / 1000).toFixed(0)}s cpu=${cpu().toFixed(0)}s`;
const table: Record<string, Record<number, number>> = {};

async function evalAll(tag: string, policy: LocalPolicy) {
  const parts: string[] = [];
  table[tag] = {};
  for (const [L, recs] of tests) {
    const r = await evalGreedy(policy, ctx, recs);
    table[tag]![L] = r.acc;
    parts.push(`L${L}=${r.acc}% ${JSON.stringify(r.byTask)}`);
  }
  log(`EVAL ${tag} ${stamp()} ${parts.join(' | ')}`);
}

const base = LocalPolicy.fromFolder(cfg.sft, { threads: cfg.threads });
const N = base.weights.data.length; // parameters (embedding included: tied LM head is used per token)
if (!cfg.skip.includes('sft')) await evalAll('SFT', base);

// ---- RL
const policy = base;
const rng = new Rng(cfg.seed);
let flops = 0;
const lossFn = makePolicyLossFn({ aggMode: 'token-mean', clipLow: 0.2, clipHigh: 0.28 });
const rlStart = performance.now();
const rlCpu0 = cpu();
let sampleS = 0;
let s = 0;
for (const [k, st] of cfg.stages.entries()) {
  const pool = synth(ctx, { tasks, lengths: st.lengths, count: Math.min(400, st.steps * cfg.prompts), testCount: 0, seed: cfg.seed * 1000 + k, params }).train;
  let acc = 0, n = 0, mixed = 0, groups = 0;
  for (let i = 0; i < st.steps; i++, s++) {
    const recs: DocQARecord[] = Array.from({ length: cfg.prompts }, () => pool[rng.int(pool.length)]!);
    const enc = recs.map((r) => encodeRecord(ctx, r).prompt);
    const ts = performance.now();
    const out = await policy.sample(enc, { n: cfg.G, temperature: cfg.temperature, topP: 1, topK: -1, maxTokens: cfg.maxTokens, stopTokenIds: [ctx.eos], seed: cfg.seed * 100003 + s });
    sampleS += (performance.now() - ts) / 1000;
    const datums = [];
    for (let g = 0; g < recs.length; g++) {
      const seqs = out[g]!;
      flops += 2 * N * (enc[g]!.length + seqs.reduce((a, x) => a + x.tokens.length, 0));
      const rewards = seqs.map((x) => score(recs[g]!, ctx.tok.decode(x.tokens.filter((t) => t !== ctx.eos))));
      acc += rewards.reduce((a, b) => a + b, 0); n += rewards.length; groups++;
      if (Math.min(...rewards) === Math.max(...rewards)) continue; // dynamic sampling: only mixed groups
      mixed++;
      const { advantages_B } = computeAdvantages('grpo', { rewards_B: rewards, groupIds_B: rewards.map(() => 0) });
      seqs.forEach((x, j) => datums.push(makeRlDatum({ promptTokens: enc[g]!, tokens: x.tokens, logprobs: x.logprobs, finishReason: x.finishReason }, advantages_B[j]!)));
    }
    if (datums.length > 0) {
      await policy.forwardBackward(datums, lossFn);
      await policy.optimStep({ learningRate: cfg.lr, ...ADAM });
      flops += 6 * N * datums.reduce((a, d) => a + d.inputTokens_T.length, 0);
    }
    if ((i + 1) % 10 === 0) {
      log(`RL stage=${k + 1} step=${i + 1} acc=${((100 * acc) / n).toFixed(1)}% mixed=${mixed}/${groups} flops=${flops.toExponential(2)} sample=${sampleS.toFixed(0)}s ${stamp()}`);
      acc = n = mixed = groups = 0;
    }
  }
  await evalAll(k === cfg.stages.length - 1 ? 'RL final' : `RL stage ${k + 1}`, policy);
}
const rlWall = (performance.now() - rlStart) / 1000;
const rlCpu = cpu() - rlCpu0;
log(`RL done flops=${flops.toExponential(3)} wall=${rlWall.toFixed(0)}s cpu=${rlCpu.toFixed(0)}s sampling=${sampleS.toFixed(0)}s`);
await policy.save(`${cfg.out}/rl`);

// ---- SFT continued for the same FLOPs
if (!cfg.skip.includes('cont')) {
  const cont = LocalPolicy.fromFolder(cfg.sft, { threads: cfg.threads });
  const items = synth(ctx, { tasks, lengths: cfg.sftLengths, count: 500, testCount: 0, seed: cfg.seed + 5000, params }).train.map((r) => encodeRecord(ctx, r));
  const ce = crossEntropyLoss();
  let f = 0, steps = 0;
  const w0 = performance.now();
  while (f < flops) {
    const ds = Array.from({ length: cfg.sftContBatch }, () => sftDatum(items[rng.int(items.length)]!));
    await cont.forwardBackward(ds, ce);
    await cont.optimStep({ learningRate: cfg.sftContLr, ...ADAM });
    f += 6 * N * ds.reduce((a, d) => a + d.inputTokens_T.length, 0);
    steps++;
  }
  log(`SFT-continued steps=${steps} flops=${f.toExponential(3)} wall=${((performance.now() - w0) / 1000).toFixed(0)}s`);
  await evalAll('SFT-continued', cont);
}
console.log('TABLE ' + JSON.stringify(table));
