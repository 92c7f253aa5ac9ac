/** LongBench v1 metrics on hand-worked cases (scorers.md §3). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  rougeScore,
  classificationScore,
  codeSimScore,
  fuzzRatio,
  indelDistance,
  countScore,
  retrievalScore,
  retrievalZhScore,
  qaF1Score,
  longBenchItemScore,
  longBenchTaskScore,
  longBenchEBucket,
  longBenchEScores,
  firstLine,
  ROUGE_RECURSION_LIMIT,
} from '../../src/eval/index.ts';

const f = (p: number, r: number): number => 2.0 * ((p * r) / (p + r + 1e-8));

test('rouge: identical one-sentence texts', () => {
  // 6 words, 5 unique ("the" twice): llcs = |{the,cat,sat,on,mat}| = 5 = m = n.
  assert.equal(rougeScore('the cat sat on the mat', 'the cat sat on the mat'), f(1, 1));
});

test('rouge: sentences split on ".", LCS words unioned over hypothesis sentences', () => {
  // ref "a c d" (the empty piece after the final "." is dropped); hyp "a b c" | "d e".
  // LCS(ref, "a b c") = {a, c}; LCS(ref, "d e") = {d}; llcs = 3, m = 3, n = 5.
  assert.equal(rougeScore('a b c. d e', 'a c d.'), f(3 / 5, 3 / 3));
});

test('rouge: the backtrack prefers "left" on ties, which changes the union', () => {
  // ref sentences "a b" and "a"; hyp "b a". Backtracking LCS("a b", "b a") goes left on
  // the tie and keeps {b}; the second sentence adds {a}: llcs = 2 → F ≈ 1. Going up
  // would keep {a} twice: llcs = 1 → F ≈ 0.5.
  assert.equal(rougeScore('b a', 'a b. a'), f(2 / 2, 2 / 2));
});

test('rouge: a blank piece between dots survives as the empty word', () => {
  // hyp "x. . y" → sentences "x", "", "y": n = 3 unique words ("" counts). ref "x y".
  // LCS("x y", each) = {x}, {}, {y} → llcs 2; m = 2.
  assert.equal(rougeScore('x. . y', 'x y'), f(2 / 3, 2 / 2));
});

test('rouge: failures score 0 (empty hypothesis, only dots, recursion limit)', () => {
  assert.equal(rougeScore('', 'a b'), 0);
  assert.equal(rougeScore('...', 'a b'), 0);
  assert.equal(rougeScore('a b', ''), 0);
  // Identical sentences backtrack diagonally: one step per word. 990 steps fit under
  // Python's limit of 1000 frames in LongBench's call stack, 991 raise RecursionError.
  assert.equal(ROUGE_RECURSION_LIMIT, 990);
  const words = (n: number): string => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');
  assert.equal(rougeScore(words(990), words(990)), f(1, 1));
  assert.equal(rougeScore(words(991), words(991)), 0);
  assert.ok(rougeScore('a b c', 'c b a') > 0);
});

test('classification: the remove-while-iterating quirk', () => {
  const classes = ['Other', 'Other entity', 'Animal', 'Other location'];
  // em = [Other, Other entity]; gold "Other entity": "Other" is a proper substring → removed,
  // and the iterator then skips "Other entity" (already at the removed index) → 1/1.
  assert.equal(classificationScore('Other entity', 'Other entity', classes), 1);
  // Three matches, two proper substrings of the gold in a row: after removing the first,
  // the second is skipped and stays, so the score is 1/2 (not 1).
  const cls2 = ['ab', 'abc', 'abcd'];
  assert.equal(classificationScore('abcd', 'abcd', cls2), 0.5);
  assert.equal(classificationScore('Animal or Other', 'Animal', classes), 0.5);
  assert.equal(classificationScore('nothing', 'Animal', classes), 0);
});

test('fuzz.ratio: python-Levenshtein semantics over code points', () => {
  assert.equal(fuzzRatio('', ''), 100);
  assert.equal(fuzzRatio('abc', ''), 0);
  assert.equal(fuzzRatio('abc', 'abc'), 100);
  // indel("kitten", "sitting") = 5 (LCS 4): L = 13 → round(100·8/13) = 62. (difflib: 62 too.)
  assert.equal(indelDistance('kitten', 'sitting'), 5);
  assert.equal(fuzzRatio('kitten', 'sitting'), 62);
  // A tie at .5 rounds half-even: "ab" vs "a": 100·2/3 → 67; "abcd" vs "ab" → 100·4/6 = 66.67 → 67.
  assert.equal(fuzzRatio('a', 'ab'), 67);
  // "ab" vs "ac", L = 4, LCS 1 → 50 exactly.
  assert.equal(fuzzRatio('ab', 'ac'), 50);
  // An astral character counts once: "😀a" vs "a" → L = 3, LCS 1 → 67 (UTF-16 would give 4 → 50).
  assert.equal(fuzzRatio('😀a', 'a'), 67);
  // Exact tie: L = 8, indel 1 is impossible (parity), so check 12.5 → 12 with L = 16: LCS 1 of 8+8 → 100·2/16 = 12.5 → 12.
  assert.equal(fuzzRatio('abcdefgh', 'hijklmno'), 12);
});

test('code_sim: first line without ` # //, after leading newlines', () => {
  assert.equal(codeSimScore('\n\n# comment\n```\nx = 1\ny = 2', 'x = 1'), 1);
  assert.equal(codeSimScore('// only comments\n#x', 'x = 1'), 0);
});

test('count and retrieval: shares of matching numbers, Unicode digits', () => {
  assert.equal(countScore('3 or 4', '3'), 0.5);
  assert.equal(countScore('none', '3'), 0);
  assert.equal(countScore('there are 12 paragraphs, 12 unique', '12'), 1);
  assert.equal(retrievalScore('Paragraph 19', 'Paragraph 19'), 1);
  assert.equal(retrievalScore('Paragraph 19 or Paragraph 2', 'Paragraph 19'), 0.5);
  assert.equal(retrievalScore('no idea', 'Paragraph 19'), 0);
  assert.equal(retrievalZhScore('答案是段落5', '段落5'), 1);
  // Python's \d matches full-width digits: "５" is a number that is not "5".
  assert.equal(retrievalScore('Paragraph ５ or 5', 'Paragraph 5'), 0.5);
  assert.throws(() => retrievalScore('1', 'no paragraph'));
});

test('qa_f1: multiset overlap, normalisation', () => {
  assert.equal(qaF1Score('The Bob Dylan', 'bob dylan!'), 1);
  assert.equal(qaF1Score('', 'x'), 0);
  // pred [a1, b, b], gold [b, c]: same = 1 → p = 1/3, r = 1/2, f1 = 0.4
  assert.equal(qaF1Score('a1 b b', 'b c'), (2 * (1 / 3) * (1 / 2)) / (1 / 3 + 1 / 2));
});

test('scorer: max over golds from 0, first-line cut, task score', () => {
  assert.equal(longBenchItemScore('hotpotqa', 'Paris', ['London', 'Paris']), 1);
  assert.equal(longBenchItemScore('hotpotqa', 'Paris', []), 0);
  assert.equal(firstLine('\n\nfirst\nsecond'), 'first');
  assert.equal(longBenchItemScore('triviaqa', 'Paris\nQuestion: London', ['London']), 0);
  assert.equal(longBenchItemScore('triviaqa', 'Paris\nQuestion: London', ['London'], [], { firstLineCut: false }), 0.5);
  assert.throws(() => longBenchItemScore('dureader', 'x', ['y']), /jieba/);
  assert.throws(() => longBenchItemScore('nope', 'x', ['y']), /unknown LongBench task/);
  // round(100·(1/8)·... ) : 0.125 → 12.5; 1/3 → 33.33; three items 0.5,0.5,0.335 → 44.5
  assert.equal(longBenchTaskScore([1, 0, 0, 0, 0, 0, 0, 0]), 12.5);
  assert.equal(longBenchTaskScore([1, 0, 0]), 33.33);
});

test('LongBench-E buckets', () => {
  assert.equal(longBenchEBucket(3999), '0-4k');
  assert.equal(longBenchEBucket(4000), '4-8k');
  assert.equal(longBenchEBucket(7999), '4-8k');
  assert.equal(longBenchEBucket(8000), '8k+');
  const s = longBenchEScores([1, 0, 0.5], [100, 5000, 200]);
  assert.equal(s['0-4k'], 75);
  assert.equal(s['4-8k'], 0);
  assert.ok(Number.isNaN(s['8k+']));
});

test('rouge: 44 MiniLongBench summaries match a CPython run of pltrdy ROUGE-L bit for bit', async () => {
  const { readFileSync } = await import('node:fs');
  const { parseGold, longBenchItemScore } = await import('../../src/eval/index.ts');
  const want = JSON.parse(readFileSync(new URL('fixtures/rouge-pltrdy-goldens.json', import.meta.url), 'utf8')) as Record<string, Record<string, string>>;
  const dir = new URL('../../../shared/data/longbench/minilongbench_example/', import.meta.url);
  let n = 0;
  for (const task of ['gov_report', 'qmsum', 'multi_news', 'samsum']) {
    const file = JSON.parse(readFileSync(new URL(`MiniLongBench_${task}.json`, dir), 'utf8')) as Record<string, { prediction: string; gold: unknown }>;
    for (const [k, e] of Object.entries(file)) {
      const g = parseGold(e.gold);
      assert.ok(g);
      const got = longBenchItemScore(task, e.prediction, g.answers, [], { firstLineCut: false });
      assert.equal(got, Number((want[task] as Record<string, string>)[k]), `${task}[${k}]`);
      n++;
    }
  }
  assert.equal(n, 44);
});
