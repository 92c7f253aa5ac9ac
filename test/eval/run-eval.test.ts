/**
 * `runEval` end to end with real HTTP servers on 127.0.0.1:
 * - an oracle endpoint (a test server that answers per item, with injected 429s, empty
 *   outputs and 500s) gives a known table, failed items out of the denominator and
 *   retried on the next run, and pass@k by the unbiased estimator against hand values;
 * - the tiny model evaluated locally and through `longrl serve` (openai: endpoint) gives
 *   the same responses at temperature 0;
 * - the judge and the eval both run against `serve`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEval, localModel, openAIModel, type ItemLine } from '../../src/eval/index.ts';
import { createJudge } from '../../src/reward/judge.ts';
import { startServer, type RunningServer } from '../../src/serve/index.ts';
import { initModelFolder } from '../../src/model/io/preset-model.ts';

const dir = mkdtempSync(join(tmpdir(), 'longrl-run-eval-'));
const modelDir = join(dir, 'tiny');
let srv: RunningServer;
before(async () => {
  initModelFolder(modelDir, 'tiny', { seed: 3 });
  srv = await startServer({ model: modelDir, name: 'tiny', batchWindowMs: 2 });
});
after(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Six synthetic records; the question carries QID-k so the oracle knows the item. */
function synthFile(): string {
  const p = join(dir, 'synth.jsonl');
  const rows = Array.from({ length: 6 }, (_, k) => k === 5
    ? { id: `q${k}`, data_source: 'synth_choice_kv', task: 'choice', document: `doc ${k} with key${k} = val${k}.`, question: `QID-${k}: value of key${k}?`, choices: ['x', `val${k}`], answer: 'B' }
    : { id: `q${k}`, data_source: 'synth_docqa_kv', task: 'kv', document: `doc ${k} with key${k} = val${k}.`, question: `QID-${k}: value of key${k}?`, answer: `val${k}` });
  writeFileSync(p, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return p;
}

interface Oracle { url: string; server: Server; hits: Map<number, number>; healed: boolean; ignoreN: boolean }

/** An endpoint that answers item k per a script (see the module doc). */
async function oracle(): Promise<Oracle> {
  const o: Oracle = { url: '', server: null as unknown as Server, hits: new Map(), healed: false, ignoreN: false };
  const right = (k: number) => (k === 5 ? '<think>B</think>The correct answer is (B)' : `<think>look</think>Therefore, the answer is val${k}.`);
  o.server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const j = JSON.parse(body) as { messages: { content: string }[]; n: number; seed: number };
      const k = Number(/QID-(\d+)/.exec(j.messages[0]!.content)![1]);
      const hit = (o.hits.get(k) ?? 0) + 1;
      o.hits.set(k, hit);
      const send = (texts: string[]) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ choices: texts.map((t, i) => ({ index: i, message: { role: 'assistant', content: t }, finish_reason: 'stop' })) }));
      };
      if (j.n > 1 && !o.ignoreN) { // pass@k mode: the first c_k samples are right
        const c = [4, 0, 1, 2][k] ?? 0;
        send(Array.from({ length: j.n }, (_, i) => (i < c ? right(k) : 'Therefore, the answer is nothing.')));
        return;
      }
      if (k === 2 && hit === 1) { res.writeHead(429, { 'retry-after': '0' }); res.end('{"error":{"message":"slow down"}}'); return; }
      if (k === 3 && hit === 1) { send(['']); return; }
      if (k === 4 && !o.healed) { res.writeHead(500); res.end('boom'); return; }
      send([k === 1 ? 'Therefore, the answer is wrong.' : right(k)]);
    });
  });
  await new Promise<void>((r) => o.server.listen(0, '127.0.0.1', () => r()));
  o.url = `http://127.0.0.1:${(o.server.address() as AddressInfo).port}/v1`;
  return o;
}

const settings = { n: 1, temperature: 0.7, topP: 0.95, maxNewTokens: 32, maxInputTokens: 100_000, seed: 0 };

function lines(path: string): ItemLine[] {
  return readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ItemLine);
}

test('oracle endpoint: retries, failed items out of the denominator, retried on resume', async () => {
  const o = await oracle();
  try {
    const data = { synth: synthFile() };
    const out = join(dir, 'oracle');
    const model = () => openAIModel(`openai:${o.url}#oracle`, { backoffBaseMs: 1, backoffMaxMs: 2, maxRetries: 2, concurrency: 3 });
    const r1 = await runEval({ ...settings, model: model(), data, outDir: out });
    const b1 = r1.benchmarks[0]!;
    assert.equal(b1.items, 6);
    assert.equal(b1.scored, 5);
    assert.equal(b1.failed, 1);
    assert.equal(b1.score, 80); // q0, q2, q3, q5 right; q1 wrong; q4 failed
    assert.equal(o.hits.get(2), 2); // one 429, then the answer
    assert.equal(o.hits.get(3), 2); // one empty output, then the answer
    assert.equal(o.hits.get(4), 3); // 1 + maxRetries
    assert.equal(readFileSync(join(out, 'synth.errors.jsonl'), 'utf8').trim().split('\n').length, 1);
    o.healed = true;
    const r2 = await runEval({ ...settings, model: model(), data, outDir: out });
    assert.equal(r2.benchmarks[0]!.scored, 6);
    assert.equal(r2.benchmarks[0]!.score, 83.33);
    assert.equal(o.hits.get(0), 1, 'scored items are not asked again');
    const ls = lines(join(out, 'synth.jsonl'));
    assert.deepEqual(ls.map((l) => l.id).sort(), ['q0', 'q1', 'q2', 'q3', 'q4', 'q5']);
    const q5 = ls.find((l) => l.id === 'q5')!;
    assert.equal(q5.samples[0]!.extracted, 'B');
    assert.deepEqual(q5.samples[0]!.scores, { rule: 1 });
    const md = readFileSync(join(out, 'results.md'), 'utf8');
    assert.match(md, /\| oracle \| 83\.33 \| 83\.33 \|/);
    // Other settings in the same folder are refused.
    await assert.rejects(runEval({ ...settings, n: 2, model: model(), data, outDir: out }), /resume with the same settings/);
  } finally {
    o.server.close();
  }
});

test('pass@k from n samples with the unbiased estimator', async () => {
  const o = await oracle();
  try {
    const p = join(dir, 'synth4.jsonl');
    writeFileSync(p, readFileSync(synthFile(), 'utf8').split('\n').slice(0, 4).join('\n') + '\n');
    const r = await runEval({ ...settings, n: 4, model: openAIModel(`openai:${o.url}#oracle`), data: { synth: p }, outDir: join(dir, 'passk') });
    const b = r.benchmarks[0]!;
    // c = 4, 0, 1, 2 of n = 4: pass@1 = mean(c/n); pass@2 = mean(1 - C(n-c,2)/C(n,2)); pass@4 = share with c > 0.
    assert.equal(b.score, 43.75);
    assert.deepEqual(b.pass_at_k, { 'pass@1': 43.75, 'pass@2': 58.33, 'pass@4': 75 });
    assert.match(readFileSync(join(dir, 'passk', 'results.md'), 'utf8'), /\| synth \| 43\.75 \| 58\.33 \| 75\.00 \|/);
  } finally {
    o.server.close();
  }
});

test('a server that ignores n (llama.cpp): n requests of one sample each', async () => {
  const o = await oracle();
  o.ignoreN = true;
  try {
    const r = await runEval({ ...settings, n: 3, model: openAIModel(`openai:${o.url}#oracle`), data: { synth: synthFile() }, outDir: join(dir, 'ignore-n'), limit: 2 });
    const ls = lines(join(dir, 'ignore-n', 'synth.jsonl'));
    assert.deepEqual(ls.map((l) => [l.id, l.n, l.correct]).sort(), [['q0', 3, 3], ['q1', 3, 0]]);
    assert.equal(r.benchmarks[0]!.score, 50);
    assert.equal(o.hits.get(0), 4); // the n = 3 request answered with one choice, then three single ones
  } finally {
    o.server.close();
  }
});

test('the tiny model locally and through serve (openai:) gives the same seeded responses', async () => {
  const data = { synth: synthFile() };
  // Temperature 0.7 with per-item seeds: serve runs a seeded request alone, as the local path does.
  const s = { ...settings, temperature: 0.7, maxNewTokens: 10, maxInputTokens: 2000 };
  const local = await runEval({ ...s, model: localModel(modelDir), data, outDir: join(dir, 'local'), limit: 4 });
  const remote = await runEval({ ...s, model: openAIModel(`openai:${srv.url}/v1#tiny`, { tokenizerDir: modelDir, concurrency: 4 }), data, outDir: join(dir, 'remote'), limit: 4 });
  const byId = (p: string) => Object.fromEntries(lines(p).map((l) => [l.id, l.samples[0]!.response]));
  const a = byId(join(dir, 'local', 'synth.jsonl'));
  const b = byId(join(dir, 'remote', 'synth.jsonl'));
  assert.equal(Object.keys(a).length, 4);
  assert.deepEqual(b, a);
  assert.ok(new Set(Object.values(a)).size > 1, 'sampled responses should differ between items');
  assert.equal(remote.benchmarks[0]!.score, local.benchmarks[0]!.score);
  // The completions API with the chat template rendered client-side: the same prompt ids, the same samples.
  await runEval({ ...s, model: openAIModel(`openai:${srv.url}/v1#tiny`, { api: 'completions', tokenizerDir: modelDir }), data, outDir: join(dir, 'remote-cmpl'), limit: 4 });
  assert.deepEqual(byId(join(dir, 'remote-cmpl', 'synth.jsonl')), a);
});

test('judge and eval both against serve: every QA row judged, verdicts recorded', async () => {
  const lb = join(dir, 'hotpotqa.jsonl');
  writeFileSync(lb, [
    { _id: 'h1', context: 'Passage 1: Paris is in France.', input: 'Where is Paris?', answers: ['France'] },
    { _id: 'h2', context: 'Passage 1: Rome is in Italy.', input: 'Where is Rome?', answers: ['Italy'] },
  ].map((r) => JSON.stringify(r)).join('\n') + '\n');
  const judge = createJudge({ url: srv.url, model: 'tiny', maxTokens: 8, concurrency: 2 });
  try {
    const r = await runEval({
      ...settings, temperature: 0, maxNewTokens: 8, maxInputTokens: 2000, judge,
      model: openAIModel(`openai:${srv.url}/v1#tiny`, { tokenizerDir: modelDir }), data: { hotpotqa: lb, synth: synthFile() }, outDir: join(dir, 'judged'), limit: 2,
    });
    assert.deepEqual(r.benchmarks.map((b) => b.bench), ['hotpotqa', 'synth']);
    const hq = lines(join(dir, 'judged', 'hotpotqa.jsonl'));
    for (const l of hq) assert.ok(l.samples[0]!.scores['judge'] === 0 || l.samples[0]!.scores['judge'] === 1, JSON.stringify(l.samples[0]!.scores));
    assert.ok(judge.counters()['reward/judge_calls']! >= 2);
    assert.ok('judge' in r.benchmarks[0]!.columns);
    assert.equal(r.average, Math.round(((r.benchmarks[0]!.score + r.benchmarks[1]!.score) / 2) * 100) / 100);
  } finally {
    judge.close();
  }
});
