/**
 * Faults at every remote call — 408/try_again loops, 429 bursts, 500s, 410 (promise lost),
 * dropped connections before and after the server took the request, duplicated POSTs — are
 * retried and counted, and no training step is applied twice: the faulty run equals the
 * clean local run bit for bit. Also: strict seq_id order on the server, unknown request
 * fields ignored, session expiry without heartbeat, load_weights only first, and a resume
 * after a server restart from the remote checkpoint a run folder names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LocalPolicy } from '../../src/policy/local.ts';
import type { AdamParams } from '../../src/policy/types.ts';
import { RemotePolicy, TinkerClient } from '../../src/remote/index.ts';
import { makeModelFolder, rlLoop, startTinker, withTinker } from './helpers.ts';

const adam: AdamParams = { learningRate: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.01, gradClipNorm: 1 };

test('every fault is retried and counted; no step is applied twice; results equal the clean local run', async () => {
  await withTinker({
    longPollMs: 500,
    faults: {
      create_session: ['http500'],
      create_model: ['http429', 'drop_after'],
      forward: ['http429', 'drop_after', 'none', 'http500', 'duplicate'],
      forward_backward: ['duplicate', 'drop', 'drop_after'],
      optim_step: ['drop_after', 'duplicate', 'http429'],
      save_weights_for_sampler: ['http500', 'drop_after'],
      asample: ['drop_after', 'none', 'duplicate', 'http429'],
      retrieve_future: ['try_again', 'http408', 'http410', 'none', 'http500', 'http429', 'http429', 'drop', 'try_again', 'http410', 'none', 'http410'],
    },
  }, async (fx, dir) => {
    const want = await rlLoop(LocalPolicy.fromFolder(dir), adam, 2);
    const remote = await RemotePolicy.create({ url: fx.url, baseModel: 'tiny', loraRank: 0, backoffBaseMs: 1 });
    const got = await rlLoop(remote, adam, 2);
    assert.deepEqual(got, want);
    assert.equal(fx.service.applied['optim_step'], 2);
    assert.equal(fx.service.applied['forward_backward'], 2);
    assert.equal(fx.service.applied['forward'], 4);
    assert.equal(fx.service.applied['create_model'], 1);
    const c = remote.counters;
    for (const key of ['remote/retry_429', 'remote/retry_5xx', 'remote/retry_connection', 'remote/try_again', 'remote/retry_408', 'remote/resubmit_410']) {
      assert.ok((c[key] ?? 0) > 0, `${key} counted (${JSON.stringify(c)})`);
    }
    const injected = Object.values(fx.service.faults.injected).reduce((a, b) => a + b, 0);
    assert.ok(injected >= 25, `faults injected: ${JSON.stringify(fx.service.faults.injected)}`);
    remote.close();
  });
});

test('server: seq_id order is strict, unknown fields are ignored, load_weights must come first', async () => {
  await withTinker({ longPollMs: 100 }, async (fx, dir) => {
    const c = new TinkerClient({ url: fx.url, backoffBaseMs: 1 });
    const s = await c.call('create_session', { tags: [], user_metadata: {}, sdk_version: '0.24.0', type: 'create_session', project_id: 'p' });
    const m = await c.op('create_model', { session_id: s['session_id'], model_seq_id: 0, base_model: 'tiny', lora_config: { rank: 2, train_mlp: true, train_attn: true, train_unembed: false }, type: 'create_model' });
    const model_id = m['model_id'];
    const datum = { model_input: { chunks: [{ type: 'encoded_text', tokens: [1, 2, 3] }] }, loss_fn_inputs: { target_tokens: { data: [2, 3, 4], dtype: 'int64' }, weights: { data: [0, 1, 1], dtype: 'float32' } } };
    // seq 2 arrives first: it must wait for seq 1.
    const id2 = await c.submit('optim_step', { model_id, seq_id: 2, adam_params: { learning_rate: 0.01 }, type: 'optim_step' });
    const early = await fetch(`${fx.url}/api/v1/retrieve_future`, { method: 'POST', body: JSON.stringify({ request_id: id2 }) });
    assert.equal(((await early.json()) as { type: string }).type, 'try_again');
    assert.equal(fx.service.applied['optim_step'], undefined);
    const id1 = await c.submit('forward_backward', { model_id, seq_id: 1, forward_backward_input: { data: [datum], loss_fn: 'cross_entropy', loss_fn_config: null }, unknown_field: 1 });
    const fb = await c.retrieve('forward_backward', id1, () => Promise.reject(new Error('no resubmit')));
    const os = await c.retrieve('optim_step', id2, () => Promise.reject(new Error('no resubmit')));
    const lp = (fb['loss_fn_outputs'] as { logprobs: { data: number[] } }[])[0]!.logprobs.data;
    assert.equal(lp.length, 3);
    assert.ok(Math.abs((fb['metrics'] as Record<string, number>)['loss:sum']! + lp[1]! + lp[2]!) < 1e-9, 'cross_entropy is a sum of −w·logp');
    assert.ok((os['metrics'] as Record<string, number>)['grad_norm:mean']! > 0);
    // A repeated seq_id is the same request (its future again, nothing runs twice).
    const again = await c.submit('optim_step', { model_id, seq_id: 2, adam_params: {} });
    assert.equal(again, id2);
    await assert.rejects(c.submit('load_weights', { model_id, seq_id: 3, path: 'tinker://x/weights/y', optimizer: true }), /first request/);
    await assert.rejects(c.op('forward_backward', { model_id, seq_id: 3, forward_backward_input: { data: [datum], loss_fn: 'dro' } }), /not supported/);
    const h = await fetch(`${fx.url}/api/v1/healthz`);
    assert.deepEqual(await h.json(), { status: 'ok' });
  });
});

test('a session without heartbeat expires and its model is unloaded; with heartbeat it stays', async () => {
  await withTinker({ sessionTimeoutMs: 1000, longPollMs: 100 }, async (fx, dir) => {
    const alive = await RemotePolicy.create({ url: fx.url, baseModel: 'tiny', loraRank: 2, heartbeatMs: 100, backoffBaseMs: 1 });
    const silent = await RemotePolicy.create({ url: fx.url, baseModel: 'tiny', loraRank: 2, heartbeatMs: 60_000, backoffBaseMs: 1 });
    await new Promise((r) => setTimeout(r, 2500));
    const d = { inputTokens_T: Int32Array.from([1, 2, 3]), targetTokens_T: Int32Array.from([2, 3, 4]), mask_T: Float32Array.from([0, 1, 1]) };
    const out = await alive.forward([d]);
    assert.equal(out.logprobs[0]!.length, 3);
    assert.equal(out.logprobs[0]![0], 0, 'masked position reported as 0');
    await assert.rejects(silent.forward([d]), /unknown or was unloaded/);
    assert.ok((alive.counters['remote/heartbeat'] ?? 0) > 0);
    alive.close();
    silent.close();
  });
});

test('resume after a server restart from the remote checkpoint equals the uninterrupted run', async () => {
  const dir = makeModelFolder();
  const stateDir = join(dirname(dir), 'state');
  const runDir = join(dirname(dir), 'run-ck');
  try {
    const want = await rlLoop(LocalPolicy.fromFolder(dir), adam, 3);
    let fx = await startTinker({ modelDir: dir, stateDir, longPollMs: 200 });
    const first = await RemotePolicy.create({ url: fx.url, baseModel: 'tiny', loraRank: 0, backoffBaseMs: 1 });
    const a = await rlLoop(first, adam, 2);
    await first.save(runDir);
    first.close();
    await fx.close();
    fx = await startTinker({ modelDir: dir, stateDir, longPollMs: 200 });
    try {
      const second = await RemotePolicy.create({ url: fx.url, baseModel: 'tiny', loraRank: 0, backoffBaseMs: 1 });
      await second.load(runDir);
      assert.equal(second.step, 2);
      const b = await rlLoop(second, adam, 1, 2);
      assert.deepEqual([...a.losses, ...b.losses], want.losses);
      assert.deepEqual([...a.tokens, ...b.tokens], want.tokens);
      second.close();
    } finally {
      await fx.close();
    }
  } finally {
    rmSync(dirname(dir), { recursive: true, force: true });
  }
});

test('batches are split under the request limits; each chunk gets its own seq_id and gradients accumulate', async () => {
  await withTinker({ longPollMs: 200 }, async (fx, dir) => {
    const want = await rlLoop(LocalPolicy.fromFolder(dir), adam, 2);
    const remote = await RemotePolicy.create({ url: fx.url, baseModel: 'tiny', loraRank: 0, backoffBaseMs: 1, maxDatumsPerRequest: 3, maxRequestBytes: 4000 });
    const got = await rlLoop(remote, adam, 2);
    // Step 1 starts from equal weights: per-datum forwards and the client-side loss are exact.
    assert.deepEqual(got.trainLogprobs[0], want.trainLogprobs[0]);
    assert.equal(got.losses[0], want.losses[0]);
    // Accumulating over chunks changes only the summation order of the gradient.
    assert.ok(Math.abs(got.gradNorms[0]! - want.gradNorms[0]!) <= 1e-5 * want.gradNorms[0]!, `${got.gradNorms[0]} vs ${want.gradNorms[0]}`);
    assert.ok(Math.abs(got.losses[1]! - want.losses[1]!) <= 1e-3 * Math.max(1, Math.abs(want.losses[1]!)));
    // 8 datums per step in chunks of ≤ 3 → ≥ 3 requests per forward pass and per backward.
    assert.ok(fx.service.applied['forward_backward']! >= 6, JSON.stringify(fx.service.applied));
    assert.ok(fx.service.applied['forward']! >= 12);
    remote.close();
  });
});

test('a long poll cut by the client\'s HTTP timeout is polled again, not counted as a failure', async () => {
  await withTinker({ longPollMs: 1000 }, async (fx, dir) => {
    const c = new TinkerClient({ url: fx.url, backoffBaseMs: 1 });
    const poller = new TinkerClient({ url: fx.url, backoffBaseMs: 1, httpTimeoutMs: 150, maxRetries: 1 });
    const s = await c.call('create_session', {});
    const m = await c.op('create_model', { session_id: s['session_id'], base_model: 'tiny', lora_config: { rank: 0 } });
    const id2 = await c.submit('optim_step', { model_id: m['model_id'], seq_id: 2, adam_params: {} });
    const result = poller.retrieve('optim_step', id2, () => Promise.reject(new Error('no resubmit')));
    await new Promise((r) => setTimeout(r, 700));
    const datum = { model_input: { chunks: [{ type: 'encoded_text', tokens: [1, 2] }] }, loss_fn_inputs: { target_tokens: { data: [2, 3], dtype: 'int64' } } };
    await c.submit('forward_backward', { model_id: m['model_id'], seq_id: 1, forward_backward_input: { data: [datum], loss_fn: 'cross_entropy' } });
    const r = await result;
    assert.equal((r['metrics'] as Record<string, number>)['step:max'], 1);
    assert.ok((poller.counters['remote/poll_timeout'] ?? 0) >= 1, JSON.stringify(poller.counters));
  });
});
