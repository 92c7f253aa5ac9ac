/**
 * Recycled KV caches (KvCachePool): a released buffer is handed to the next acquire of its
 * size class, the pool stays within its byte bound, a double release is refused, and —
 * what matters — nothing reads a cache beyond the rows it wrote: generation and chunked
 * scoring into buffers poisoned with NaN give exactly what fresh zeroed buffers give, on
 * the native kernels (fused step) and the TypeScript fallback.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsKernels, nativeKernels } from '../../src/engine/index.ts';
import { KvCache, KvCachePool } from '../../src/model/kvcache.ts';
import { poolClass } from '../../src/model/pool-class.ts';
import { QwenModel } from '../../src/model/qwen.ts';
import { generate } from '../../src/model/generate.ts';
import { randomIds, randomWeights, tinyConfig } from './helpers.ts';

test('KvCachePool: a released buffer goes to the next acquire of its size class', () => {
  const pool = new KvCachePool();
  const a = pool.acquire(2, 8, 100);
  assert.equal(a.capacity, 100);
  assert.equal(a.data.length, 2 * 2 * 100 * 8);
  assert.equal(a.data.buffer.byteLength, poolClass(3200) * 4);
  assert.equal(a.k[1]!.byteOffset, 100 * 8 * 4, 'layout [2][layers][capacity][kvDim] over the first floats');
  assert.equal(a.v[0]!.byteOffset, 2 * 100 * 8 * 4);
  a.length = 7;
  pool.release(a);
  assert.equal(pool.bytesHeld, a.data.buffer.byteLength);
  // 101 rows fall in the same class: the same memory comes back, as a new empty cache.
  const b = pool.acquire(2, 8, 101);
  assert.equal(b.data.buffer, a.data.buffer);
  assert.equal(b.length, 0);
  assert.equal(b.capacity, 101);
  assert.equal(pool.bytesHeld, 0);
  // A different class allocates.
  const c = pool.acquire(2, 8, 400);
  assert.notEqual(c.data.buffer, a.data.buffer);
  pool.release(b);
  assert.throws(() => pool.release(b), /released twice/);
});

test('KvCachePool: holds at most maxBytes, and drops caches it cannot reuse', () => {
  const pool = new KvCachePool(100_000);
  const caches = Array.from({ length: 5 }, () => pool.acquire(1, 16, 300)); // 9,600 floats each
  for (const c of caches) pool.release(c);
  const per = caches[0]!.data.buffer.byteLength;
  assert.equal(pool.bytesHeld, Math.floor(100_000 / per) * per);
  assert.ok(pool.bytesHeld <= 100_000);
  // A cache made outside the pool is not taken, even over a buffer of a size class (it may
  // still be in use by whoever made it), nor is another pool's.
  pool.clear();
  pool.release(new KvCache(1, 16, 301));
  pool.release(new KvCache(1, 16, 300, new Float32Array(poolClass(9600))));
  pool.release(new KvCachePool().acquire(1, 16, 300));
  assert.equal(pool.bytesHeld, 0);
  assert.throws(() => new KvCache(1, 16, 10, new Float32Array(100)), /KV cache buffer of 100 floats < 320/);
});

test('KvCachePool: a full pool evicts its oldest buffers, so a later stage\'s longer caches still recycle', () => {
  const small = (p: KvCachePool) => p.acquire(1, 16, 300); // 9,600 floats: a 10,240-float class, 40,960 bytes
  const per = poolClass(9600) * 4;
  const pool = new KvCachePool(2 * per + 1000);
  const [s1, s2, s3] = [small(pool), small(pool), small(pool)];
  pool.release(s1);
  pool.release(s2);
  pool.release(s3); // full: s1, the oldest, goes
  assert.equal(pool.bytesHeld, 2 * per);
  assert.equal(small(pool).data.buffer, s3.data.buffer, 'the newest comes back first');
  assert.equal(small(pool).data.buffer, s2.data.buffer);
  assert.notEqual(small(pool).data.buffer, s1.data.buffer, 's1 was evicted: a fresh buffer');
  // Two small buffers held; a longer cache (a later curriculum stage) evicts both to fit.
  const [a, b] = [small(pool), small(pool)];
  pool.release(a);
  pool.release(b);
  const long = pool.acquire(1, 16, 560); // 17,920 floats: an 18,432-float class
  pool.release(long);
  assert.equal(pool.bytesHeld, long.data.buffer.byteLength);
  assert.equal(pool.acquire(1, 16, 560).data.buffer, long.data.buffer);
  // A buffer larger than the whole pool is dropped, and nothing is evicted for it.
  pool.release(small(pool));
  pool.release(pool.acquire(1, 16, 2000));
  assert.equal(pool.bytesHeld, per);
});

/** Fills every buffer the pool could hand out next with NaN (the staleness a recycled cache may hold). */
function poison(model: QwenModel, capacities: number[]): void {
  const d = model.weights.dims;
  const caches = capacities.map((c) => model.kvPool.acquire(d.layers, d.kvDim, c));
  for (const c of caches) {
    new Float32Array(c.data.buffer).fill(NaN);
    model.kvPool.release(c);
  }
}

const backends = [['TypeScript', jsKernels()], ['native', nativeKernels()]] as const;
for (const [name, kernels] of backends) {
  test(`generation into recycled caches holding NaN equals generation into fresh ones (${name})`, { skip: kernels ? false : 'native addon unavailable' }, () => {
    const w = randomWeights(tinyConfig({ max_position_embeddings: 512 }), 3);
    const prompts = [Array.from(randomIds(40, w.dims.vocab, 1)), Array.from(randomIds(23, w.dims.vocab, 2))];
    for (const n of [1, 3]) {
      const params = { n, maxTokens: 12, temperature: 1, topP: 1, topK: 0, seed: 5 };
      const fresh = new QwenModel(w, null, kernels!);
      fresh.kvPool.clear();
      const expected = generate(fresh, prompts, params);
      const recycled = new QwenModel(w, null, kernels!);
      // Every capacity this generation asks for, poisoned, several of each.
      const caps = n === 1 ? [52, 35] : [40, 23, 12, 12, 12, 12, 12, 12];
      poison(recycled, [...caps, ...caps]);
      const held = recycled.kvPool.bytesHeld;
      const got = generate(recycled, prompts, params);
      assert.deepEqual(got, expected, `n=${n}: samples and log-probabilities`);
      assert.equal(recycled.kvPool.bytesHeld, held, `n=${n}: every cache went back to the pool`);
      // A second call reuses what the first gave back and samples the same again.
      assert.deepEqual(generate(recycled, prompts, params), expected);
    }
  });
}

test('chunked scoring through a recycled cache holding NaN gives the fresh result', () => {
  const w = randomWeights(tinyConfig({ max_position_embeddings: 512 }), 4);
  const ids = randomIds(90, w.dims.vocab, 7);
  const targets = Int32Array.from(ids.subarray(1)).slice();
  const input = ids.subarray(0, 89);
  const fresh = new QwenModel(w, null, jsKernels());
  fresh.prefillChunk = 32;
  const recycled = new QwenModel(w, null, jsKernels());
  recycled.prefillChunk = 32;
  poison(recycled, [89]);
  const a = fresh.forwardSequence(input, targets, null);
  const b = recycled.forwardSequence(input, targets, null);
  assert.deepEqual(b.logprobs, a.logprobs);
  assert.ok(a.logprobs.every(Number.isFinite));
  assert.equal(recycled.kvPool.bytesHeld > 0, true, 'the scoring cache went back to the pool');
});
