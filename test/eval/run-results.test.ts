/** The results table from per-item lines: scores, groups, pass@k, LongBench v2's own table, Markdown. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchResult, evalResults, resultsMarkdown, type ItemLine } from '../../src/eval/index.ts';

function line(id: string, scores_S: number[], extra: Partial<ItemLine> = {}): ItemLine {
  return {
    id, bench: 'b', task: 't', prompt_tokens: 10, truncated: false, gold: ['A'], n: scores_S.length,
    samples: scores_S.map((s) => ({ response: 'r', extracted: s === 1 ? 'A' : 'B', finish_reason: 'stop', scores: { acc: s }, score: s })),
    score: scores_S.reduce((a, b) => a + b, 0) / scores_S.length, correct: scores_S.filter((s) => s === 1).length, prediction: 'r', ...extra,
  };
}

test('LongBench v2 lines get the result.py table (1 decimal) beside the 2-decimal score', () => {
  const g = (difficulty: string, length: string) => ({ groups: { difficulty, length } });
  const lines = [
    line('1', [1], g('easy', 'short')), line('2', [0], g('hard', 'short')), line('3', [1], g('hard', 'long')),
    { ...line('4', [0], g('hard', 'medium')), samples: [{ response: 'x', extracted: null, finish_reason: 'stop', scores: { acc: 0 }, score: 0 }] },
  ];
  const b = benchResult('longbench-v2', lines, { items: 5, failed: 1, skipped: 489, n: 1 });
  assert.equal(b.score, 50);
  assert.deepEqual(b.groups, { 'difficulty=easy': 100, 'difficulty=hard': 33.33, 'length=long': 100, 'length=medium': 0, 'length=short': 50 });
  assert.deepEqual(b.longbench_v2!.plain, { overall: 50, easy: 100, hard: 33.3, short: 50, medium: 0, long: 100, count: 4 });
  assert.equal(b.longbench_v2!.compensated.overall, 56.2); // (2 + 0.25) / 4 = 56.25, Python round half-even -> 56.2
  const md = resultsMarkdown(evalResults('m', 1, [b]));
  assert.match(md, /\| plain \| 50\.0 \| 100\.0 \| 33\.3 \| 50\.0 \| 0\.0 \| 100\.0 \|/);
  assert.match(md, /scored 4 of 5 items, 1 failed \(not counted\), 489 rows of the data file unusable/);
});

test('average over benchmarks with scored items; empty benchmarks print a dash; | escaped', () => {
  const a = benchResult('docmath', [line('1', [1]), line('2', [0]), line('3', [1])], { items: 3, failed: 0, skipped: 0, n: 1 });
  const e = benchResult('frames', [], { items: 2, failed: 2, skipped: 0, n: 1 });
  const f = benchResult('hotpotqa', [line('1', [1], { groups: { reasoning_type: 'a | b' } })], { items: 1, failed: 0, skipped: 0, n: 1 });
  const r = evalResults('m', 1, [a, e, f]);
  assert.equal(a.score, 66.67);
  assert.ok(Number.isNaN(e.score));
  assert.equal(r.average, 83.34); // (66.67 + 100) / 2 = 83.33500000000001 in doubles; Python round -> 83.34
  const md = resultsMarkdown(r);
  assert.match(md, /\| Model \| DocMath \| Frames \| HQA \| Avg \|/);
  assert.match(md, /\| m \| 66\.67 \| – \| 100\.00 \| 83\.34 \|/);
  assert.match(md, /\| reasoning_type=a \\\| b \| 100\.00 \|/);
});
