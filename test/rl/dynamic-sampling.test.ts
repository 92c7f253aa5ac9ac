import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectDynamicBatch, dynamicSamplingFilter, type RolloutGroup } from '../../src/rl/index.ts';
import { UserError } from '../../src/util/errors.ts';

interface G extends RolloutGroup {
  id: string;
  acc_G?: number[];
}
const g = (id: string, rewards_G: number[], acc_G?: number[]): G => (acc_G ? { id, rewards_G, acc_G } : { id, rewards_G });

test('filter: keep iff population std > 0 or a single member', () => {
  const groups = [g('const1', [1, 1, 1, 1, 1, 1, 1, 1]), g('mixed', [0, 1]), g('single', [0]), g('const0', [0, 0]), g('tiny', [0.5, 0.5 + 1e-12])];
  const r = dynamicSamplingFilter(groups);
  assert.deepEqual(r.kept.map((x) => x.id), ['mixed', 'single', 'tiny']);
  assert.equal(r.numZeroStd, 2);
  assert.equal(r.fracZeroStd, 2 / 5);
  // metric = acc (before shaping): shaped rewards differ, accuracies do not → dropped
  const shaped = [g('shaped', [1, 0.6], [1, 1])];
  assert.equal(dynamicSamplingFilter(shaped, (x) => x.acc_G as number[]).kept.length, 0);
  assert.equal(dynamicSamplingFilter(shaped).kept.length, 1);
  assert.equal(dynamicSamplingFilter([]).fracZeroStd, 0);
});

/** A generator over fixed batches (the last repeats forever unless `end` is set). */
function batches(list: G[][], end = false): { generate: () => Promise<G[]>; calls: () => number } {
  let n = 0;
  return {
    generate: async () => {
      const b = n < list.length ? list[n] : end ? [] : list[list.length - 1];
      n++;
      return (b ?? []).map((x) => ({ ...x }));
    },
    calls: () => n,
  };
}

test('refill: draws batches until full, truncates to the batch size, reports num_gen_batches', async () => {
  const src = batches([
    [g('a', [1, 1]), g('b', [0, 1]), g('c', [0, 0])],
    [g('d', [1, 0]), g('e', [1, 1]), g('f', [0.2, 0.3]), g('h', [0, 1])],
  ]);
  const r = await collectDynamicBatch({ generate: src.generate, trainBatchSize: 3, maxGenBatches: 10 });
  assert.deepEqual(r.groups.map((x) => x.id), ['b', 'd', 'f']);
  assert.equal(r.numGenBatches, 2);
  assert.equal(src.calls(), 2);
  assert.equal(r.exhausted, false);
  assert.equal(r.metrics['train/num_gen_batches'], 2);
  assert.equal(r.metrics['frac_reward_zero_std'], 3 / 7);
  assert.equal(r.metrics['train/num_groups_kept'], 3);
  assert.equal(r.metrics['train/num_groups_generated'], 7);
});

test('refill bound: trains on what it has by default, or stops with a clear error', async () => {
  const mk = () => batches([[g('a', [1, 1]), g('b', [0, 1])]]);
  const r = await collectDynamicBatch({ generate: mk().generate, trainBatchSize: 4, maxGenBatches: 3 });
  assert.equal(r.numGenBatches, 3);
  assert.equal(r.groups.length, 3);
  assert.equal(r.exhausted, true);
  assert.equal(r.metrics['train/dynamic_batch_short'], 1);
  await assert.rejects(
    collectDynamicBatch({ generate: mk().generate, trainBatchSize: 4, maxGenBatches: 3, onExhausted: 'error' }),
    (e: unknown) => e instanceof UserError && /only 3 of 4 groups/.test(e.message) && /maxGenBatches/.test(e.message),
  );
  // data that runs out (an empty generation batch) ends the loop even when unlimited
  const ended = batches([[g('x', [0, 1])]], true);
  const r2 = await collectDynamicBatch({ generate: ended.generate, trainBatchSize: 2, maxGenBatches: 0 });
  assert.equal(r2.groups.length, 1);
  assert.equal(r2.numGenBatches, 2);
  assert.equal(r2.exhausted, true);
  await assert.rejects(collectDynamicBatch({ generate: ended.generate, trainBatchSize: 0, maxGenBatches: 1 }), UserError);
});
