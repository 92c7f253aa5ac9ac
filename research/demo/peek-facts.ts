/** Greedy outputs on train-entity items: is the fact the model writes present in the document, and is its key the asked one? */
import { makeCtx, LocalPolicy, encodeRecord, synth, score } from './lib.ts';
const dir = process.argv[2]!;
const L = Number(process.argv[3] ?? 128);
const ctx = makeCtx(dir);
const policy = LocalPolicy.fromFolder(dir, { threads: 1 });
const recs = synth(ctx, { tasks: ['kv'], lengths: [L], count: 40, testCount: 0, seed: 777, params: { facts: 4, nearMiss: 1 } }).train;
const out = await policy.sample(recs.map((r) => encodeRecord(ctx, r).prompt), { n: 1, temperature: 0, topP: 1, topK: -1, maxTokens: 40, stopTokenIds: [ctx.eos], seed: 1 });
let factInDoc = 0, keyRight = 0, ok = 0;
out.forEach((g, i) => {
  const r = recs[i]!;
  const text = ctx.tok.decode(g[0]!.tokens);
  const m = /Fact: (\w+) (\w+)\./.exec(text);
  if (m && r.document.includes(`${m[1]} ${m[2]}.`)) factInDoc++;
  if (m && r.question.includes(` ${m[1]}?`)) keyRight++;
  ok += score(r, text);
  if (i < 3) console.log(JSON.stringify({ q: r.question, gold: r.answer, out: text.slice(0, 160) }));
});
console.log(`n=${recs.length} acc=${ok} fact-in-doc=${factInDoc} key-right=${keyRight}`);
