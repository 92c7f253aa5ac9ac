/**
 * Oracle: every per-sample score of MiniLongBench's reference run that the data README
 * says reproduces (QA-F1 tasks, passage retrieval en/zh, passage count, trec, lsht,
 * lcc, repobench-p) must come out bit-identical. MiniLongBench scores without the
 * first-line cut. Skipped as oracles: ROUGE tasks (do not reproduce), dureader, vcsum,
 * multifieldqa_zh (jieba).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { longBenchItemScore, longBenchTaskScore, LONGBENCH_TASK_METRIC, parseGold } from '../../src/eval/index.ts';

const DATA = new URL('../../../shared/data/longbench/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('expected_scores.json', DATA), 'utf8')) as {
  scores: Record<string, Record<string, number>>;
};

const ORACLE_TASKS = [
  '2wikimqa',
  'hotpotqa',
  'musique',
  'qasper',
  'narrativeqa',
  'multifieldqa_en',
  'triviaqa',
  'passage_retrieval_en',
  'passage_retrieval_zh',
  'passage_count',
  'trec',
  'lsht',
  'lcc',
  'repobench-p',
];

interface Entry {
  prediction: string;
  gold: unknown;
}

function goldOf(raw: unknown): { answers: string[]; allClasses: string[] } {
  const g = parseGold(raw);
  assert.ok(g !== null, `unusable gold ${JSON.stringify(raw)}`);
  return g;
}

let total = 0;
for (const task of ORACLE_TASKS) {
  test(`MiniLongBench ${task} (${LONGBENCH_TASK_METRIC[task]}) reproduces every reference score`, () => {
    const file = JSON.parse(readFileSync(new URL(`minilongbench_example/MiniLongBench_${task}.json`, DATA), 'utf8')) as Record<string, Entry>;
    const want = expected.scores[task] as Record<string, number>;
    assert.deepEqual(Object.keys(file).sort(), Object.keys(want).sort());
    const got_N: number[] = [];
    for (const [key, entry] of Object.entries(file)) {
      const { answers, allClasses } = goldOf(entry.gold);
      const score = longBenchItemScore(task, entry.prediction, answers, allClasses, { firstLineCut: false });
      assert.equal(score, want[key], `${task}[${key}]`);
      got_N.push(score);
      total++;
    }
    const task100 = longBenchTaskScore(got_N);
    assert.ok(task100 >= 0 && task100 <= 100);
  });
}

test('the oracle covers the reproducible tasks', () => {
  assert.equal(total, [13, 13, 7, 9, 6, 7, 12, 15, 15, 4, 8, 8, 26, 23].reduce((a, b) => a + b, 0));
});

test('with the first-line cut, trec/triviaqa scores differ from MiniLongBench on some items (the cut matters)', () => {
  const file = JSON.parse(readFileSync(new URL('minilongbench_example/MiniLongBench_triviaqa.json', DATA), 'utf8')) as Record<string, Entry>;
  let differs = 0;
  for (const entry of Object.values(file)) {
    const { answers } = goldOf(entry.gold);
    const a = longBenchItemScore('triviaqa', entry.prediction, answers, [], { firstLineCut: false });
    const b = longBenchItemScore('triviaqa', entry.prediction, answers, [], { firstLineCut: true });
    if (a !== b) differs++;
  }
  assert.ok(differs > 0);
});
