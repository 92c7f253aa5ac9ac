import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createJudge, hybridReward, judgeProblem, type HybridItem, type Judge } from '../../src/reward/index.ts';
import { startJudgeServer, type JudgeServer } from './judge-server.ts';

let server: JudgeServer;
let judge: Judge;
before(async () => {
  server = await startJudgeServer();
  judge = createJudge({ url: server.url, model: 'hybrid-judge', timeoutMs: 20_000, maxRetries: 1, backoffBaseMs: 1 });
});
after(async () => {
  judge.close();
  await server.close();
});

const T = (answer: string): string => `<think>\nlet me see\n</think>\n\n${answer}`;
const PROMPT = 'Please read the following text and answer the question below.\n\n<text>\nThe capital of France is Paris.\n</text>\n\nWhat is the capital of France?\n\nFormat your response as follows: "Therefore, the answer is (insert answer here)".';

test('judge only when rule < 1, never for multiple choice; reward = max(rule, judge)', async () => {
  const items: HybridItem[] = [
    // rule 1: no judge call
    { dataSource: 'musique_v1', response: T('Therefore, the answer is Paris.'), groundTruth: 'Paris', prompt: PROMPT },
    // rule 0 (no containment), judge says the same ignoring case -> 1
    { dataSource: 'docmath_v1', response: T('Therefore, the answer is 12'), groundTruth: '13', question: 'fault=none;n=0 12' },
    // rule 0, judge says no -> 0
    { dataSource: 'multihoprag_v1', response: T('Therefore, the answer is Lyon.'), groundTruth: 'Paris', prompt: PROMPT },
    // multiple choice wrong: never judged
    { dataSource: 'long_toc_choices_0_20000', response: T('The correct answer is (A)'), groundTruth: 'B' },
    // no </think>: nothing to judge
    { dataSource: 'musique_v1', response: 'Therefore, the answer is Lyon.', groundTruth: 'Paris' },
  ];
  const before = server.requests();
  const { results, metrics } = await hybridReward(items, { judge });
  assert.deepEqual(results.map((r) => [r.rule, r.judge, r.reward, r.acc]), [
    [1, null, 1, true],
    [0, 0, 0, false],
    [0, 0, 0, false],
    [0, null, 0, false],
    [0, null, 0, false],
  ]);
  assert.equal(server.requests() - before, 2);
  assert.equal(metrics['reward/judge_requested'], 2);
  // the judge's question: the prompt slice (training) unless a question is given
  const bodies = server.bodies.slice(-2).map((b) => (b as { messages: { content: string }[] }).messages[1]?.content);
  assert.ok(bodies.some((u) => u === '\nProblem: What is the capital of France?\nAnswer 1: Lyon\nAnswer 2: Paris\n'));
  assert.equal(judgeProblem({ dataSource: 'x', response: '', groundTruth: '', prompt: PROMPT, question: 'Q?' }), 'Q?');
  assert.equal(judgeProblem({ dataSource: 'x', response: '', groundTruth: '', prompt: 'no markers' }), '');
});

test('the judge raises a rule 0 to 1; strict verdict logged beside', async () => {
  // "7,5" extracts as 75 and matches 7.5 by the power-of-ten branch: no judge needed
  const pow = await hybridReward([{ dataSource: 'docmath_v1', response: T('Therefore, the answer is 7,5'), groundTruth: '7.5', question: 'q' }], { judge });
  assert.deepEqual([pow.results[0]?.rule, pow.results[0]?.judge], [1, null]);
  // rule 0 (2 vs 2.5); this judge's reply says "YES" in its explanation and [[NO]] at the end:
  // the reference substring rule counts it, the strict parse does not
  const raise: HybridItem[] = [{ dataSource: 'docmath_v1', response: T('Therefore, the answer is 2.'), groundTruth: 'Therefore, the answer is 2.5', question: 'fault=yesword;n=0' }];
  const out = await hybridReward(raise, { judge });
  assert.deepEqual([out.results[0]?.rule, out.results[0]?.judge, out.results[0]?.judgeStrict, out.results[0]?.reward, out.results[0]?.acc], [0, 1, false, 1, true]);
  assert.equal(out.metrics['reward/judge_raised'], 1);
  // rule 0, judge compares "TWO" and "two" equal ignoring case -> 1
  const words = await hybridReward([{ dataSource: 'synth_docqa_count', response: T('Therefore, the answer is TWO items'), groundTruth: 'two', question: 'How many?' }], { judge });
  assert.equal(words.results[0]?.rule, 1); // containment already holds
  const eq = await hybridReward([{ dataSource: 'synth_docqa_count', response: T('Therefore, the answer is 2'), groundTruth: 'two', question: 'How many?' }], { judge });
  assert.deepEqual([eq.results[0]?.rule, eq.results[0]?.judge], [0, 0]);
});

test('a judge that fails for good falls back to the rule score, counted', async () => {
  const items: HybridItem[] = [
    { dataSource: 'musique_v1', response: T('Therefore, the answer is Lyon'), groundTruth: 'Paris', question: 'fault=500;n=99' },
    { dataSource: 'musique_v1', response: T('Therefore, the answer is Paris'), groundTruth: 'Paris', question: 'fault=500;n=99' },
  ];
  const { results, metrics } = await hybridReward(items, { judge });
  assert.deepEqual(results.map((r) => [r.rule, r.judge, r.reward]), [[0, null, 0], [1, null, 1]]);
  assert.match(results[0]?.judgeError ?? '', /HTTP 500/);
  assert.equal(metrics['reward/judge_fallbacks'], 1);
});

test('overlong shaping after the max; acc is taken before shaping', async () => {
  const base = { dataSource: 'musique_v1', response: T('Therefore, the answer is Paris'), groundTruth: 'Paris' };
  const lens = [8000, 9000, 9500, 10000];
  const { results, metrics } = await hybridReward(lens.map((n) => ({ ...base, responseLength: n })), { overlong: { maxLen: 10000, buffer: 1000, factor: 1 } });
  assert.deepEqual(results.map((r) => r.shaping), [0, 0, -0.5, -1]);
  assert.deepEqual(results.map((r) => r.reward), [1, 1, 0.5, 0]);
  assert.deepEqual(results.map((r) => r.acc), [true, true, true, true]);
  assert.equal(metrics['reward/overlong_penalized'], 2);
  await assert.rejects(hybridReward([base], { overlong: { maxLen: 10, buffer: 5 } }), /needs the response length/);
});
