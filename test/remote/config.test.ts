/**
 * The cluster recipe's `policy` and `sampler` blocks parse with the remote schemas; a
 * policy built from such a block reads its API key from the named environment variable,
 * sends it, and never writes it into the checkpoint folder or the log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { SamplerSchema, TinkerPolicySchema, createRemotePolicy, createRolloutClient } from '../../src/remote/index.ts';
import { makeModelFolder, startTinker } from './helpers.ts';

const recipe = new URL('../../recipes/qwenlong-l1-cluster.yaml', import.meta.url);

test('cluster recipe blocks parse; unknown keys are refused', () => {
  const y = parse(readFileSync(recipe, 'utf8')) as { policy: unknown; sampler: unknown };
  const p = TinkerPolicySchema.parse(y.policy);
  assert.equal(p.kind, 'tinker');
  assert.equal(p.loraRank, 0);
  assert.equal(p.apiKeyEnv, 'TINKER_API_KEY');
  const s = SamplerSchema.parse(y.sampler);
  assert.equal(s.kind, 'policy');
  assert.equal(createRolloutClient(s, 'm', '/tmp'), null);
  assert.throws(() => TinkerPolicySchema.parse({ ...p, apiKey: 'tml-secret' }));
});

test('the cluster recipe\'s commented vLLM fleet block is a valid sampler block', () => {
  const text = readFileSync(recipe, 'utf8');
  const block = /# --- vllm fleet.*\n([\s\S]*?)\n\s*# --- end ---/.exec(text)?.[1];
  assert.ok(block, 'the recipe shows the vllm sampler block');
  const s = SamplerSchema.parse(parse(block.split('\n').map((l) => l.replace(/^\s*# /, '')).join('\n')));
  assert.equal(s.kind, 'vllm');
  assert.deepEqual(s.urls, ['http://gpu1:8100', 'http://gpu2:8100']);
  assert.equal(s.weightSync, 'lora');
  assert.equal(s.apiKeyEnv, 'VLLM_API_KEY');
});

test('API key from the environment only: sent, never written or logged', async () => {
  const dir = makeModelFolder();
  const secret = 'tml-very-secret-key';
  const fx = await startTinker({ modelDir: dir, apiKey: secret, longPollMs: 200 });
  const lines: string[] = [];
  try {
    process.env['LONGRL_TEST_TINKER_KEY'] = secret;
    const cfg = TinkerPolicySchema.parse({ kind: 'tinker', url: fx.url, baseModel: 'tiny', loraRank: 2, apiKeyEnv: 'LONGRL_TEST_TINKER_KEY' });
    const policy = await createRemotePolicy(cfg, (l) => lines.push(l));
    const ck = join(dirname(dir), 'ck');
    await policy.save(ck);
    for (const f of readdirSync(ck)) assert.ok(!readFileSync(join(ck, f), 'utf8').includes(secret), `${f} holds no key`);
    assert.ok(!lines.join('\n').includes(secret));
    policy.close();
    delete process.env['LONGRL_TEST_TINKER_KEY'];
    await assert.rejects(createRemotePolicy(cfg), /LONGRL_TEST_TINKER_KEY.*empty/);
  } finally {
    await fx.close();
    rmSync(dirname(dir), { recursive: true, force: true });
  }
});
