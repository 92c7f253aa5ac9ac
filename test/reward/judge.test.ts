import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createJudge, parseVerdict, chatCompletionsUrl, parseRetryAfter, questionFromPrompt, type JudgeOptions } from '../../src/reward/index.ts';
import { startJudgeServer, type JudgeServer } from './judge-server.ts';

let server: JudgeServer;
let dir: string;
before(async () => {
  server = await startJudgeServer();
  await fetch(`${server.url}/models`).then((r) => r.text()).catch(() => ''); // load undici before timing-sensitive tests
  dir = mkdtempSync(join(tmpdir(), 'longrl-judge-'));
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Small delays so faults stay fast: 5 ms backoff, Retry-After capped at 20 ms. The
 * default timeout is generous (a loaded 2-core CI machine); the timeout tests set 300 ms
 * against a server that never answers in time.
 */
function fast(extra: Partial<JudgeOptions> = {}): JudgeOptions {
  return { url: server.url, model: 'judge-test', timeoutMs: 20_000, maxRetries: 3, backoffBaseMs: 5, backoffMaxMs: 20, maxRetryAfterMs: 20, ...extra };
}

const SYSTEM =
  'You are an expert in verifying if two answers are the same.\n' +
  'Your input is a problem and two answers, Answer 1 and Answer 2. You need to check if they are equivalent.\n' +
  'Your task is to determine if two answers are equivalent, without attempting to solve the original problem.\n' +
  'Compare the answers to verify they represent identical values or meaning, even when written in different forms or notations.\n\n' +
  'Your output must follow the following format:\n' +
  '1) Provide an explanation for why the answers are equivalent or not.\n' +
  '2) Then provide your final answer in the form of: [[YES]] or [[NO]]\n';

test('verdict parsing: reference substring YES (explanations count), strict [[YES]] beside it', () => {
  assert.deepEqual(parseVerdict('Equivalent. [[YES]]'), { yes: true, strictYes: true, hasVerdict: true });
  assert.deepEqual(parseVerdict('YES they share a word, but no. [[NO]]'), { yes: true, strictYes: false, hasVerdict: true });
  assert.deepEqual(parseVerdict('[[NO]] ... on reflection [[YES]]'), { yes: true, strictYes: true, hasVerdict: true });
  assert.deepEqual(parseVerdict('yes'), { yes: false, strictYes: false, hasVerdict: false });
  assert.deepEqual(parseVerdict(''), { yes: false, strictYes: false, hasVerdict: false });
});

test('helpers: endpoint URL, Retry-After, question slice of a QwenLong prompt', () => {
  assert.equal(chatCompletionsUrl('http://h:1'), 'http://h:1/v1/chat/completions');
  assert.equal(chatCompletionsUrl('http://h:1/v1/'), 'http://h:1/v1/chat/completions');
  assert.equal(chatCompletionsUrl('http://h:1/v1/chat/completions'), 'http://h:1/v1/chat/completions');
  assert.throws(() => chatCompletionsUrl('not a url'), /not a valid URL/);
  assert.equal(parseRetryAfter('3'), 3000);
  assert.equal(parseRetryAfter(null), null);
  assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4_000), 6000);
  const prompt = 'Please read the following text and answer the question below.\n\n<text>\nDOC\n</text>\n\n Who wrote it? \n\nFormat your response as follows: "Therefore, the answer is (insert answer here)".';
  assert.equal(questionFromPrompt(prompt), 'Who wrote it?');
  assert.equal(questionFromPrompt('no markers'), null);
});

test('sends the judge prompt verbatim at temperature 0', async () => {
  const j = createJudge(fast({ seed: 42, maxTokens: 256 }));
  const v = await j.judge({ problem: 'Who?', prediction: 'Jane Ballou', gold: 'jane ballou' });
  assert.equal(v.score, 1);
  const body = server.bodies.at(-1) as { model: string; temperature: number; n: number; seed: number; max_tokens: number; messages: { role: string; content: string }[] };
  assert.equal(body.model, 'judge-test');
  assert.equal(body.temperature, 0);
  assert.equal(body.n, 1);
  assert.equal(body.seed, 42);
  assert.equal(body.max_tokens, 256);
  assert.deepEqual(body.messages, [
    { role: 'system', content: SYSTEM },
    { role: 'user', content: '\nProblem: Who?\nAnswer 1: Jane Ballou\nAnswer 2: jane ballou\n' },
  ]);
  j.close();
});

test('every transient fault is retried, recovered and counted', async () => {
  const j = createJudge(fast({ timeoutMs: 20_000 }));
  const modes: [string, string][] = [
    ['429', 'judge/http_429'],
    ['429ra', 'judge/http_429'],
    ['500', 'judge/http_5xx'],
    ['drop', 'judge/connection_errors'],
    ['malformed', 'judge/malformed'],
    ['nochoices', 'judge/malformed'],
  ];
  const verdicts = await j.judgeMany(modes.map(([m]) => ({ problem: `fault=${m};n=1`, prediction: 'A', gold: 'a' })));
  for (const [k, v] of verdicts.entries()) {
    assert.equal(v.score, 1, modes[k]?.[0]);
    assert.equal(v.attempts, 2, modes[k]?.[0]);
    assert.equal(v.error, null);
  }
  const c = j.counters();
  assert.equal(c['judge/http_429'], 2);
  assert.equal(c['judge/retry_after'], 1);
  assert.equal(c['judge/http_5xx'], 1);
  assert.equal(c['judge/connection_errors'], 1);
  assert.equal(c['judge/malformed'], 2);
  assert.equal(c['judge/timeouts'], 0);
  assert.equal(c['judge/retries'], 6);
  assert.equal(c['judge/requests'], 12);
  assert.equal(c['judge/errors'], 0);
  assert.equal(c['reward/judge_calls'], 6);
  j.close();
  // A reply slower than the timeout: aborted, counted, retried. (The retry's own reply is
  // fast, but a starved CI machine may time it out too, so the counts are bounds.)
  const t = createJudge(fast({ timeoutMs: 300 }));
  const slow = await t.judge({ problem: 'fault=slow;n=1', prediction: 'A', gold: 'a' });
  assert.equal(slow.score, 1);
  assert.ok(slow.attempts >= 2);
  assert.ok((t.counters()['judge/timeouts'] ?? 0) >= 1);
  assert.equal(t.counters()['judge/timeouts'], slow.attempts - 1);
});

test('persistent faults end in a counted error verdict, never a throw or a hang', async () => {
  const j = createJudge(fast({ maxRetries: 2, timeoutMs: 20_000 }));
  const modes = ['429', '500', 'drop', 'malformed', '400'];
  const verdicts = await j.judgeMany(modes.map((m) => ({ problem: `fault=${m};n=99`, prediction: 'x', gold: 'x' })));
  for (const [k, v] of verdicts.entries()) {
    assert.equal(v.score, null, modes[k]);
    assert.ok(v.error, modes[k]);
  }
  assert.deepEqual(verdicts.map((v) => v.attempts), [3, 3, 3, 3, 1]); // 4xx is not retried
  const c = j.counters();
  assert.equal(c['judge/errors'], 5);
  assert.equal(c['judge/http_4xx'], 1);
  assert.equal(c['judge/http_429'], 3);
  assert.equal(c['judge/retries'], 8);
  j.close();
  // a server that never answers: every try times out
  const t = createJudge(fast({ maxRetries: 2, timeoutMs: 300 }));
  const v = await t.judge({ problem: 'fault=slow;n=99', prediction: 'x', gold: 'x' });
  assert.deepEqual([v.score, v.attempts], [null, 3]);
  assert.match(v.error ?? '', /within 300 ms.*gave up after 3 tries/);
  assert.equal(t.counters()['judge/timeouts'], 3);
  assert.equal(t.counters()['judge/errors'], 1);
});

test('reference compat retries 429 only', async () => {
  const j = createJudge(fast({ compat: 'reference', maxRetries: undefined, backoffBaseMs: 1, backoffMaxMs: 4 }));
  const [a, b, c] = await j.judgeMany([
    { problem: 'fault=429;n=2', prediction: 'y', gold: 'y' },
    { problem: 'fault=500;n=1', prediction: 'y', gold: 'y' },
    { problem: 'fault=429;n=9', prediction: 'y', gold: 'y' },
  ]);
  assert.deepEqual([a?.score, a?.attempts], [1, 3]);
  assert.deepEqual([b?.score, b?.attempts], [null, 1]);
  assert.deepEqual([c?.score, c?.attempts], [null, 5]); // 5 tries in all
});

test('replies without a verdict score 0; "YES" in an explanation counts unless strict', async () => {
  const ref = createJudge(fast());
  const strict = createJudge(fast({ strict: true }));
  const nov = await ref.judge({ problem: 'fault=noverdict;n=0', prediction: 'a', gold: 'b' });
  assert.deepEqual([nov.score, nov.hasVerdict, nov.error], [0, false, null]);
  assert.equal(ref.counters()['judge/no_verdict'], 1);
  const yw = { problem: 'fault=yesword;n=0', prediction: '1999', gold: '2001' };
  assert.equal((await ref.judge(yw)).score, 1);
  assert.equal((await strict.judge(yw)).score, 0);
  assert.equal(ref.counters()['judge/verdict_disagree'], 1);
});

test('the cache persists across restarts, survives a torn line, and shares in-flight calls', async () => {
  const cachePath = join(dir, 'run', 'judge-cache.jsonl');
  const reqs = [
    { problem: 'q1', prediction: 'Paris', gold: 'paris' },
    { problem: 'q2', prediction: 'Lyon', gold: 'Paris' },
    { problem: 'q1', prediction: 'Paris', gold: 'paris' }, // duplicate in the same batch
  ];
  const before = server.requests();
  const j1 = createJudge(fast({ cachePath }));
  const first = await j1.judgeMany(reqs);
  assert.deepEqual(first.map((v) => v.score), [1, 0, 1]);
  assert.equal(server.requests() - before, 2);
  assert.equal(j1.counters()['judge/cache_hits'], 1);
  // no close(): as if the process were killed; then a torn half line is appended
  appendFileSync(cachePath, '{"key":"abc","mod');
  const j2 = createJudge(fast({ cachePath }));
  assert.equal(j2.counters()['judge/cache_loaded'], 2);
  assert.equal(j2.counters()['judge/cache_torn_lines'], 1);
  const again = await j2.judgeMany(reqs);
  assert.deepEqual(again.map((v) => [v.score, v.cached]), [[1, true], [0, true], [1, true]]);
  assert.equal(server.requests() - before, 2);
  assert.equal(j2.counters()['judge/cache_hits'], 3);
  // another judge model is another cache key
  const j3 = createJudge(fast({ cachePath, model: 'other-judge' }));
  await j3.judge(reqs[0] as (typeof reqs)[0]);
  assert.equal(server.requests() - before, 3);
  j3.close();
  j2.close();
  const lines = readFileSync(cachePath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { model: string });
  assert.deepEqual(lines.map((l) => l.model), ['judge-test', 'judge-test', 'other-judge']);
});

test('concurrency limit holds', async () => {
  const slowServer = await startJudgeServer({ delayMs: 20 });
  try {
    const j = createJudge({ url: slowServer.url, model: 'm', concurrency: 3, timeoutMs: 5000 });
    const verdicts = await j.judgeMany(Array.from({ length: 12 }, (_, i) => ({ problem: `c${i}`, prediction: 'a', gold: i % 2 ? 'a' : 'b' })));
    assert.deepEqual(verdicts.map((v) => v.score), Array.from({ length: 12 }, (_, i) => (i % 2 ? 1 : 0)));
    assert.equal(slowServer.requests(), 12);
    assert.ok(slowServer.maxConcurrent() <= 3, `max concurrent ${slowServer.maxConcurrent()}`);
  } finally {
    await slowServer.close();
  }
});

test('a refused connection (nothing listening) is a counted error', async () => {
  const dead = await startJudgeServer();
  const url = dead.url;
  await dead.close();
  const j = createJudge({ url, model: 'm', maxRetries: 1, backoffBaseMs: 1, timeoutMs: 500 });
  const v = await j.judge({ problem: 'p', prediction: 'a', gold: 'a' });
  assert.equal(v.score, null);
  assert.match(v.error ?? '', /connection failed: ECONNREFUSED/);
  assert.equal(j.counters()['judge/connection_errors'], 2);
});

test('kill -9 mid-run: every complete cache line is reused after restart', async () => {
  const cachePath = join(dir, 'killed', 'judge-cache.jsonl');
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/judge-child.ts', import.meta.url)), server.url, cachePath], { stdio: 'ignore' });
  // wait until the child has cached a few dozen verdicts, then kill it without warning
  for (let waited = 0; ; waited += 50) {
    await new Promise((r) => setTimeout(r, 50));
    const n = existsSync(cachePath) ? readFileSync(cachePath, 'utf8').split('\n').length - 1 : 0;
    if (n >= 30) break;
    assert.ok(waited < 30_000, 'the child never wrote its cache');
  }
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGKILL');
  await exited;
  const complete = readFileSync(cachePath, 'utf8').split('\n').filter((l) => l.endsWith('}')).length;
  const j = createJudge(fast({ cachePath, model: 'kill-test' }));
  assert.equal(j.counters()['judge/cache_loaded'], complete);
  assert.ok((j.counters()['judge/cache_torn_lines'] ?? 0) <= 1);
  const before = server.requests();
  const again = await j.judgeMany(Array.from({ length: complete }, (_, i) => ({ problem: `item ${i}`, prediction: 'a', gold: i % 3 === 0 ? 'a' : 'b' })));
  // the child ran 4 in flight, so the first `complete` items are not exactly the cached ones;
  // every cached one is a hit, the few others are asked again, and every verdict is right
  assert.equal((j.counters()['judge/cache_hits'] ?? 0) + (server.requests() - before), complete);
  assert.ok((j.counters()['judge/cache_hits'] ?? 0) >= complete - 4);
  assert.deepEqual(again.map((v) => v.score), Array.from({ length: complete }, (_, i) => (i % 3 === 0 ? 1 : 0)));
  j.close();
});
