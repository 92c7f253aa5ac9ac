/** Prints greedy completions of a checkpoint on a few held-out items (debugging aid). */
import { makeCtx, LocalPolicy, encodeRecord, synth, score } from './lib.ts';
const dir = process.argv[2]!;
const L = Number(process.argv[3] ?? 256);
const ctx = makeCtx(dir);
const policy = LocalPolicy.fromFolder(dir, { threads: 1 });
const recs = synth(ctx, { tasks: ['kv', 'chain'], lengths: [L], count: 0, testCount: 4, seed: 777, params: { facts: 4, nearMiss: 1 } }).test;
const out = await policy.sample(recs.map((r) => encodeRecord(ctx, r).prompt), { n: 1, temperature: 0, topP: 1, topK: -1, maxTokens: 40, stopTokenIds: [ctx.eos], seed: 1 });
out.forEach((g, i) => {
  const text = ctx.tok.decode(g[0]!.tokens);
  console.log(JSON.stringify({ q: recs[i]!.question, gold: recs[i]!.answer, out: text, score: score(recs[i]!, text) }));
});
console.log(JSON.stringify(ctx.tok.decode(encodeRecord(ctx, recs[0]!).prompt).slice(-200)));
