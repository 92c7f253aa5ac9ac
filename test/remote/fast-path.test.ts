/**
 * The opt-in `ppo` fast path (one forward_backward with Tinker's built-in ppo, advantages
 * pre-scaled by the token-mean constant) gives the same update as longrl's loss through
 * LocalPolicy, up to float rounding (the product order differs), and refuses losses the
 * built-in cannot express.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { LocalPolicy } from '../../src/policy/local.ts';
import { RemotePolicy, ppoFastPathLoss } from '../../src/remote/index.ts';
import { makePolicyLossFn } from '../../src/rl/index.ts';
import { makeModelFolder, rlLoop, startTinker } from './helpers.ts';
import { maxAbsDiff } from '../model/helpers.ts';

test('ppo fast path equals the custom loss through LocalPolicy (tolerance) with fewer requests', async () => {
  const dir = makeModelFolder();
  const fx = await startTinker({ modelDir: dir, longPollMs: 1000 });
  try {
    const cfg = { clipHigh: 0.28, clipC: null };
    const adam = { learningRate: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0, gradClipNorm: 0 };
    const local = LocalPolicy.fromFolder(dir);
    const want = await rlLoop(local, adam, 2, 0, makePolicyLossFn(cfg));
    const remote = await RemotePolicy.create({ url: fx.url, baseModel: 'tiny', loraRank: 0, backoffBaseMs: 1 });
    const got = await rlLoop(remote, adam, 2, 0, ppoFastPathLoss(cfg));
    assert.deepEqual(got.tokens[0], want.tokens[0]);
    for (let i = 0; i < 2; i++) assert.ok(Math.abs(got.losses[i]! - want.losses[i]!) <= 1e-6 * Math.max(1, Math.abs(want.losses[i]!)), `loss ${i}: ${got.losses[i]} vs ${want.losses[i]}`);
    for (let s = 0; s < 2; s++) for (let j = 0; j < want.trainLogprobs[s]!.length; j++) assert.ok(maxAbsDiff(got.trainLogprobs[s]![j]!, want.trainLogprobs[s]![j]!) < 1e-4);
    // One forward_backward per step (no extra forward for the loss), the forward in the loop aside.
    assert.equal(fx.service.applied['forward_backward'], 2);
    assert.equal(fx.service.applied['forward'], 2);
    remote.close();
  } finally {
    await fx.close();
    rmSync(dirname(dir), { recursive: true, force: true });
  }
});

test('ppo fast path refuses what Tinker\'s ppo cannot compute', () => {
  assert.throws(() => ppoFastPathLoss({ clipHigh: 0.28 }), /dual-clip/);
  assert.throws(() => ppoFastPathLoss({ clipC: null, aggMode: 'seq-mean-token-mean' }), /aggregation/);
  assert.throws(() => ppoFastPathLoss({ clipC: null, klCoef: 0.1 }), /KL/);
  assert.throws(() => ppoFastPathLoss({ clipC: null, policyLoss: 'gspo' }), /gspo/);
});
