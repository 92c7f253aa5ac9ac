import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitReply, qwenlongTrace, linearPercentile, lengthStats, parseTeacherSpec, parseChatCompletion, pickShortestCorrect, formatSummaryTable, summarizeDistill, type Candidate } from '../../src/distill/index.ts';

test('splitReply: reasoning_content, <think> blocks, a closing tag only, unclosed, none', () => {
  assert.deepEqual(splitReply('Therefore, the answer is 4.', '  2+2 is 4\n'), { reasoning: '2+2 is 4', answer: 'Therefore, the answer is 4.', format: 'reasoning_content', unclosed: false });
  assert.deepEqual(splitReply('<think>\nadd them\n</think>\n\nTherefore, the answer is 4.'), { reasoning: 'add them', answer: 'Therefore, the answer is 4.', format: 'think', unclosed: false });
  // R1-Distill's template opened the block in the prompt: only the closing tag comes back
  assert.deepEqual(splitReply('add them\n</think>\nThe answer is 4'), { reasoning: 'add them', answer: 'The answer is 4', format: 'think', unclosed: false });
  // several blocks: everything before the last closing tag is reasoning, tags removed
  assert.deepEqual(splitReply('<think>a</think> mid <think>b</think>ans'), { reasoning: 'a mid b', answer: 'ans', format: 'think', unclosed: false });
  assert.deepEqual(splitReply('<think>never closed'), { reasoning: 'never closed', answer: '', format: 'think', unclosed: true });
  assert.deepEqual(splitReply('just an answer', null), { reasoning: '', answer: 'just an answer', format: 'none', unclosed: false });
  assert.deepEqual(splitReply(null, ''), { reasoning: '', answer: '', format: 'none', unclosed: false });
  // both: reasoning_content first, then any think block left in content
  assert.deepEqual(splitReply('<think>more</think>ans', 'first'), { reasoning: 'first\n\nmore', answer: 'ans', format: 'reasoning_content', unclosed: false });
  assert.equal(qwenlongTrace(' r ', ' a '), '<think>\nr\n</think>\n\na');
});

test('linearPercentile is numpy.percentile (linear) and lengthStats summarises', () => {
  // numpy.linearPercentile([1, 2, 3, 4], 90) == 3.7 ; [10] -> 10 ; [] -> None
  assert.ok(Math.abs((linearPercentile([1, 2, 3, 4], 0.9) as number) - 3.7) < 1e-12);
  assert.equal(linearPercentile([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(linearPercentile([10], 0.9), 10);
  assert.equal(linearPercentile([], 0.5), null);
  assert.deepEqual(lengthStats([5, 1, 3], 'tokens'), { unit: 'tokens', count: 3, p50: 3, p90: 4.6, max: 5, mean: 3 });
});

test('parseTeacherSpec: openai:URL#MODEL or a folder; bad specs name the fix', () => {
  assert.deepEqual(parseTeacherSpec('openai:http://127.0.0.1:8000/v1#deepseek-ai/DeepSeek-R1'), { kind: 'openai', url: 'http://127.0.0.1:8000/v1', model: 'deepseek-ai/DeepSeek-R1' });
  assert.deepEqual(parseTeacherSpec('./models/tiny'), { kind: 'local', dir: './models/tiny' });
  assert.throws(() => parseTeacherSpec('openai:http://x'), /expected openai:URL#MODEL/);
  assert.throws(() => parseTeacherSpec('openai:not a url#m'), /not a valid URL/);
});

test('parseChatCompletion reads content, reasoning_content / reasoning, finish_reason and usage', () => {
  const r = parseChatCompletion(JSON.stringify({
    choices: [
      { message: { content: 'A', reasoning_content: 'R' }, finish_reason: 'stop' },
      { message: { content: null, reasoning: 'R2' }, finish_reason: 'length' },
    ],
    usage: { prompt_tokens: 7, completion_tokens: 9 },
  }));
  assert.deepEqual(r, {
    replies: [{ content: 'A', reasoningContent: 'R', finishReason: 'stop' }, { content: '', reasoningContent: 'R2', finishReason: 'length' }],
    promptTokens: 7, completionTokens: 9,
  });
  assert.throws(() => parseChatCompletion('nope'), /not JSON/);
  assert.throws(() => parseChatCompletion('{"choices": []}'), /no choices/);
  assert.throws(() => parseChatCompletion('{"choices": [{"message": {"content": 3}}]}'), /content is not a string/);
});

test('pickShortestCorrect: correct only, shortest first, ties by sample order', () => {
  const c = (sample: number, outcome: Candidate['outcome'], length: number): Candidate => ({ sample, outcome, length, format: 'think', finishReason: 'stop', trace: 't', score: null });
  const cands = [c(0, 'correct', 30), c(1, 'incorrect', 1), c(2, 'correct', 10), c(3, 'correct', 10), c(4, 'truncated', 0)];
  assert.deepEqual(pickShortestCorrect(cands, 2).map((x) => x.sample), [2, 3]);
  assert.deepEqual(pickShortestCorrect(cands, 5).map((x) => x.sample), [2, 3, 0]);
});

test('summary table lists each data_source and the total', () => {
  const entry = (id: string, src: string, kept: number, correct: number, lens: number[]) => ({
    id, data_source: src, kept: Array.from({ length: kept }, () => ({ id, data_source: src, document: 'd', question: 'q', answer: 'a' })),
    outcomes: { correct, incorrect: 4 - correct, truncated: 0, no_reasoning: 0, no_answer: 0 }, trace_lengths: lens, prompt_tokens: 100, completion_tokens: 50, attempts: 1,
  });
  const s = summarizeDistill({
    teacher: 't', data: 'd.jsonl', out: 'o.jsonl', records: 4, overBudget: 1, failed: 0, resumed: 0, askedThisRun: 3,
    entries: [entry('a', 'musique_v1', 1, 2, [100]), entry('b', 'musique_v1', 0, 0, []), entry('c', 'docmath_v1', 1, 4, [300])],
    lengthUnit: 'tokens', counters: {},
  });
  assert.equal(s.total.acceptance, 2 / 3);
  assert.equal(s.total.response_acceptance, 6 / 12);
  assert.deepEqual(s.tokens, { prompt: 300, completion: 150, total: 450 });
  const t = formatSummaryTable(s);
  assert.match(t, /^docmath_v1 +1 +1 +1 +100\.0% +4 +4 /m);
  assert.match(t, /^musique_v1 +2 +1 +1 +50\.0% +8 +2 /m);
  assert.match(t, /^total +3 +2 +2 +66\.7% +12 +6 /m);
  assert.match(t, /trace length \(tokens\): n=2 p50=200 p90=280 max=300/);
});
