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
import type { AdamParams, Datum, Policy } from '../../src/policy/types.ts';
import { makePolicyLossFn, makeRlDatum, withExtra } from '../../src/rl/index.ts';
import { RemotePolicy } from '../../src/remote/index.ts';
import { checksum, makeModelFolder, startTinker } from './helpers.ts';
import { randomIds } from '../model/helpers.ts';

interface Trace {
  tokens: number[][][];
  sampleLogprobs: number[][][];
  trainLogprobs: number[][][];
  losses: number[];
  gradNorms: number[];
}

const prompts = [Array.from(randomIds(7, 61, 11)), Array.from(randomIds(5, 61, 12))];

/** Reward: the fraction of even token ids (a rule the tiny model can learn). */
function reward(tokens: readonly number[]): number {
  return tokens.length ? tokens.filter((t) => t % 2 === 0).length / tokens.length : 0;
}

async function rlLoop(policy: Policy, adam: AdamParams, steps: number): Promise<Trace> {
  const trace: Trace = { tokens: [], sampleLogprobs: [], trainLogprobs: [], losses: [], gradNorms: [] };
  const lossFn = makePolicyLossFn({ clipHigh: 0.28 });
  for (let step = 0; step < steps; step++) {
    const datums: Datum[] = [];
    const stepTokens: number[][] = [];
    const stepLps: number[][] = [];
    for (let i = 0; i < prompts.length; i++) {
      const [group] = await policy.sample([prompts[i]!], { n: 4, temperature: 1, topP: 1, topK: -1, maxTokens: 6, seed: 100 * step + i });
      const rewards_G = group!.map((s) => reward(s.tokens));
      const mean = rewards_G.reduce((a, b) => a + b, 0) / rewards_G.length;
      group!.forEach((s, j) => {
        stepTokens.push(s.tokens);
        stepLps.push(s.logprobs);
        datums.push(makeRlDatum({ promptTokens: prompts[i]!, tokens: s.tokens, logprobs: s.logprobs, finishReason: s.finishReason }, rewards_G[j]! - mean));
      });
    }
    const old = await policy.forward(datums);
    const fb = await policy.forwardBackward(withExtra(datums, 'oldLogprobs_T', old.logprobs), lossFn);
    const os = await policy.optimStep(adam);
    trace.tokens.push(stepTokens);
    trace.sampleLogprobs.push(stepLps);
    trace.trainLogprobs.push(fb.logprobs.map((x) => Array.from(x)));
    trace.losses.push(fb.loss);
    trace.gradNorms.push(os.gradNorm);
  }
  return trace;
}

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
