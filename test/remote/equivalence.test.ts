/**
 * The same tiny RL loop (sample G per prompt, a simple reward, group-mean advantages, old
 * logprobs by `forward`, `makePolicyLossFn`, forwardBackward, optimStep) through LocalPolicy
 * and through RemotePolicy → longrl's Tinker server over a LocalPolicy, same seed: identical
 * tokens, logprobs, losses and final weights — for the default (hosted Tinker, sum) path and
 * for the SkyRL mapping against the server in `normalize: 'skyrl'` mode.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LocalPolicy } from '../../src/policy/local.ts';
import type { AdamParams } from '../../src/policy/types.ts';
import { RemotePolicy } from '../../src/remote/index.ts';
import { checksum, makeModelFolder, rlLoop, startTinker } from './helpers.ts';

async function compare(mode: 'sum' | 'skyrl', loraRank: number, adam: AdamParams): Promise<void> {
  const dir = makeModelFolder();
  const lora = loraRank ? { rank: loraRank, alpha: 32, seed: 0 } : null;
  const fx = await startTinker({ modelDir: dir, normalize: mode, ignoreGradClip: mode === 'skyrl', longPollMs: 2000 });
  try {
    const local = LocalPolicy.fromFolder(dir, { lora });
    const want = await rlLoop(local, adam, 3);
    const remote = await RemotePolicy.create({ url: fx.url, baseModel: 'tiny', loraRank, loraSeed: 0, backoffBaseMs: 5 });
    assert.equal(remote.backend, mode === 'skyrl' ? 'skyrl' : 'tinker');
    const got = await rlLoop(remote, adam, 3);
    assert.deepEqual(got.tokens, want.tokens);
    assert.deepEqual(got.sampleLogprobs, want.sampleLogprobs);
    assert.deepEqual(got.trainLogprobs, want.trainLogprobs);
    assert.deepEqual(got.losses, want.losses);
    for (let i = 0; i < 3; i++) assert.equal(got.gradNorms[i], want.gradNorms[i], `grad norm of step ${i}`);
    // Final weights: the remote checkpoint, read back as a LocalPolicy.
    const ckDir = join(dirname(dir), 'ck');
    await remote.save(ckDir);
    const path = (JSON.parse(readFileSync(join(ckDir, 'remote_checkpoint.json'), 'utf8')) as { tinker_path: string }).tinker_path;
    const m = /^tinker:\/\/([^/]+)\/weights\/(.+)$/.exec(path)!;
    const saved = LocalPolicy.fromFolder(join(fx.service.stateDir, m[1]!, 'weights', m[2]!), { lora });
    await saved.load(join(fx.service.stateDir, m[1]!, 'weights', m[2]!));
    const trained = (p: LocalPolicy) => (p.model.lora ? p.model.lora.data : p.weights.data);
    assert.equal(checksum(trained(saved)), checksum(trained(local)));
    assert.notEqual(checksum(trained(local)), checksum(trained(LocalPolicy.fromFolder(dir, { lora }))), 'training changed the weights');
    assert.ok(fx.service.applied['optim_step'] === 3);
    remote.close();
  } finally {
    await fx.close();
    rmSync(dirname(dir), { recursive: true, force: true });
  }
}

test('default path (forward → longrl loss → cross_entropy with weights −dL/dlogp) equals LocalPolicy bit for bit', async () => {
  await compare('sum', 0, { learningRate: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.01, gradClipNorm: 1 });
});

test('SkyRL mapping (importance_sampling, unit weights, advantages × Σw × N) against a skyrl-normalising server equals LocalPolicy (LoRA)', async () => {
  await compare('skyrl', 4, { learningRate: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0, gradClipNorm: 0 });
});
