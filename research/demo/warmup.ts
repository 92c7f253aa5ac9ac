/**
 * Q2: pretrain (plain next-token on repeated-fact documents) then SFT (kv + chain with
 * copy traces), with held-out evaluations along the way. One JSON argument of settings;
 * prints progress lines with wall and CPU seconds, tokens and accuracy.
 *
 *   node --import tsx research/demo/warmup.ts '{"out":"/tmp/x","pretrainSteps":200}'
 */
import { mkdirSync } from 'node:fs';
import { makeModel, makeCtx, lmDatum, pretrainDoc, pools, Rng, LocalPolicy, ADAM, log, encodeRecord, sftDatum, synth, evalGreedy, type Dims } from './lib.ts';
import { crossEntropyLoss } from '../../src/model/losses.ts';
import type { TaskName } from '../../src/data/synth/tasks.ts';

interface Cfg {
  out: string;
  seed: number;
  threads: number;
  dims: Dims;
  init?: string; // start from this saved folder instead of a fresh model
  pretrainSteps: number;
  pretrainBatch: number;
  pretrainT: number;
  pretrainFacts: number;
  /** Length curriculum for pretraining: [[fromStep, tokens, facts], ...] replaces pretrainT/pretrainFacts when set. */
  pretrainSchedule?: [number, number, number][];
  repMin: number;
  repMax: number;
  chainProb: number;
  factProb: number;
  orderedProb: number;
  copyProb?: number;
  /** Pretraining softmax over the ids the pretraining documents use (pretrain.softmax corpus). */
  softmaxCorpus?: boolean;
  /** Share of each pretraining batch (in documents) kept at the first schedule length, so the circuit formed there is not lost while it extends. */
  mixFirst?: number;
  /** Save the model every N pretraining steps (out/base-<step>). */
  saveEvery?: number;
  /** Evaluate on new items with training entities (held-out items, not held-out entities). */
  evalTrainEntities?: boolean;
  /** Pretraining documents replayed in every SFT batch (keeps held-out entities' logits alive). */
  sftReplay?: number;
  sftReplayT?: number;
  pretrainLr: number;
  /** AdamW weight decay of the pretraining steps (default 0). */
  pretrainWeightDecay?: number;
  sftSteps: number;
  sftBatch: number;
  sftLr: number;
  sftLengths: number[];
  tasks: string[];
  facts: number;
  factsMax?: number;
  /** Fact-count curriculum: [[fromStep, facts, factsMax], ...] replaces facts/factsMax when set. */
  factsSchedule?: [number, number, number][];
  /** Gap-copy documents mixed into pretraining: share of documents, half length, [[fromStep, gapMax], ...]. */
  gapCopy?: { prob: number; half: number; schedule: [number, number][]; probSchedule?: [number, number][]; lookup?: boolean; chunkSchedule?: [number, number][] };
  evalEvery: number;
  evalN: number;
  evalLengths: number[];
  warmup: number;
}
const cfg: Cfg = {
  out: '/tmp/demo/w', seed: 1, threads: 1, dims: { hidden: 128, layers: 4, heads: 4, kvHeads: 2 },
  pretrainSteps: 0, pretrainBatch: 16, pretrainT: 256, pretrainFacts: 12, repMin: 2, repMax: 3, chainProb: 0.3, factProb: 0.5, orderedProb: 0, pretrainLr: 2e-3,
  sftSteps: 0, sftBatch: 16, sftLr: 1e-3, sftLengths: [128, 192, 256], tasks: ['kv', 'chain'], facts: 4,
  evalEvery: 100, evalN: 30, evalLengths: [256], warmup: 20,
  ...JSON.parse(process.argv[2] ?? '{}'),
};
mkdirSync(cfg.out, { recursive: true });
const modelDir = `${cfg.out}/init`;
if (!cfg.init) log('params', makeModel(modelDir, cfg.dims, cfg.seed).params);
const ctx = makeCtx(cfg.init ?? modelDir);
const policy = LocalPolicy.fromFolder(cfg.init ?? modelDir, { threads: cfg.threads });
const rng = new Rng(cfg.seed);
const c0 = process.cpuUsage();
const t0 = performance.now();
const cpu = () => { const c = process.cpuUsage(c0); return (c.user + c.system) / 1e6; };
const stamp = () => `wall=${((performance.now() - t0) / 1000).toFixed(0)}s cpu=${cpu().toFixed(0)}s`;
const lrAt = (base: number, step: number, total: number) => base * Math.min(1, (step + 1) / cfg.warmup) * (step > total * 0.8 ? Math.max(0.1, (total - step) / (total * 0.2)) : 1);
log('cfg', JSON.stringify(cfg));

// Held-out test items (disjoint entities) at each eval length, tasks alternate.
const testParams = { facts: 4, nearMiss: 1 };
const tests = new Map(cfg.evalLengths.map((L) => { const d = synth(ctx, { tasks: cfg.tasks as TaskName[], lengths: [L], count: cfg.evalTrainEntities ? cfg.evalN : 0, testCount: cfg.evalTrainEntities ? 0 : cfg.evalN, seed: 777, params: testParams }); return [L, cfg.evalTrainEntities ? d.train : d.test]; }));
async function evalAll(tag: string) {
  const parts: string[] = [];
  for (const [L, recs] of tests) {
    const r = await evalGreedy(policy, ctx, recs);
    parts.push(`L${L}=${r.acc}% ${JSON.stringify(r.byTask)} inDoc=${r.inDoc}%`);
  }
  log(`EVAL ${tag} ${stamp()} ${parts.join(' | ')}`);
}

// Induction probe: mean p(value) at repeated facts vs first occurrences on held-out docs.
const pool = pools().pretrain;
const keyIds = new Set(pool.keys.map((k) => ctx.tok.encode(' ' + k)[0]!));
const probeDocs = Array.from({ length: 8 }, () => pretrainDoc(new Rng(999 + rng.int(1000)), ctx, pool, { tokens: 256, facts: 8, repMin: 2, repMax: 3, chainProb: 0 }));
async function probe(docs: number[][] = probeDocs): Promise<string> {
  const ds = docs.map(lmDatum);
  const out = await policy.forward(ds);
  let rep = 0, nRep = 0, first = 0, nFirst = 0;
  ds.forEach((d, i) => {
    const seen = new Map<number, number>();
    for (let t = 0; t < d.inputTokens_T.length; t++) {
      const k = d.inputTokens_T[t]!;
      if (!keyIds.has(k)) continue;
      const lp = out.logprobs[i]![t]!;
      if (seen.has(k)) { rep += Math.exp(lp); nRep++; } else { first += Math.exp(lp); nFirst++; }
      seen.set(k, t);
    }
  });
  return `p(value|repeat)=${(rep / nRep).toFixed(3)} p(value|first)=${(first / nFirst).toFixed(3)}`;
}

// ---- pretraining
if (cfg.softmaxCorpus && cfg.pretrainSteps > 0) {
  const ids = new Set<number>();
  const sched = cfg.pretrainSchedule ?? [[0, cfg.pretrainT, cfg.pretrainFacts]];
  const r2 = new Rng(4242);
  for (const [, T, F] of sched) for (let i = 0; i < 3000; i++) for (const id of pretrainDoc(r2, ctx, pool, { tokens: T, facts: F, repMin: cfg.repMin, repMax: cfg.repMax, chainProb: cfg.chainProb, factProb: cfg.factProb, orderedProb: cfg.orderedProb, copyProb: cfg.copyProb })) ids.add(id);
  policy.setSoftmaxVocabulary(ids);
  log(`softmax vocabulary: ${ids.size} ids`);
}
const copyAlphabet = [...pool.values, ...pool.keys].map((v) => ctx.tok.encode(' ' + v)[0]!);
const copyFiller = ['the', 'some', 'each', 'tree', 'river', 'stands', 'moves', 'over', 'near', 'blue', 'quiet', 'road', 'school', 'garden'].map((w) => ctx.tok.encode(' ' + w)[0]!);
function gapCopyDoc(step: number): number[] {
  const g = cfg.gapCopy!;
  const gapMax = [...g.schedule].reverse().find(([from]) => step >= from)![1];
  const gap = Array.from({ length: rng.int(gapMax + 1) }, () => rng.pick(copyFiller));
  if (g.lookup) {
    // Lookup documents: a table of `half` compact facts, a gap, the same facts in a new order
    // (each value predictable only by single-token induction on its key).
    const keys = rng.shuffle([...pool.keys]).slice(0, g.half);
    const facts = keys.map((k) => ctx.tok.encode(` ${k} ${rng.pick(pool.values)}.`));
    return [ctx.bos, ...facts.flat(), ...gap, ...rng.shuffle(facts.slice()).flat()];
  }
  const a = Array.from({ length: g.half }, () => rng.pick(copyAlphabet));
  // Chunked copy: the second half is the first cut into chunks of c, shuffled (c = half:
  // plain gap copy; c = 2: pairs, where only single-token induction predicts anything).
  const c = g.chunkSchedule ? [...g.chunkSchedule].reverse().find(([from]) => step >= from)![1] : g.half;
  const chunks: number[][] = [];
  for (let i = 0; i < a.length; i += c) chunks.push(a.slice(i, i + c));
  return [ctx.bos, ...a, ...gap, ...rng.shuffle(chunks).flat()];
}
let toks = 0;
const ce = crossEntropyLoss();
let ema = 0;
for (let s = 0; s < cfg.pretrainSteps; s++) {
  const [, preT, preFacts] = [...(cfg.pretrainSchedule ?? [[0, cfg.pretrainT, cfg.pretrainFacts]])].reverse().find(([from]) => s >= from)!;
  const first = (cfg.pretrainSchedule ?? [[0, preT, preFacts]])[0]!;
  const nDocs = cfg.pretrainBatch * Math.max(1, Math.round(cfg.pretrainT / preT));
  const ds = Array.from({ length: nDocs }, (_, j) => (j < Math.round(nDocs * (cfg.mixFirst ?? 0)) && first[1] !== preT ? [first[1], first[2]] : [preT, preFacts])).map(([T, F]) => cfg.gapCopy && rng.float() < (cfg.gapCopy.probSchedule ? [...cfg.gapCopy.probSchedule].reverse().find(([f]) => s >= f)![1] : cfg.gapCopy.prob) ? lmDatum(gapCopyDoc(s)) : lmDatum(pretrainDoc(rng, ctx, pool, { tokens: T!, facts: F!, repMin: cfg.repMin, repMax: cfg.repMax, chainProb: cfg.chainProb, factProb: cfg.factProb, orderedProb: cfg.orderedProb, copyProb: cfg.copyProb })));
  toks += ds.reduce((a, d) => a + d.inputTokens_T.length, 0);
  const o = await policy.forwardBackward(ds, ce);
  await policy.optimStep({ learningRate: lrAt(cfg.pretrainLr, s, cfg.pretrainSteps), ...ADAM, weightDecay: cfg.pretrainWeightDecay ?? 0 });
  ema = s === 0 ? o.loss : 0.9 * ema + 0.1 * o.loss;
  if (cfg.saveEvery && (s + 1) % cfg.saveEvery === 0) await policy.save(`${cfg.out}/base-${s + 1}`);
  if ((s + 1) % 25 === 0 || s + 1 === cfg.pretrainSteps) log(`PRE step=${s + 1} T=${preT} loss=${ema.toFixed(3)} toks=${toks} ${stamp()} tok/cpu-s=${(toks / cpu()).toFixed(0)} ${await probe()} | at T: ${await probe(Array.from({ length: 32 }, (_, i) => pretrainDoc(new Rng(5000 + i), ctx, pool, { tokens: preT, facts: preFacts, repMin: cfg.repMin, repMax: cfg.repMax, chainProb: 0, factProb: cfg.factProb, orderedProb: cfg.orderedProb })))}`);
}
policy.setSoftmaxVocabulary(null);
if (cfg.pretrainSteps > 0) { await policy.save(`${cfg.out}/base`); log(`saved base ${stamp()}`); }

// ---- SFT
if (cfg.sftSteps > 0) {
  const pre = cpu();
  const perLen = Math.ceil((cfg.sftSteps * cfg.sftBatch) / cfg.sftLengths.length);
  const sched = cfg.factsSchedule ?? [[0, cfg.facts, cfg.factsMax ?? cfg.facts]];
  const sets = sched.map(([from, a, b]) => ({
    from,
    items: synth(ctx, { tasks: cfg.tasks as TaskName[], lengths: cfg.sftLengths, count: Math.min(perLen, 1500), testCount: 0, seed: cfg.seed + 100 * a + b, params: { facts: a, ...(b > a ? { factsMax: b } : {}), nearMiss: 1 } }).train.map((r) => encodeRecord(ctx, r)),
  }));
  log(`sft data ready ${stamp()} (${sets.map((s) => s.items.length).join('+')} records)`);
  let sftToks = 0;
  ema = 0;
  for (let s = 0; s < cfg.sftSteps; s++) {
    const set = [...sets].reverse().find((x) => s >= x.from)!;
    const ds = Array.from({ length: cfg.sftBatch }, () => sftDatum(set.items[rng.int(set.items.length)]!));
    for (let r = 0; r < (cfg.sftReplay ?? 0); r++) ds.push(lmDatum(pretrainDoc(rng, ctx, pool, { tokens: cfg.sftReplayT ?? 128, facts: Math.round((cfg.sftReplayT ?? 128) / 12), repMin: cfg.repMin, repMax: cfg.repMax, chainProb: cfg.chainProb, factProb: cfg.factProb, orderedProb: cfg.orderedProb, copyProb: cfg.copyProb })));
    sftToks += ds.reduce((a, d) => a + d.inputTokens_T.length, 0);
    const o = await policy.forwardBackward(ds, ce);
    await policy.optimStep({ learningRate: lrAt(cfg.sftLr, s, cfg.sftSteps), ...ADAM });
    ema = s === 0 ? o.loss : 0.9 * ema + 0.1 * o.loss;
    if ((s + 1) % 25 === 0) log(`SFT step=${s + 1} loss=${ema.toFixed(3)} toks=${sftToks} ${stamp()} sft-cpu=${(cpu() - pre).toFixed(0)}s`);
    if ((s + 1) % cfg.evalEvery === 0 || s + 1 === cfg.sftSteps) { await evalAll(`sft step=${s + 1}`); await policy.save(`${cfg.out}/sft`); }
  }
  await policy.save(`${cfg.out}/sft`);
  log(`saved sft ${stamp()}`);
}
