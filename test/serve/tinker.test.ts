/**
 * longrl's Tinker-compatible service, spoken to as a Tinker SDK ≤ 0.24 would (raw JSON on
 * 127.0.0.1): API key, capabilities, named sampler checkpoints and create_sampling_session,
 * asample retries by seq_id, stop lists, non-JSON (protobuf) bodies, get_info / unload_model,
 * and long polls that answer try_again while a future waits for an earlier seq_id.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { TinkerClient } from '../../src/remote/index.ts';
import { makeModelFolder, startTinker } from '../remote/helpers.ts';

test('Tinker service: auth, sampler checkpoints, asample, errors, unload', async () => {
  const dir = makeModelFolder();
  const fx = await startTinker({ modelDir: dir, apiKey: 'tml-test', longPollMs: 100 });
  try {
    assert.equal((await fetch(`${fx.url}/api/v1/healthz`)).status, 200);
    assert.equal((await fetch(`${fx.url}/api/v1/get_server_capabilities`)).status, 401);
    const c = new TinkerClient({ url: fx.url, apiKey: 'tml-test', backoffBaseMs: 1 });
    const caps = await c.call('get_server_capabilities', undefined, 'GET');
    assert.equal((caps['supported_models'] as { model_name: string }[])[0]!.model_name, 'tiny');
    const { session_id } = await c.call('create_session', { tags: [], user_metadata: {}, sdk_version: '0.24.0', type: 'create_session' });
    const { model_id } = await c.op('create_model', { session_id, model_seq_id: 0, base_model: 'tiny', lora_config: { rank: 2 } });
    await assert.rejects(c.op('create_model', { session_id, model_seq_id: 1, base_model: 'other' }), /not served here/);

    const eph = await c.op('save_weights_for_sampler', { model_id, seq_id: 1, sampling_session_seq_id: 0 });
    const named = await c.op('save_weights_for_sampler', { model_id, seq_id: 2, path: 'ck1' });
    assert.match(String(named['path']), /^tinker:\/\/.+\/sampler_weights\/ck1$/);
    const fromPath = await c.call('create_sampling_session', { session_id, sampling_session_seq_id: 1, model_path: named['path'], type: 'create_sampling_session' });
    const body = (sid: unknown, seq: number) => ({
      sampling_session_id: sid, seq_id: seq, num_samples: 2, prompt: { chunks: [{ type: 'encoded_text', tokens: [3, 4, 5] }] },
      sampling_params: { max_tokens: 5, temperature: 1, top_p: 1, top_k: -1, seed: 9, stop: [] }, prompt_logprobs: false, type: 'sample',
    });
    const a = await c.op('asample', body(eph['sampling_session_id'], 0));
    const b = await c.op('asample', body(fromPath['sampling_session_id'], 0));
    // The live snapshot samples through the unmerged LoRA adapter (the per-kernel decode
    // path), the named checkpoint through merged weights (the fused native decode step):
    // the same tokens, log-probabilities equal up to float32 summation order.
    type Seq = { tokens: number[]; logprobs: number[]; stop_reason: string };
    const seqA = a['sequences'] as Seq[];
    const seqB = b['sequences'] as Seq[];
    assert.deepEqual(seqA.map((x) => [x.tokens, x.stop_reason]), seqB.map((x) => [x.tokens, x.stop_reason]), 'the named checkpoint samples as the live snapshot');
    seqA.forEach((x, i) => x.logprobs.forEach((lp, t) => assert.ok(Math.abs(lp - seqB[i]!.logprobs[t]!) < 1e-5, `sequence ${i} token ${t}: ${lp} vs ${seqB[i]!.logprobs[t]}`)));
    const seqs = a['sequences'] as { tokens: number[]; logprobs: number[]; stop_reason: string }[];
    assert.equal(seqs.length, 2);
    assert.ok(seqs.every((s) => s.tokens.length === 5 && s.logprobs.length === 5 && s.stop_reason === 'length'));
    const id1 = await c.submit('asample', body(eph['sampling_session_id'], 7));
    assert.equal(await c.submit('asample', body(eph['sampling_session_id'], 7)), id1, 'a retried asample is the same request');
    await assert.rejects(c.submit('asample', { ...body(eph['sampling_session_id'], 8), sampling_params: { max_tokens: 2, stop: [1, 'x'] } }), /all token ids or all strings/);

    const raw = await fetch(`${fx.url}/api/v1/forward_backward`, { method: 'POST', headers: { 'x-api-key': 'tml-test', 'content-type': 'application/x-protobuf' }, body: new Uint8Array([8, 1, 18, 3]) });
    assert.equal(raw.status, 400);
    assert.match(((await raw.json()) as { detail: string }).detail, /SDK <= 0.24/);

    // A future behind a missing seq_id long-polls to try_again.
    const pending = await c.submit('optim_step', { model_id, seq_id: 4, adam_params: { learning_rate: 1e-3 } });
    const poll = await fetch(`${fx.url}/api/v1/retrieve_future`, { method: 'POST', headers: { 'x-api-key': 'tml-test' }, body: JSON.stringify({ request_id: pending }) });
    assert.equal(((await poll.json()) as { type: string }).type, 'try_again');

    const info = await c.call('get_info', { model_id });
    assert.equal((info['model_data'] as { lora_rank: number }).lora_rank, 2);
    await c.op('unload_model', { model_id });
    await assert.rejects(c.submit('forward', { model_id, seq_id: 3, forward_input: { data: [], loss_fn: 'cross_entropy' } }), /unknown or was unloaded/);
  } finally {
    await fx.close();
    rmSync(dirname(dir), { recursive: true, force: true });
  }
  // The temp folder the service made for its checkpoints (ck1 above) goes with it.
  assert.equal(existsSync(fx.service.stateDir), false, 'the service removed the state folder it created');
});

test('Tinker service: a state folder given by the caller outlives the service', async () => {
  const dir = makeModelFolder();
  const stateDir = mkdtempSync(join(tmpdir(), 'longrl-tinker-kept-'));
  const fx = await startTinker({ modelDir: dir, stateDir, longPollMs: 100 });
  try {
    const c = new TinkerClient({ url: fx.url, backoffBaseMs: 1 });
    const { session_id } = await c.call('create_session', { tags: [], user_metadata: {}, sdk_version: '0.24.0', type: 'create_session' });
    const { model_id } = await c.op('create_model', { session_id, model_seq_id: 0, base_model: 'tiny', lora_config: { rank: 2 } });
    const named = await c.op('save_weights_for_sampler', { model_id, seq_id: 1, path: 'keep' });
    assert.match(String(named['path']), /sampler_weights\/keep$/);
  } finally {
    await fx.close();
    rmSync(dirname(dir), { recursive: true, force: true });
  }
  assert.ok(readdirSync(stateDir, { recursive: true }).some((f) => String(f).endsWith('keep')), 'the checkpoint is still there');
  rmSync(stateDir, { recursive: true, force: true });
});
