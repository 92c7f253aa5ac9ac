/**
 * Fake vLLM and SGLang servers on 127.0.0.1 (real HTTP) for the rollout tests: they check
 * request shapes (token-id prompts, n, logprobs, return_token_ids; SGLang batches with
 * return_logprob), keep the adapters / weight version the weight sync loads, log what they
 * did (`complete <model>`, `load <name>`, `unload <name>`, `generate v<k>`, `update v<k>`),
 * and can fail the next requests with a 500.
 *
 * Two ways to answer a sampling request:
 * - `modelDir` given: sample for real with a LocalPolicy over that folder, with the LoRA
 *   adapter / full weights the sync wrote loaded from disk (one prompt per request, seeded
 *   by the request's seed), so a training run through the fake learns as it would locally;
 * - otherwise a fixed formula of (prompt, sample index, position, version): the client
 *   tests can predict every token.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { LocalPolicy } from '../../src/policy/local.ts';
import type { SampleParams, SampledSequence } from '../../src/policy/types.ts';

type Json = Record<string, any>;

export interface FakeEngineOptions {
  kind: 'vllm' | 'sglang';
  /** Sample with a real LocalPolicy over this HF folder (see the module doc). */
  modelDir?: string;
  /** The served base model's name (vLLM `--served-model-name`), default `base`. */
  baseName?: string;
  /** Bearer token every route but /health requires (vLLM --api-key). */
  apiKey?: string;
  /** Kernel threads of the sampling policy (default 1, as the tiny recipes train). */
  threads?: number;
}

export interface FakeEngine {
  url: string;
  log: string[];
  /** Every request but /health: route and JSON body. */
  requests: { path: string; body: Json }[];
  /** Fail this many of the next requests (any route but /health, or only `failPath`) with a 500. */
  failNext: number;
  failPath?: string;
  close(): Promise<void>;
}

const toParams = (o: { n: number; temperature: number; top_p: number; top_k: number; max_tokens: number; stop_token_ids?: number[]; seed: number }): SampleParams => ({
  n: o.n, temperature: o.temperature, topP: o.top_p, topK: o.top_k, maxTokens: o.max_tokens, seed: o.seed,
  ...(o.stop_token_ids ? { stopTokenIds: o.stop_token_ids } : {}),
});

export async function startFakeEngine(opts: FakeEngineOptions): Promise<FakeEngine> {
  const { kind } = opts;
  const baseName = opts.baseName ?? 'base';
  const threads = opts.threads ?? 1;
  const adapters = new Map<string, LocalPolicy | null>();
  let base: LocalPolicy | null = opts.modelDir ? LocalPolicy.fromFolder(opts.modelDir, { threads }) : null;
  let version = '0';
  const fake: FakeEngine = { url: '', log: [], requests: [], failNext: 0, close: async () => {} };
  const reply = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const withAdapter = (dir: string): LocalPolicy | null => (base && opts.modelDir ? new LocalPolicy(base.weights, { threads, adapterDir: dir, sourceDir: opts.modelDir }) : null);
  const formula = (prompt: number[], n: number, maxTokens: number, logprob: number): SampledSequence[] => Array.from({ length: n }, (_, j) => {
    const tokens = Array.from({ length: maxTokens }, (_, t) => (prompt.reduce((a, x) => a + x, 0) + 3 * j + t + Number(version)) % 50);
    return { tokens, logprobs: tokens.map(() => logprob), finishReason: 'length' as const };
  });

  const handle = async (req: IncomingMessage, res: ServerResponse, b: Json) => {
    const path = req.url ?? '';
    if (path === '/health') return reply(res, 200, {});
    fake.requests.push({ path, body: b });
    if (opts.apiKey !== undefined && req.headers['authorization'] !== `Bearer ${opts.apiKey}`) return reply(res, 401, { error: 'bad api key' });
    if (fake.failNext > 0 && (fake.failPath === undefined || fake.failPath === path)) {
      fake.failNext--;
      return reply(res, 500, { error: 'injected' });
    }
    if (kind === 'vllm' && path === '/v1/completions') {
      assert.ok(Array.isArray(b.prompt) && b.prompt.every(Number.isInteger), 'prompt is token ids');
      assert.equal(b.return_token_ids, true);
      assert.equal(typeof b.logprobs, 'number');
      assert.ok(Number.isInteger(b.n) && b.n > 0);
      assert.equal(typeof b.seed, 'number');
      if (b.model !== baseName && !adapters.has(b.model)) return reply(res, 404, { error: `model ${b.model} not found` });
      fake.log.push(`complete ${b.model}`);
      const policy = b.model === baseName ? base : adapters.get(b.model) ?? null;
      const seqs = policy ? (await policy.sample([b.prompt], toParams(b as never)))[0]! : formula(b.prompt, b.n, b.max_tokens, -0.5);
      const choices = seqs.map((s, j) => ({ index: j, text: '', token_ids: s.tokens, logprobs: { token_logprobs: s.logprobs, tokens: [] }, finish_reason: s.finishReason }));
      return reply(res, 200, { id: 'x', object: 'text_completion', choices: choices.reverse() });
    }
    if (path === '/v1/load_lora_adapter' || path === '/load_lora_adapter') {
      assert.ok(existsSync(join(b.lora_path, 'adapter_config.json')) && existsSync(join(b.lora_path, 'adapter_model.safetensors')), 'PEFT adapter on disk');
      if (adapters.has(b.lora_name)) return reply(res, 400, { error: 'already loaded' });
      adapters.set(b.lora_name, withAdapter(b.lora_path));
      fake.log.push(`load ${b.lora_name}`);
      return reply(res, 200, {});
    }
    if (path === '/v1/unload_lora_adapter' || path === '/unload_lora_adapter') {
      if (!adapters.delete(b.lora_name)) return reply(res, 404, { error: 'not loaded' });
      fake.log.push(`unload ${b.lora_name}`);
      return reply(res, 200, {});
    }
    if (kind === 'sglang' && path === '/generate') {
      assert.ok(Array.isArray(b.input_ids) && b.input_ids.every((p: unknown) => Array.isArray(p)), 'batched input_ids');
      assert.equal(b.return_logprob, true);
      assert.equal(b.logprob_start_len, -1);
      const sp = b.sampling_params;
      assert.equal(typeof sp.max_new_tokens, 'number');
      fake.log.push(`generate v${version}`);
      const lora = Array.isArray(b.lora_path) ? b.lora_path[0] : null;
      if (lora && !adapters.has(lora)) return reply(res, 404, { error: `adapter ${lora} not loaded` });
      const policy = lora ? adapters.get(lora) ?? null : base;
      // The client repeats one prompt G times: sample them as one group, as vLLM's n does.
      const first = b.input_ids[0] as number[];
      assert.ok(b.input_ids.every((p: number[]) => JSON.stringify(p) === JSON.stringify(first)), 'one prompt repeated');
      const seqs = policy
        ? (await policy.sample([first], toParams({ n: b.input_ids.length, temperature: sp.temperature, top_p: sp.top_p, top_k: sp.top_k, max_tokens: sp.max_new_tokens, stop_token_ids: sp.stop_token_ids, seed: sp.sampling_seed })))[0]!
        : formula(first, b.input_ids.length, sp.max_new_tokens, -0.25).map((s) => ({ ...s, finishReason: 'stop' as const }));
      return reply(res, 200, seqs.map((s) => ({
        text: '',
        meta_info: { output_token_logprobs: s.tokens.map((t, i) => [s.logprobs[i], t, null]), finish_reason: { type: s.finishReason } },
      })));
    }
    if (kind === 'sglang' && path === '/update_weights_from_disk') {
      assert.ok(existsSync(join(b.model_path, 'config.json')) && existsSync(join(b.model_path, 'model.safetensors')), 'HF folder on disk');
      version = b.weight_version;
      if (opts.modelDir) base = LocalPolicy.fromFolder(b.model_path, { threads });
      fake.log.push(`update v${version}`);
      return reply(res, 200, { success: true, message: 'ok', num_paused_requests: 0 });
    }
    reply(res, 404, { error: `no route ${path}` });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const b: Json = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : {};
      handle(req, res, b).catch((err: Error) => reply(res, 599, { error: `fake server: ${err.message}` }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  fake.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return fake;
}
