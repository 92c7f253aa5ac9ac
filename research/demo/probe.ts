/**
 * Induction probe of a model folder: mean p(value) right after a key on held-out
 * repeated-fact documents, at a fact's repeats (needs the induction circuit) and at first
 * occurrences (chance, 1/160), at each document length given.
 *
 *   node --import tsx research/demo/probe.ts MODEL_DIR '[32,64,128,256]'
 */
import { makeCtx, pretrainDoc, pools, Rng, LocalPolicy, lmDatum } from './lib.ts';

const dir = process.argv[2]!;
const lengths = JSON.parse(process.argv[3] ?? '[32,64,128,256]') as number[];
const ctx = makeCtx(dir);
const policy = LocalPolicy.fromFolder(dir, { threads: 1 });
const pool = pools().pretrain;
const keyIds = new Set(pool.keys.map((k) => ctx.tok.encode(' ' + k)[0]!));
const parts: string[] = [];
for (const T of lengths) {
  const docs = Array.from({ length: 32 }, (_, i) => pretrainDoc(new Rng(5000 + i), ctx, pool, { tokens: T, facts: Math.max(3, Math.round(T / 10)), repMin: 2, repMax: 3, chainProb: 0, factProb: 0.85 }));
  const ds = docs.map(lmDatum);
  const out = await policy.forward(ds);
  let rep = 0, nRep = 0, first = 0, nFirst = 0;
  ds.forEach((d, i) => {
    const seen = new Set<number>();
    for (let t = 0; t < d.inputTokens_T.length; t++) {
      const k = d.inputTokens_T[t]!;
      if (!keyIds.has(k)) continue;
      const p = Math.exp(out.logprobs[i]![t]!);
      if (seen.has(k)) { rep += p; nRep++; } else { first += p; nFirst++; }
      seen.add(k);
    }
  });
  parts.push(`T=${T}: repeat ${(rep / nRep).toFixed(3)} first ${(first / nFirst).toFixed(3)}`);
}
console.log(parts.join(' | '));
