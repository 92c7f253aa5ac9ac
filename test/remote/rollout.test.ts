/**
 * Rollouts on fake vLLM / SGLang servers (test/remote/fake-engines.ts: real HTTP on 127.0.0.1) that check request shapes:
 * token-id prompts, n, logprobs, return_token_ids; SGLang /generate batches; least-loaded
 * routing over two endpoints, failover when one dies, retries on 500; and the weight-sync
 * sequence (write → load new adapter everywhere → switch → unload old; SGLang
 * update_weights_from_disk with versions), each rollout tagged with its weight version.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { LocalPolicy } from '../../src/policy/local.ts';
import { RolloutClient, writePolicyWeights } from '../../src/remote/index.ts';
import type { SampleParams } from '../../src/policy/types.ts';
import { makeModelFolder } from './helpers.ts';
import { startFakeEngine } from './fake-engines.ts';

const fakeServer = (kind: 'vllm' | 'sglang', _name: string) => startFakeEngine({ kind });

const params: SampleParams = { n: 3, temperature: 1, topP: 1, topK: -1, maxTokens: 4, seed: 5 };
const prompts = [[1, 2, 3], [4, 5], [6], [7, 8, 9, 10]];

test('vLLM: token-id completions, least-loaded routing, failover, LoRA sync with a new name per version', async () => {
  const a = await fakeServer('vllm', 'a');
  const b = await fakeServer('vllm', 'b');
  const dir = makeModelFolder();
  const syncDir = mkdtempSync(join(tmpdir(), 'longrl-sync-'));
  try {
    const client = new RolloutClient({ engine: 'vllm', urls: [a.url, b.url], baseModel: 'base', weightSync: 'lora', syncDir, backoffBaseMs: 1 });
    assert.equal(await client.pool.checkHealth(), 2);
    const r0 = await client.sample(prompts, params);
    assert.equal(r0.length, 4);
    assert.deepEqual(r0[0]!.map((s) => s.tokens), [0, 1, 2].map((j) => [0, 1, 2, 3].map((t) => (6 + 3 * j + t) % 50)), 'choices in index order');
    assert.ok(r0.flat().every((s) => s.weightVersion === 0 && s.logprobs.length === 4 && s.logprobs.every((x) => x === -0.5)));
    assert.ok(a.log.length > 0 && b.log.length > 0, 'both endpoints served (least-loaded)');

    const policy = LocalPolicy.fromFolder(dir, { lora: { rank: 2, alpha: 4 } });
    assert.equal(await client.syncWeights((d) => writePolicyWeights(policy, d, 'lora')), 1);
    const r1 = await client.sample(prompts, params);
    assert.ok(r1.flat().every((s) => s.weightVersion === 1));
    await client.syncWeights((d) => writePolicyWeights(policy, d, 'lora'));
    for (const f of [a, b]) {
      const sync = f.log.filter((l) => !l.startsWith('complete'));
      assert.deepEqual(sync, ['load longrl-v1', 'load longrl-v2', 'unload longrl-v1']);
      assert.ok(f.log.indexOf('load longrl-v1') < f.log.lastIndexOf('complete longrl-v1'));
    }
    assert.deepEqual(client.events.map((e) => `${e.action} ${e.name}`).slice(0, 3), ['write longrl-v1', 'load_lora_adapter longrl-v1', 'load_lora_adapter longrl-v1']);
    // A 500 is retried; a dead endpoint is left for the live one.
    a.failNext = 1;
    await b.close();
    const r2 = await client.sample(prompts.slice(0, 2), params);
    assert.ok(r2.flat().every((s) => s.weightVersion === 2 && s.endpoint === a.url.replace(/\/+$/, '')));
    assert.ok((client.counters['rollout/retry_5xx'] ?? 0) >= 1);
    assert.ok((client.counters['rollout/endpoint_switch'] ?? 0) >= 1);
    assert.throws(() => new RolloutClient({ engine: 'vllm', urls: [a.url], baseModel: 'base', weightSync: 'full', syncDir }), /NCCL/);
  } finally {
    await a.close();
    await b.close().catch(() => {});
    rmSync(dirname(dir), { recursive: true, force: true });
    rmSync(syncDir, { recursive: true, force: true });
  }
});

test('SGLang: /generate batches with logprobs, full-weight sync by update_weights_from_disk with versions', async () => {
  const s = await fakeServer('sglang', 's');
  const dir = makeModelFolder();
  const syncDir = mkdtempSync(join(tmpdir(), 'longrl-sync-'));
  try {
    const client = new RolloutClient({ engine: 'sglang', urls: [s.url], baseModel: 'base', weightSync: 'full', syncDir, backoffBaseMs: 1 });
    const r0 = await client.sample(prompts.slice(0, 1), params);
    assert.deepEqual(r0[0]!.map((x) => x.tokens), [0, 1, 2].map((j) => [0, 1, 2, 3].map((t) => (6 + 3 * j + t) % 50)));
    assert.ok(r0[0]!.every((x) => x.finishReason === 'stop' && x.logprobs.every((l) => l === -0.25) && x.weightVersion === 0));
    const policy = LocalPolicy.fromFolder(dir);
    await client.syncWeights((d) => writePolicyWeights(policy, d, 'full'));
    const r1 = await client.sample(prompts.slice(0, 1), params);
    assert.ok(r1[0]!.every((x) => x.weightVersion === 1));
    assert.deepEqual(r1[0]![0]!.tokens, [7, 8, 9, 10], 'served by the updated weights');
    assert.deepEqual(s.log, ['generate v0', 'update v1', 'generate v1']);
  } finally {
    await s.close();
    rmSync(dirname(dir), { recursive: true, force: true });
    rmSync(syncDir, { recursive: true, force: true });
  }
});

test('a server that cannot take new weights stops serving, then is resynced when it recovers', async () => {
  const a = await fakeServer('vllm', 'a');
  const b = await fakeServer('vllm', 'b');
  const dir = makeModelFolder();
  const syncDir = mkdtempSync(join(tmpdir(), 'longrl-sync-'));
  try {
    const client = new RolloutClient({ engine: 'vllm', urls: [a.url, b.url], baseModel: 'base', weightSync: 'lora', syncDir, backoffBaseMs: 1, retries: 1 });
    const policy = LocalPolicy.fromFolder(dir, { lora: { rank: 2, alpha: 4 } });
    b.failNext = 10;
    assert.equal(await client.syncWeights((d) => writePolicyWeights(policy, d, 'lora')), 1);
    assert.equal(client.counters['rollout/sync_failed'], 1);
    const bUrl = b.url.replace(/\/+$/, '');
    // While b fails, it neither serves nor blocks: everything goes to a with version 1.
    const r1 = await client.sample(prompts, params);
    assert.ok(r1.flat().every((s) => s.weightVersion === 1 && s.endpoint !== bUrl));
    b.failNext = 0;
    const r2 = await client.sample(prompts, params);
    assert.equal(client.counters['rollout/resynced'], 1);
    assert.ok(r2.flat().every((s) => s.weightVersion === 1));
    assert.ok(r2.flat().some((s) => s.endpoint === bUrl), 'b serves again after resync');
    assert.deepEqual(b.log.filter((l) => !l.startsWith('complete')), ['load longrl-v1']);
  } finally {
    await a.close();
    await b.close();
    rmSync(dirname(dir), { recursive: true, force: true });
    rmSync(syncDir, { recursive: true, force: true });
  }
});
