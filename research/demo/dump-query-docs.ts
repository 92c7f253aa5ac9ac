/**
 * Writes query documents (as research/demo/order-probe.ts trains on) with the positions a
 * lookup needs, for research/demo/attn-inspect.py.
 *   npx tsx research/demo/dump-query-docs.ts MODEL_DIR T N OUT.json [count=8]
 */
import { writeFileSync } from 'node:fs';
import { makeCtx, pools, Rng } from './lib.ts';
import { fillerSentence } from '../../src/data/synth/text.ts';
const [dir, Ts, Ns, out, countS = '8'] = process.argv.slice(2);
const ctx = makeCtx(dir!);
const pool = pools().pretrain;
const T = Number(Ts), N = Number(Ns);
const enc = (s: string) => ctx.tok.encode(s);
const docs = Array.from({ length: Number(countS) }, (_, i) => {
  const r = new Rng(9000 + i);
  const keys = r.shuffle([...pool.keys]).slice(0, N);
  const vals = keys.map(() => r.pick(pool.values));
  const ids = [ctx.bos];
  const fill: number[][] = [];
  let used = 1;
  while (used < T - 8 * N) { const s = enc(' ' + fillerSentence(r).join(' ') + '.'); fill.push(s); used += s.length; }
  const slots = new Set<number>();
  while (slots.size < N) slots.add(r.int(fill.length + N));
  const at: { key: number; value: number }[] = [];
  for (let s = 0, f = 0, j = 0; s < fill.length + N; s++) {
    if (slots.has(s)) { at.push({ key: ids.length, value: ids.length + 1 }); ids.push(...enc(` ${keys[j]} ${vals[j]}.`)); j++; } else ids.push(...fill[f++]!);
  }
  const queries = r.shuffle(keys.map((_, j) => j)).map((j) => { const q = { at: ids.length, ...at[j]! }; ids.push(...enc(` ${keys[j]} ${vals[j]}.`)); return q; });
  return { ids: ids.slice(0, T + 1), queries };
});
writeFileSync(out!, JSON.stringify(docs));
