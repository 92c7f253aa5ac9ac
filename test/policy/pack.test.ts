/**
 * Sequence packing (src/policy/pack.ts): how datums group into packs, and that a packed
 * pass gives every datum the log-probabilities, entropy and gradients it gets alone
 * (Qwen2 with biases, Qwen3 with q/k norm, LoRA), through the real engine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalPolicy } from '../../src/policy/local.ts';
import { joinRows, packDatums, splitRows } from '../../src/policy/pack.ts';
import { writeModelFolder } from '../../src/model/folder.ts';
import { poolClass } from '../../src/model/pool-class.ts';
import type { Datum, LossFn } from '../../src/policy/types.ts';
import { maxAbsDiff, randomIds, randomWeights, tinyConfig } from '../model/helpers.ts';

function datum(tokens: Int32Array, promptLen: number): Datum {
  const T = tokens.length - 1;
  const mask = new Float32Array(T);
  for (let t = promptLen - 1; t < T; t++) mask[t] = 1;
  return { inputTokens_T: tokens.subarray(0, T), targetTokens_T: tokens.subarray(1), mask_T: mask };
}

const lengths = [21, 9, 40, 33, 5, 64, 17];
const data = lengths.map((n, i) => datum(randomIds(n + 1, 61, 100 + i), 1 + (i % 4)));

test('packDatums: greedy consecutive packs under the row limit, lone datums unchanged', () => {
  const packs = packDatums(data, 64);
  assert.deepEqual(packs.map((p) => [p.first, p.count]), [[0, 2], [2, 1], [3, 2], [5, 1], [6, 1]]);
  assert.deepEqual(packs[0]!.segments, [21, 9]);
  assert.equal(packs[1]!.segments, null);
  assert.equal(packs[1]!.inputTokens_T, data[2]!.inputTokens_T);
  const p0 = packs[0]!;
  assert.deepEqual([...p0.inputTokens_T], [...data[0]!.inputTokens_T, ...data[1]!.inputTokens_T]);
  assert.deepEqual([...p0.mask_T], [...data[0]!.mask_T, ...data[1]!.mask_T]);
  // A datum longer than the limit runs alone; limit 0 packs nothing.
  assert.deepEqual(packDatums(data, 30).map((p) => p.count), [2, 1, 1, 1, 1, 1]);
  assert.deepEqual(packDatums(data, 29).map((p) => p.count), [1, 1, 1, 1, 1, 1, 1]);
  assert.ok(packDatums(data, 0).every((p) => p.count === 1 && p.segments === null));
  assert.equal(packDatums(data, 1e9).length, 1);
  // splitRows / joinRows are inverse.
  const rows = Float32Array.from({ length: 30 }, (_, i) => i);
  const split = splitRows(p0, rows);
  assert.deepEqual(split.map((a) => a.length), [21, 9]);
  const back = joinRows(p0, [...split, new Float32Array(1)]);
  assert.deepEqual([...back], [...rows]);
});

/** loss = Σ w_t·logprob_t + Σ u_t·entropy_t with fixed random weights: exercises both gradient paths. */
function mixedLoss(): LossFn {
  const fn: LossFn = ({ logprobs, entropy }) => {
    let loss = 0;
    const dLogprobs = logprobs.map((lp, i) => Float32Array.from(lp, (_, t) => Math.sin(1 + i * 7 + t)));
    const dEntropy = entropy!.map((e, i) => Float32Array.from(e, (_, t) => 0.3 * Math.cos(2 + i * 5 + t)));
    logprobs.forEach((lp, i) => lp.forEach((v, t) => (loss += v * dLogprobs[i]![t]! + entropy![i]![t]! * dEntropy[i]![t]!)));
    return { loss, dLogprobs, dEntropy, metrics: {} };
  };
  fn.needsEntropy = true;
  return fn;
}

const cases: { name: string; over: Record<string, unknown>; lora: boolean }[] = [
  { name: 'qwen2 (biases), full fine-tuning', over: {}, lora: false },
  { name: 'qwen3 (q/k norm, head_dim)', over: { model_type: 'qwen3', head_dim: 16 }, lora: false },
  { name: 'qwen2 with LoRA', over: {}, lora: true },
];

for (const c of cases) {
  test(`a packed pass equals datums one at a time: ${c.name}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'longrl-pack-'));
    try {
      const cfg = tinyConfig(c.over);
      writeModelFolder(dir, { config: cfg, weights: randomWeights(cfg, 7, 0.1).toTensors() });
      const lora = c.lora ? { rank: 4, alpha: 8 } : null;
      const packed = LocalPolicy.fromFolder(dir, { packRows: 96, lora });
      const alone = LocalPolicy.fromFolder(dir, { packRows: 0, lora });
      if (lora) {
        // Non-zero B, so the adapters are in the forward (a fresh B is zero).
        for (const p of [packed, alone]) for (const layer of p.model.lora!.layers) for (const pair of layer) if (pair) pair.B.forEach((_, i, b) => (b[i] = 0.01 * Math.sin(i)));
      }
      const fa = await packed.forward(data, { entropy: true, temperature: 0.7 });
      const fb = await alone.forward(data, { entropy: true, temperature: 0.7 });
      data.forEach((d, i) => {
        assert.equal(fa.logprobs[i]!.length, d.inputTokens_T.length);
        assert.ok(maxAbsDiff(fa.logprobs[i]!, fb.logprobs[i]!) < 2e-5, `logprobs of datum ${i}`);
        assert.ok(maxAbsDiff(fa.entropy![i]!, fb.entropy![i]!) < 2e-5, `entropy of datum ${i}`);
      });
      const ba = await packed.forwardBackward(data, mixedLoss());
      const bb = await alone.forwardBackward(data, mixedLoss());
      assert.ok(Math.abs(ba.loss - bb.loss) < 1e-4 * Math.max(1, Math.abs(bb.loss)));
      const ga = gradients(packed);
      const gb = gradients(alone);
      let scale = 0;
      for (const v of gb) scale = Math.max(scale, Math.abs(v));
      assert.ok(scale > 0);
      assert.ok(maxAbsDiff(ga, gb) < 1e-4 * scale, `gradients differ by ${maxAbsDiff(ga, gb)} (scale ${scale})`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

function gradients(p: LocalPolicy): Float32Array {
  return p.model.lora ? p.model.lora.grads! : p.model.grads!;
}

test('the tape buffer pool stays bounded over passes of many different lengths', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'longrl-pack-'));
  try {
    const cfg = tinyConfig();
    writeModelFolder(dir, { config: cfg, weights: randomWeights(cfg, 7, 0.1).toTensors() });
    const p = LocalPolicy.fromFolder(dir, { packRows: 0 });
    const ce = mixedLoss();
    // 80 passes, each one datum of a new length 100..179: keyed by exact length, the pool
    // kept a tape per length (80 of them); by size class it keeps a handful.
    let first = 0;
    for (let n = 100; n < 180; n++) {
      await p.forwardBackward([datum(randomIds(n + 1, 61, n), 2)], ce);
      if (n === 100) first = p.model.pooledBytesHeld;
    }
    assert.ok(first > 0, 'the pool is in use');
    // The longest tape is < 1.8x the first; about 9 size classes span 100..179 rows.
    const held = p.model.pooledBytesHeld;
    assert.ok(held <= 12 * 1.8 * first, `pool holds ${(held / first).toFixed(1)}x one tape of 100 rows`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('poolClass: at most 12.5% over the request, 8 classes per doubling', () => {
  for (let n = 1; n < 5000; n++) {
    const c = poolClass(n);
    assert.ok(c >= n && (n <= 64 || c <= n * 1.125 + 1e-9), `class of ${n} is ${c}`);
  }
  const classes = new Set(Array.from({ length: 1024 }, (_, i) => poolClass(1025 + i)));
  assert.equal(classes.size, 8);
});
