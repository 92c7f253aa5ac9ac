/**
 * Diagnostic: can the engine form an induction head at all? Documents = 48 random entity
 * tokens, then the same 48 again; report the loss on each half (second half -> ~0 once
 * an induction head exists; first half stays at log(alphabet)).
 */
import { makeModel, makeCtx, pools, Rng, LocalPolicy, ADAM, log, lmDatum } from './lib.ts';
import { crossEntropyLoss } from '../../src/model/losses.ts';

const cfg = { dir: '/tmp/demo/ind', layers: 2, hidden: 128, lr: 3e-3, batch: 8, steps: 400, half: 48, gap: 0, alphabet: 0, skipFrac: 0, seed: 1, initRange: 0, schedule: [] as [number, number, number][], ...JSON.parse(process.argv[2] ?? '{}') };
makeModel(cfg.dir, { hidden: cfg.hidden, layers: cfg.layers, heads: 4, kvHeads: cfg.kv ?? 2, qwen3: !!cfg.qwen3, ...(cfg.vocab ? { vocab: cfg.vocab } : {}), ...(cfg.initRange ? { initRange: cfg.initRange } : {}), ...(cfg.theta ? { ropeTheta: cfg.theta } : {}) }, 1);
const ctx = makeCtx(cfg.dir);
const policy = LocalPolicy.fromFolder(cfg.dir, { threads: 1 });
const alphabet = [...pools().pretrain.values, ...(cfg.keys ? pools().pretrain.keys : [])].map((v) => ctx.tok.encode(' ' + v)).filter((x) => x.length === 1).map((x) => x[0]!).slice(0, cfg.alphabet > 0 ? cfg.alphabet : undefined);
log(`alphabet ${alphabet.length}`);
const rng = new Rng(cfg.seed);
// skipFrac > 0: that share of the documents follow a skip-bigram rule (x_i = perm[x_{i-2}]
// half the time), which a lone previous-token head solves: it gives that head a gradient of
// its own, so the induction head's second half does not wait on a saddle of two heads.
const perm = rng.shuffle(alphabet.slice());
const permOf = new Map(alphabet.map((a, i) => [a, perm[i]!]));
const skipDoc = () => {
  const x = [rng.pick(alphabet), rng.pick(alphabet)];
  while (x.length < 2 * cfg.half + cfg.gap / 2) x.push(rng.float() < 0.5 ? permOf.get(x[x.length - 2]!)! : rng.pick(alphabet));
  return [ctx.bos, ...x];
};
// With gap > 0 a random number (0..gap) of filler tokens separates the copies, so a fixed
// positional offset cannot solve it: only a content-matching induction head can.
const fillerIds = ['the', 'some', 'each', 'tree', 'river', 'stands', 'moves', 'over', 'near', 'blue'].map((w) => ctx.tok.encode(' ' + w)[0]!);
let cur = { half: cfg.half, gap: cfg.gap };
const doc = () => {
  const a = Array.from({ length: cur.half }, () => rng.pick(alphabet));
  const g = Array.from({ length: cur.gap > 0 ? rng.int(cur.gap + 1) : 0 }, () => rng.pick(fillerIds));
  return [ctx.bos, ...a, ...g, ...a];
};
const ce = crossEntropyLoss();
const probe = Array.from({ length: 8 }, doc).map(lmDatum);
for (let s = 0; s < cfg.steps; s++) {
  for (const [from, half, gap] of cfg.schedule) if (s === from) { cur = { half, gap }; log(`schedule: half ${half} gap ${gap}`); }
  const probeNow = cfg.schedule.length ? Array.from({ length: 8 }, doc).map(lmDatum) : probe;
  await policy.forwardBackward(Array.from({ length: cfg.batch }, () => (rng.float() < cfg.skipFrac ? skipDoc() : doc())).map(lmDatum), ce);
  await policy.optimStep({ learningRate: cfg.lr * Math.min(1, (s + 1) / 20), ...ADAM });
  if ((s + 1) % 25 === 0) {
    const o = await policy.forward(probeNow);
    let a = 0, b = 0, na = 0, nb = 0;
    o.logprobs.forEach((lp) => { for (let t = 0; t < lp.length; t++) { if (t < cur.half) { a -= lp[t]!; na++; } else if (t >= lp.length - cur.half) { b -= lp[t]!; nb++; } } });
    log(`step=${s + 1} loss first half=${(a / na).toFixed(3)} second half=${(b / nb).toFixed(3)}`);
  }
}
// Length probe: second-half loss with the copies separated by G..G+8 filler tokens, for
// growing G (does the circuit formed at short gaps work at long distances?).
for (const G of cfg.probeGaps ?? []) {
  const docs = Array.from({ length: 16 }, () => {
    const a = Array.from({ length: cur.half }, () => rng.pick(alphabet));
    const g = Array.from({ length: G + rng.int(9) }, () => rng.pick(fillerIds));
    return lmDatum([ctx.bos, ...a, ...g, ...a]);
  });
  const o = await policy.forward(docs);
  let b = 0, nb = 0;
  o.logprobs.forEach((lp) => { for (let t = lp.length - cur.half; t < lp.length; t++) { b -= lp[t]!; nb++; } });
  log(`probe gap=${G}..${G + 8} second half=${(b / nb).toFixed(3)}`);
}
if (cfg.save) await policy.save(cfg.save);
