/**
 * Rollouts on fake vLLM / SGLang servers (real HTTP on 127.0.0.1) that check request shapes:
 * token-id prompts, n, logprobs, return_token_ids; SGLang /generate batches; least-loaded
 * routing over two endpoints, failover when one dies, retries on 500; and the weight-sync
 * sequence (write → load new adapter everywhere → switch → unload old; SGLang
 * update_weights_from_disk with versions), each rollout tagged with its weight version.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { LocalPolicy } from '../../src/policy/local.ts';
import { RolloutClient, writePolicyWeights } from '../../src/remote/index.ts';
import type { SampleParams } from '../../src/policy/types.ts';
import { makeModelFolder } from './helpers.ts';

type Json = Record<string, any>;

interface Fake {
  url: string;
  log: string[];
  failNext: number;
  close(): Promise<void>;
}

async function fakeServer(kind: 'vllm' | 'sglang', name: string): Promise<Fake> {
  const adapters = new Set<string>();
  let version = '0';
  const fake: Fake = { url: '', log: [], failNext: 0, close: async () => {} };
  const reply = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const b: Json = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : {};
      const path = req.url ?? '';
      if (path === '/health') return reply(res, 200, {});
      if (fake.failNext > 0) {
        fake.failNext--;
        return reply(res, 500, { error: 'injected' });
      }
      const tok = (prompt: number[], j: number, t: number) => (prompt.reduce((a, x) => a + x, 0) + 3 * j + t + Number(version)) % 50;
      if (kind === 'vllm' && path === '/v1/completions') {
        assert.ok(Array.isArray(b.prompt) && b.prompt.every(Number.isInteger), 'prompt is token ids');
        assert.equal(b.return_token_ids, true);
        assert.equal(typeof b.logprobs, 'number');
        assert.ok(Number.isInteger(b.n) && b.n > 0);
        assert.equal(typeof b.seed, 'number');
        if (b.model !== 'base' && !adapters.has(b.model)) return reply(res, 404, { error: `model ${b.model} not found` });
        fake.log.push(`complete ${b.model}`);
        const choices = Array.from({ length: b.n }, (_, j) => {
          const ids = Array.from({ length: b.max_tokens }, (_, t) => tok(b.prompt, j, t));
          return { index: j, text: '', token_ids: ids, logprobs: { token_logprobs: ids.map(() => -0.5), tokens: [] }, finish_reason: 'length' };
        });
        return reply(res, 200, { id: 'x', object: 'text_completion', choices: choices.reverse() });
      }
      if (kind === 'vllm' && path === '/v1/load_lora_adapter') {
        assert.ok(existsSync(join(b.lora_path, 'adapter_config.json')) && existsSync(join(b.lora_path, 'adapter_model.safetensors')), 'PEFT adapter on disk');
        if (adapters.has(b.lora_name)) return reply(res, 400, { error: 'already loaded' });
        adapters.add(b.lora_name);
        fake.log.push(`load ${b.lora_name}`);
        return reply(res, 200, {});
      }
      if (kind === 'vllm' && path === '/v1/unload_lora_adapter') {
        if (!adapters.delete(b.lora_name)) return reply(res, 404, { error: 'not loaded' });
        fake.log.push(`unload ${b.lora_name}`);
        return reply(res, 200, {});
      }
      if (kind === 'sglang' && path === '/generate') {
        assert.ok(Array.isArray(b.input_ids) && b.input_ids.every((p: unknown) => Array.isArray(p)), 'batched input_ids');
        assert.equal(b.return_logprob, true);
        assert.equal(b.logprob_start_len, -1);
        assert.equal(typeof b.sampling_params.max_new_tokens, 'number');
        fake.log.push(`generate v${version}`);
        return reply(res, 200, b.input_ids.map((p: number[], j: number) => ({
          text: '',
          meta_info: {
            output_token_logprobs: Array.from({ length: b.sampling_params.max_new_tokens }, (_, t) => [-0.25, tok(p, j, t), null]),
            finish_reason: { type: 'stop' },
          },
        })));
      }
      if (kind === 'sglang' && path === '/update_weights_from_disk') {
        assert.ok(existsSync(join(b.model_path, 'config.json')) && existsSync(join(b.model_path, 'model.safetensors')), 'HF folder on disk');
        version = b.weight_version;
        fake.log.push(`update v${version}`);
        return reply(res, 200, { success: true, message: 'ok', num_paused_requests: 0 });
      }
      reply(res, 404, { error: `no route ${path}` });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${name === 'slash' ? '' : ''}`;
  fake.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return fake;
}

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
