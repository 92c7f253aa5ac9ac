import { makeCtx, LocalPolicy, synth, evalGreedy } from './lib.ts';
const dir = process.argv[2]!;
const ctx = makeCtx(dir);
const policy = LocalPolicy.fromFolder(dir, { threads: 1 });
for (const L of JSON.parse(process.argv[3] ?? '[128,256]') as number[]) {
  for (const split of ['train', 'test'] as const) {
    const d = synth(ctx, { tasks: ['kv', 'chain'], lengths: [L], count: split === 'train' ? 40 : 0, testCount: split === 'test' ? 40 : 0, seed: 4242, params: { facts: 4, nearMiss: 1 } });
    const r = await evalGreedy(policy, ctx, d[split]);
    console.log(`L=${L} ${split}-entities acc=${r.acc}% ${JSON.stringify(r.byTask)} inDoc=${r.inDoc}%`);
  }
}
