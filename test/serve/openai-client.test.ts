/**
 * The official `openai` npm client against `longrl serve` (a real server on 127.0.0.1),
 * checked against the engine called directly: greedy text, streaming, n > 1, seeds,
 * logprobs, stop strings, token ids, and batching of concurrent requests.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import OpenAI from 'openai';
import { startServer, type RunningServer } from '../../src/serve/index.ts';
import { LocalPolicy } from '../../src/policy/local.ts';
import { loadTokenizer } from '../../src/tokenizer/index.ts';
import { tinyModel } from './helpers.ts';

const { root, modelDir } = tinyModel();
let srv: RunningServer;
let client: OpenAI;
const policy = LocalPolicy.fromFolder(modelDir);
const tok = loadTokenizer(modelDir);

before(async () => {
  srv = await startServer({ model: modelDir, name: 'tiny', batchWindowMs: 60 });
  client = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(async () => {
  await srv.close();
  rmSync(root, { recursive: true, force: true });
});

/** Greedy reference straight from the engine (no server). */
async function greedy(ids: number[], maxTokens: number): Promise<number[]> {
  const r = await policy.sample([ids], { n: 1, temperature: 0, topP: 1, topK: 0, maxTokens, seed: 0, stopTokenIds: srv.model.eosTokenIds });
  return r[0]![0]!.tokens;
}

test('models.list names the served model', async () => {
  const list = await client.models.list();
  assert.deepEqual(list.data.map((m) => m.id), ['tiny']);
  const one = await client.models.retrieve('tiny');
  assert.equal(one.id, 'tiny');
});

test('chat completion at temperature 0 equals the engine on the chat-templated prompt', async () => {
  const messages = [{ role: 'user' as const, content: 'Where is the red ball?' }];
  const r = await client.chat.completions.create({ model: 'tiny', messages, temperature: 0, max_tokens: 12 });
  const ids = tok.encode(tok.applyChatTemplate(messages, { addGenerationPrompt: true }));
  const want = await greedy(ids, 12);
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0]!.message.role, 'assistant');
  assert.equal(r.choices[0]!.message.content, tok.decode(want, { skipSpecialTokens: true }));
  assert.equal(r.usage!.prompt_tokens, ids.length);
  assert.equal(r.usage!.completion_tokens, want.length);
  assert.equal(r.object, 'chat.completion');
});

test('streaming chat: deltas join to the non-streamed text, then [DONE]', async () => {
  const messages = [{ role: 'user' as const, content: 'Who has the key?' }];
  const whole = await client.chat.completions.create({ model: 'tiny', messages, temperature: 0, max_tokens: 10 });
  const stream = await client.chat.completions.create({ model: 'tiny', messages, temperature: 0, max_tokens: 10, stream: true, stream_options: { include_usage: true } });
  let text = '';
  let finish: string | null = null;
  let usage = 0;
  for await (const chunk of stream) {
    for (const c of chunk.choices) {
      text += c.delta.content ?? '';
      if (c.finish_reason) finish = c.finish_reason;
    }
    if (chunk.usage) usage = chunk.usage.completion_tokens;
  }
  assert.equal(text, whole.choices[0]!.message.content);
  assert.equal(finish, whole.choices[0]!.finish_reason);
  assert.equal(usage, whole.usage!.completion_tokens);
});

test('completions with n > 1 and a seed: n choices, reproducible, token ids returned', async () => {
  const req = { model: 'tiny', prompt: 'The box is in the', max_tokens: 6, n: 3, temperature: 1, top_p: 0.95, seed: 11, return_token_ids: true } as const;
  const a = await client.completions.create(req as unknown as OpenAI.CompletionCreateParamsNonStreaming);
  const b = await client.completions.create(req as unknown as OpenAI.CompletionCreateParamsNonStreaming);
  assert.deepEqual(a.choices.map((c) => c.index), [0, 1, 2]);
  assert.deepEqual(a.choices.map((c) => c.text), b.choices.map((c) => c.text));
  // Same as the engine with that seed.
  const ids = tok.encode('The box is in the');
  const ref = await policy.sample([ids], { n: 3, temperature: 1, topP: 0.95, topK: 0, maxTokens: 6, seed: 11, stopTokenIds: srv.model.eosTokenIds });
  const got = a.choices.map((c) => (c as unknown as { token_ids: number[] }).token_ids);
  assert.deepEqual(got, ref[0]!.map((s) => s.tokens));
  assert.ok(new Set(got.map((g) => g.join(','))).size > 1, 'three samples at T=1 should not all agree');
});

test('logprobs: the chosen token is the top alternative under greedy decoding, values from the engine', async () => {
  const r = await client.completions.create({ model: 'tiny', prompt: 'Mary went to the', max_tokens: 5, temperature: 0, logprobs: 3 });
  const lp = r.choices[0]!.logprobs!;
  const ids = tok.encode('Mary went to the');
  const ref = await policy.sample([ids], { n: 1, temperature: 0, topP: 1, topK: 0, maxTokens: 5, seed: 0, stopTokenIds: srv.model.eosTokenIds });
  assert.equal(lp.token_logprobs!.length, ref[0]![0]!.tokens.length);
  lp.token_logprobs!.forEach((x, t) => {
    assert.ok(Math.abs(x - ref[0]![0]!.logprobs[t]!) < 1e-9);
    const top = Object.entries(lp.top_logprobs![t]!);
    assert.equal(top.length, 3);
    assert.equal(top[0]![0], lp.tokens![t]);
    assert.ok(Math.abs(top[0]![1] - x) < 1e-4, `top-1 ${top[0]![1]} vs chosen ${x}`);
    assert.ok(top[0]![1] >= top[1]![1] && top[1]![1] >= top[2]![1]);
  });
  const chat = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3, temperature: 0, logprobs: true, top_logprobs: 2 });
  const content = chat.choices[0]!.logprobs!.content!;
  assert.equal(content.length, chat.usage!.completion_tokens);
  for (const c of content) assert.equal(c.top_logprobs.length, 2);
});

test('stop strings cut the text and report finish_reason stop', async () => {
  const full = await client.completions.create({ model: 'tiny', prompt: 'John took the', max_tokens: 12, temperature: 0 });
  const text = full.choices[0]!.text;
  assert.ok(text.length >= 4);
  const stop = text.slice(2, 4);
  const cut = await client.completions.create({ model: 'tiny', prompt: 'John took the', max_tokens: 12, temperature: 0, stop: [stop] });
  assert.equal(cut.choices[0]!.text, text.slice(0, text.indexOf(stop)));
  assert.equal(cut.choices[0]!.finish_reason, 'stop');
});

test('token-id prompts and several prompts per request', async () => {
  const p1 = tok.encode('the garden');
  const p2 = tok.encode('the kitchen is');
  const r = await client.completions.create({ model: 'tiny', prompt: [p1, p2], max_tokens: 4, temperature: 0, n: 2 });
  assert.equal(r.choices.length, 4);
  const w1 = tok.decode(await greedy(p1, 4), { skipSpecialTokens: true });
  const w2 = tok.decode(await greedy(p2, 4), { skipSpecialTokens: true });
  assert.deepEqual(r.choices.map((c) => c.text), [w1, w1, w2, w2]);
});

test('concurrent requests are batched into one engine call and each gets its own answer', async () => {
  const prompts = ['Sandra went back to the', 'Daniel picked up the', 'The apple is in the', 'Where is the milk?', 'Bill moved to'];
  const sequential: string[] = [];
  for (const p of prompts) sequential.push(tok.decode(await greedy(tok.encode(p), 8), { skipSpecialTokens: true }));
  const before = srv.stats();
  const rs = await Promise.all(prompts.map((p) => client.completions.create({ model: 'tiny', prompt: p, max_tokens: 8, temperature: 0 })));
  const after = srv.stats();
  assert.deepEqual(rs.map((r) => r.choices[0]!.text), sequential);
  assert.equal(after.requests - before.requests, prompts.length);
  assert.ok(after.sampleCalls - before.sampleCalls < prompts.length, `expected batching: ${after.sampleCalls - before.sampleCalls} calls for ${prompts.length} requests`);
  assert.ok(after.maxRequestsPerCall >= 2);
});

test('the client sees OpenAI errors as typed exceptions', async () => {
  await assert.rejects(client.completions.create({ model: 'nope', prompt: 'x', max_tokens: 2 }), (e: unknown) => e instanceof OpenAI.NotFoundError);
  await assert.rejects(client.completions.create({ model: 'tiny', prompt: 'x', max_tokens: 10 ** 9 }), (e: unknown) => e instanceof OpenAI.BadRequestError);
});

test('streamed completions equal unstreamed ones: seeded samples, n > 1, stop strings, logprobs, token ids', async () => {
  const base = { model: 'tiny', prompt: ['Mary moved to the', 'The milk is in'], max_tokens: 14, n: 2, temperature: 1, seed: 5, logprobs: 2, return_token_ids: true };
  const whole = await client.completions.create(base as unknown as OpenAI.CompletionCreateParamsNonStreaming);
  // A stop string taken from the middle of one sample's text.
  const t0 = whole.choices[0]!.text;
  const stop = t0.length > 6 ? t0.slice(4, 6) : 'zz';
  const withStop = { ...base, stop: [stop] };
  const want = await client.completions.create(withStop as unknown as OpenAI.CompletionCreateParamsNonStreaming);
  const stream = await client.completions.create({ ...withStop, stream: true } as unknown as OpenAI.CompletionCreateParamsStreaming);
  const text = new Map<number, string>();
  const finish = new Map<number, string>();
  const ids = new Map<number, number[]>();
  const lps = new Map<number, number[]>();
  for await (const chunk of stream) {
    for (const c of chunk.choices) {
      text.set(c.index, (text.get(c.index) ?? '') + c.text);
      if (c.finish_reason) finish.set(c.index, c.finish_reason);
      const extra = c as unknown as { token_ids?: number[] };
      ids.set(c.index, [...(ids.get(c.index) ?? []), ...(extra.token_ids ?? [])]);
      lps.set(c.index, [...(lps.get(c.index) ?? []), ...(c.logprobs?.token_logprobs ?? [])]);
    }
  }
  assert.equal(want.choices.length, 4);
  for (const c of want.choices) {
    assert.equal(text.get(c.index), c.text, `choice ${c.index} text`);
    assert.equal(finish.get(c.index), c.finish_reason);
    assert.deepEqual(ids.get(c.index), (c as unknown as { token_ids: number[] }).token_ids);
    assert.deepEqual(lps.get(c.index), c.logprobs!.token_logprobs);
  }
  assert.ok(want.choices.some((c) => c.finish_reason === 'stop'), 'the stop string should end at least one sample');
});

test('a long stream leaves the server free: /stats answers while tokens still flow', async () => {
  const before = srv.stats().completionTokens;
  const r = await fetch(`${srv.url}/v1/chat/completions`, {
    method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content: 'go' }], max_tokens: 300, temperature: 1, seed: 1, stream: true }),
  });
  const reader = r.body!.getReader();
  const first = await reader.read();
  assert.ok(!first.done);
  // The stream's tokens are counted when it ends: a blocked server would answer only after.
  const h = (await (await fetch(`${srv.url}/stats`)).json()) as { completionTokens: number };
  assert.equal(h.completionTokens, before, 'the stream had already ended when /stats answered');
  let rest = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    rest += new TextDecoder().decode(value);
  }
  assert.ok(rest.trimEnd().endsWith('data: [DONE]'));
  assert.ok(srv.stats().completionTokens > before);
});

test('seeded sampling requests batch together and each gets the samples of its seed alone', async () => {
  const prompts = ['Sandra went to the', 'The ball is in', 'Fred took the', 'Where is Mary?'];
  const beforeCalls = srv.stats().sampleCalls;
  const rs = await Promise.all(prompts.map((p, i) => client.completions.create({
    model: 'tiny', prompt: p, max_tokens: 8, temperature: 1, top_p: 0.9, n: 2, seed: 100 + i, return_token_ids: true,
  } as unknown as OpenAI.CompletionCreateParamsNonStreaming)));
  assert.ok(srv.stats().sampleCalls - beforeCalls < prompts.length, 'expected the four requests to share calls');
  for (let i = 0; i < prompts.length; i++) {
    const alone = await policy.sample([tok.encode(prompts[i]!)], { n: 2, temperature: 1, topP: 0.9, topK: 0, maxTokens: 8, seed: 100 + i, stopTokenIds: srv.model.eosTokenIds });
    assert.deepEqual(rs[i]!.choices.map((c) => (c as unknown as { token_ids: number[] }).token_ids), alone[0]!.map((s) => s.tokens), `request ${i}`);
  }
});
