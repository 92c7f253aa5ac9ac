/**
 * Is a gap-copy circuit single-token induction or sequence continuation? Documents: 8
 * entities, filler, then pairs `a_i a_{i+1}` of the first half separated by 1-4 filler
 * words; loss on a_{i+1} (predictable only by finding a_i's earlier occurrence).
 *
 *   node --import tsx research/demo/pair-probe.ts MODEL_DIR [keys 0|1]
 */
import { makeCtx, pools, Rng, LocalPolicy, lmDatum, log } from './lib.ts';

const dir = process.argv[2]!;
const ctx = makeCtx(dir);
const policy = LocalPolicy.fromFolder(dir, { threads: 1 });
const p = pools().pretrain;
const alphabet = [...p.values, ...(process.argv[3] === '1' ? p.keys : [])].map((v) => ctx.tok.encode(' ' + v)[0]!);
const filler = ['the', 'some', 'each', 'tree', 'river', 'stands', 'moves', 'over', 'near', 'blue'].map((w) => ctx.tok.encode(' ' + w)[0]!);
const rng = new Rng(7);
for (const gap of [8, 32, 64]) {
  for (const sep of ['filler', 'dot'] as const) {
    const targets: number[][] = [];
    const docs = Array.from({ length: 24 }, () => {
      const a = Array.from({ length: 8 }, () => rng.pick(alphabet));
      const d = [ctx.bos, ...a, ...Array.from({ length: gap }, () => rng.pick(filler))];
      const t: number[] = [];
      for (let r = 0; r < 4; r++) {
        const i = rng.int(7);
        if (sep === 'filler') d.push(...Array.from({ length: 1 + rng.int(4) }, () => rng.pick(filler)));
        else d.push(ctx.tok.encode('.')[0]!);
        d.push(a[i]!);
        t.push(d.length - 1); // position of a_i: its target is a_{i+1}
        d.push(a[i + 1]!);
      }
      targets.push(t);
      return d;
    });
    const o = await policy.forward(docs.map(lmDatum));
    let l = 0, n = 0;
    o.logprobs.forEach((lp, k) => { for (const t of targets[k]!) { l -= lp[t]!; n++; } });
    log(`gap=${gap} sep=${sep} loss(a_{i+1} | a_i)=${(l / n).toFixed(3)} (chance ${Math.log(alphabet.length).toFixed(2)})`);
  }
}
