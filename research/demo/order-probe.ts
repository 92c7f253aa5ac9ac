/**
 * Does the order of a fact's words decide whether a tiny model learns lookup at length?
 *
 * Documents (plain next-token prediction, MQAR-like): N facts among filler sentences,
 * then every fact again as a query `k v.` in a new order. In `kf` the context states
 * facts key first (`k v.`): predicting v at a query needs K-composition (the layer-2
 * head must match the query key against "the previous token was k", written at v's
 * position by a previous-token head). In `vf` the context states them value first
 * (`v k.`): the query key can find its own token by identity (a direct QK match) and
 * read the value that a previous-token head wrote there (V-composition).
 *
 *   npx tsx research/demo/order-probe.ts OUT kf|vf [T=128] [steps=1500] [layers=2] [facts=6] [lr=3e-3]
 *
 * Logs p(v | query key) at T, 2T and 4T on fixed probe documents (chance 1/128).
 */
import { makeModel, makeCtx, lmDatum, pools, queryDoc, Rng, LocalPolicy, ADAM, log, type Ctx, type QueryDoc } from './lib.ts';
import { crossEntropyLoss } from '../../src/model/losses.ts';
import type { EntityPool } from '../../src/data/synth/vocab.ts';

const [out, fmt = 'kf', Ts = '128', stepsS = '1500', layersS = '2', factsS = '6', lrS = '3e-3', initDir] = process.argv.slice(2);
if (!out || (fmt !== 'kf' && fmt !== 'vf')) throw new Error('usage: order-probe.ts OUT kf|vf [T] [steps] [layers] [facts] [lr] [initDir]');
const T = Number(Ts), steps = Number(stepsS), layers = Number(layersS), lr = Number(lrS), N = Number(factsS);
// Dims from the environment: HIDDEN (128), HEADS (4), KV (2), QWEN3 (0/1), THETA (1e4); WD: AdamW weight decay (0).
const env = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
const hidden = env('HIDDEN', 128);
if (!initDir) makeModel(out, { hidden, layers, heads: env('HEADS', 4), kvHeads: env('KV', 2), initRange: 1 / Math.sqrt(hidden), qwen3: env('QWEN3', 0) === 1, ropeTheta: env('THETA', 10000) }, 0);
const dir = initDir ?? out;
const ctx: Ctx = makeCtx(dir);
const policy = LocalPolicy.fromFolder(dir, { threads: 1 });
const pool: EntityPool = pools().pretrain;
const rng = new Rng(7);

// FILLER=0: the facts back to back (the MQAR layout of the associative-recall literature).
const doc = (r: Rng, tokens: number, facts = N): QueryDoc => queryDoc(r, ctx, pool, { tokens, facts, valueFirst: fmt === 'vf', filler: process.env['FILLER'] !== '0' });

const probeLengths = process.env['PROBES'] ? process.env['PROBES'].split(',').map(Number) : [T, 2 * T, 4 * T];
const probes = probeLengths.map((L) => ({ L, docs: Array.from({ length: 24 }, (_, i) => doc(new Rng(9000 + i), L)) }));
async function probe(): Promise<string> {
  const parts: string[] = [];
  for (const { L, docs } of probes) {
    const o = await policy.forward(docs.map((d) => lmDatum(d.ids)));
    let p = 0, n = 0;
    docs.forEach((d, i) => { for (const q of d.queries) { p += Math.exp(o.logprobs[i]![q.at]!); n++; } });
    parts.push(`p@${L}=${(p / n).toFixed(3)}`);
  }
  return parts.join(' ');
}

const ce = crossEntropyLoss();
log('cfg', JSON.stringify({ out, fmt, T, steps, layers, N, lr, initDir, dims: { hidden, heads: env('HEADS', 4), kv: env('KV', 2), qwen3: env('QWEN3', 0), theta: env('THETA', 10000) }, wd: env('WD', 0) }), 'example:', JSON.stringify(ctx.tok.decode(doc(new Rng(1), T).ids)));
const t0 = performance.now();
let ema = 0;
// SCHED="fromStep:T:facts,...": a length curriculum (tokens per step kept near 32 x T).
const sched = (process.env['SCHED'] ?? `0:${T}:${N}`).split(',').map((x) => x.split(':').map(Number) as [number, number, number]);
for (let s = 0; s < steps; s++) {
  const [, Ts, Ns] = [...sched].reverse().find(([from]) => s >= from)!;
  const ds = Array.from({ length: Math.round((32 * T) / Ts) }, () => lmDatum(doc(rng, Ts, Ns).ids));
  const o = await policy.forwardBackward(ds, ce);
  const decay = s > steps * 0.8 ? Math.max(0.1, (steps - s) / (steps * 0.2)) : 1;
  await policy.optimStep({ learningRate: lr * Math.min(1, (s + 1) / 20) * decay, ...ADAM, weightDecay: env('WD', 0) });
  ema = s === 0 ? o.loss : 0.9 * ema + 0.1 * o.loss;
  if ((s + 1) % 50 === 0) log(`step=${s + 1} loss=${ema.toFixed(3)} wall=${((performance.now() - t0) / 1000).toFixed(0)}s ${await probe()}`);
}
await policy.save(`${out}/final`);
log('saved');
