/**
 * Hostile requests against `longrl serve`: each gets a 4xx with an OpenAI error body and
 * the server keeps answering (checked with /health and a real completion afterwards).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { startServer, type RunningServer } from '../../src/serve/index.ts';
import { UserError } from '../../src/util/errors.ts';
import { tinyModel } from './helpers.ts';

const { root, modelDir } = tinyModel();
let srv: RunningServer;

before(async () => {
  srv = await startServer({ model: modelDir, name: 'tiny', maxBodyBytes: 4096, bodyTimeoutMs: 400, maxModelLen: 128, batchWindowMs: 1 });
});
after(async () => {
  await srv.close();
  rmSync(root, { recursive: true, force: true });
});

async function post(path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(srv.url + path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

function assertError(r: { status: number; json: Record<string, unknown> }, status: number, param?: string): void {
  assert.equal(r.status, status, JSON.stringify(r.json));
  const e = r.json['error'] as Record<string, unknown>;
  assert.equal(typeof e['message'], 'string');
  assert.equal(typeof e['type'], 'string');
  assert.ok('param' in e && 'code' in e);
  if (param !== undefined) assert.equal(e['param'], param);
}

test('malformed JSON and non-object bodies are 400', async () => {
  assertError(await post('/v1/completions', '{"prompt": "x",'), 400);
  assertError(await post('/v1/completions', '[1,2]'), 400);
  assertError(await post('/v1/chat/completions', ''), 400);
});

test('wrong types and absurd values name the field', async () => {
  assertError(await post('/v1/completions', JSON.stringify({ prompt: 'x', n: -1 })), 400, 'n');
  assertError(await post('/v1/completions', JSON.stringify({ prompt: 'x', n: 2.5 })), 400, 'n');
  assertError(await post('/v1/completions', JSON.stringify({ prompt: 'x', max_tokens: 1e12 })), 400, 'max_tokens');
  assertError(await post('/v1/completions', JSON.stringify({ prompt: 'x', temperature: 'hot' })), 400, 'temperature');
  assertError(await post('/v1/completions', JSON.stringify({ prompt: 'x', top_p: 0 })), 400, 'top_p');
  assertError(await post('/v1/completions', JSON.stringify({ prompt: 'x', stop: [1] })), 400, 'stop');
  assertError(await post('/v1/completions', JSON.stringify({ prompt: 'x', stream: 'yes' })), 400, 'stream');
  assertError(await post('/v1/completions', JSON.stringify({ prompt: 42 })), 400, 'prompt');
  assertError(await post('/v1/completions', JSON.stringify({ prompt: [5, 1e9] })), 400, 'prompt');
  assertError(await post('/v1/chat/completions', JSON.stringify({ messages: 'hello' })), 400, 'messages');
  assertError(await post('/v1/chat/completions', JSON.stringify({ messages: [{ role: 'wizard', content: 'x' }] })), 400, 'messages[0].role');
  assertError(await post('/v1/chat/completions', JSON.stringify({ messages: [{ role: 'user', content: 'x' }], top_logprobs: 3 })), 400, 'top_logprobs');
});

test('prompt too long for the context window, and unknown model', async () => {
  const long = await post('/v1/completions', JSON.stringify({ prompt: Array.from({ length: 120 }, () => 7), max_tokens: 16 }));
  assertError(long, 400);
  assert.equal((long.json['error'] as Record<string, unknown>)['code'], 'context_length_exceeded');
  const unknown = await post('/v1/completions', JSON.stringify({ model: 'gpt-9', prompt: 'x' }));
  assertError(unknown, 404, 'model');
});

test('oversized body is 413, unknown route 404, wrong method 405', async () => {
  assertError(await post('/v1/completions', JSON.stringify({ prompt: 'x'.repeat(10_000) })), 413);
  const r404 = await fetch(srv.url + '/v2/everything');
  assert.equal(r404.status, 404);
  assert.ok(((await r404.json()) as { error: unknown }).error);
  const r405 = await fetch(srv.url + '/v1/completions');
  assert.equal(r405.status, 405);
});

test('a body that never finishes arriving is cut off with 408', async () => {
  const port = Number(new URL(srv.url).port);
  const reply = await new Promise<string>((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () => {
      sock.write('POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"prompt": "ab');
    });
    let data = '';
    sock.on('data', (d) => { data += d.toString(); });
    sock.on('end', () => resolve(data));
    sock.on('close', () => resolve(data));
    sock.on('error', reject);
  });
  assert.match(reply, /^HTTP\/1\.1 408/);
  assert.match(reply, /"request_timeout"/);
});

test('after all that the server still answers', async () => {
  const h = await fetch(srv.url + '/health');
  assert.equal(h.status, 200);
  const ok = await post('/v1/completions', JSON.stringify({ prompt: 'the ball', max_tokens: 3, temperature: 0 }));
  assert.equal(ok.status, 200);
  assert.equal(((ok.json['choices'] as unknown[])).length, 1);
  assert.ok(srv.stats().httpErrors >= 15);
});

test('API key: required when set, and a non-loopback host without one is refused', async () => {
  const keyed = await startServer({ model: modelDir, apiKey: 'sekret' });
  try {
    const no = await fetch(keyed.url + '/v1/models');
    assert.equal(no.status, 401);
    const yes = await fetch(keyed.url + '/v1/models', { headers: { authorization: 'Bearer sekret' } });
    assert.equal(yes.status, 200);
    assert.equal((await fetch(keyed.url + '/health')).status, 200);
  } finally {
    await keyed.close();
  }
  await assert.rejects(startServer({ model: modelDir, host: '0.0.0.0' }), UserError);
});

test('a full queue answers 429 (the client backs off) and the queued request still completes', async () => {
  const s = await startServer({ model: modelDir, maxQueue: 1, batchWindowMs: 300 });
  try {
    const body = JSON.stringify({ prompt: 'the', max_tokens: 2, temperature: 0 });
    const rs = await Promise.all([0, 1, 2].map(() => fetch(s.url + '/v1/completions', { method: 'POST', body })));
    const codes = rs.map((r) => r.status).sort();
    assert.deepEqual(codes, [200, 429, 429]);
    const busy = (await rs.find((r) => r.status === 429)!.json()) as { error: { code: string; type: string } };
    assert.equal(busy.error.code, 'queue_full');
    assert.equal(busy.error.type, 'rate_limit_error');
  } finally {
    await s.close();
  }
});
