/**
 * Writes query documents (lib.ts `queryDoc`, as research/demo/order-probe.ts trains on)
 * with the positions a lookup needs, for research/demo/attn-inspect.py.
 *   npx tsx research/demo/dump-query-docs.ts MODEL_DIR T N OUT.json [count=8]
 */
import { writeFileSync } from 'node:fs';
import { makeCtx, pools, queryDoc, Rng } from './lib.ts';
const [dir, Ts, Ns, out, countS = '8'] = process.argv.slice(2);
const ctx = makeCtx(dir!);
const pool = pools().pretrain;
const docs = Array.from({ length: Number(countS) }, (_, i) => queryDoc(new Rng(9000 + i), ctx, pool, { tokens: Number(Ts), facts: Number(Ns) }));
writeFileSync(out!, JSON.stringify(docs));
