/** How many distinct token ids the synthetic data actually uses (sizing the demo vocabulary). */
import { makeCtx, synth, encodeRecord, pretrainDoc, pools, Rng } from './lib.ts';
const ctx = makeCtx(process.argv[2]!);
const seen = new Set<number>();
const d = synth(ctx, { tasks: ['kv', 'chain'], lengths: [256], count: 200, testCount: 200, seed: 5, params: { facts: 4, nearMiss: 1 } });
for (const r of [...d.train, ...d.test]) { const e = encodeRecord(ctx, r); e.prompt.forEach((t) => seen.add(t)); e.completion.forEach((t) => seen.add(t)); }
const pool = pools().pretrain;
for (let i = 0; i < 200; i++) pretrainDoc(new Rng(i), ctx, pool, { tokens: 256, facts: 12, repMin: 2, repMax: 3, chainProb: 0.3 }).forEach((t) => seen.add(t));
console.log('distinct ids used', seen.size, 'max id', Math.max(...seen));
