/**
 * Opt-in tests against real engines (none is installable here), skipped unless set:
 *   LONGRL_TINKER_URL (+ LONGRL_TINKER_BASE_MODEL, LONGRL_TINKER_API_KEY_ENV, e.g. TINKER_API_KEY),
 *   LONGRL_VLLM_URL (+ LONGRL_VLLM_MODEL), LONGRL_SGLANG_URL.
 * Remote GPU backends are not bit-reproducible: checks are shapes and tolerances.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RemotePolicy, RolloutClient } from '../../src/remote/index.ts';
import { makePolicyLossFn, makeRlDatum } from '../../src/rl/index.ts';
import type { SampleParams } from '../../src/policy/types.ts';

const env = process.env;
const params: SampleParams = { n: 2, temperature: 1, topP: 1, topK: -1, maxTokens: 8, seed: 1 };
const prompt = [785, 6722, 315, 9625, 374]; // Qwen tokens of "The capital of France is"

test('real Tinker service: sample, forward, custom-loss step', { skip: !env['LONGRL_TINKER_URL'] && 'set LONGRL_TINKER_URL to run' }, async () => {
  const remote = await RemotePolicy.create({
    url: env['LONGRL_TINKER_URL']!,
    baseModel: env['LONGRL_TINKER_BASE_MODEL'] ?? 'Qwen/Qwen3-0.6B',
    loraRank: 8,
    ...(env['LONGRL_TINKER_API_KEY_ENV'] ? { apiKeyEnv: env['LONGRL_TINKER_API_KEY_ENV'] } : {}),
  });
  try {
    const [group] = await remote.sample([prompt], params);
    assert.equal(group!.length, 2);
    const datums = group!.map((s, j) => makeRlDatum({ promptTokens: prompt, tokens: s.tokens, logprobs: s.logprobs }, j === 0 ? 1 : -1));
    const fb = await remote.forwardBackward(datums, makePolicyLossFn({}));
    assert.ok(Number.isFinite(fb.loss));
    // Trainer vs sampler log-probs agree loosely (same weights, different kernels).
    const gap = Math.abs(fb.logprobs[0]![prompt.length - 1]! - group![0]!.logprobs[0]!);
    assert.ok(gap < 0.5, `trainer-sampler gap ${gap}`);
    await remote.optimStep({ learningRate: 1e-5, beta1: 0.9, beta2: 0.95, eps: 1e-12, weightDecay: 0, gradClipNorm: 0 });
  } finally {
    remote.close();
  }
});

test('real vLLM server: token-id completions with logprobs', { skip: !env['LONGRL_VLLM_URL'] && 'set LONGRL_VLLM_URL to run' }, async () => {
  const client = new RolloutClient({ engine: 'vllm', urls: [env['LONGRL_VLLM_URL']!], baseModel: env['LONGRL_VLLM_MODEL'] ?? 'base', weightSync: 'lora', syncDir: mkdtempSync(join(tmpdir(), 'longrl-sync-')) });
  const [group] = await client.sample([prompt], params);
  assert.equal(group!.length, 2);
  for (const s of group!) assert.equal(s.logprobs.length, s.tokens.length);
});

test('real SGLang server: /generate with logprobs', { skip: !env['LONGRL_SGLANG_URL'] && 'set LONGRL_SGLANG_URL to run' }, async () => {
  const client = new RolloutClient({ engine: 'sglang', urls: [env['LONGRL_SGLANG_URL']!], baseModel: 'base', weightSync: 'full', syncDir: mkdtempSync(join(tmpdir(), 'longrl-sync-')) });
  const [group] = await client.sample([prompt], params);
  assert.equal(group!.length, 2);
  for (const s of group!) assert.equal(s.logprobs.length, s.tokens.length);
});
