/**
 * L-Eval on the gpt-3.5-turbo-16k-0613 predictions in shared/data/leval: the scores and
 * per-item values below were computed with a Python transcription of L-Eval's
 * `auto_eval.py` (process_output_mc / process_gt_mc), `em.py` and SQuAD v1.1 F1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  lEvalExactMatch,
  lEvalExamScore,
  lEvalF1Score,
  lEvalGoldChoice,
  lEvalOutputChoice,
  qaF1Score,
  pyRound,
} from '../../src/eval/index.ts';

const DIR = new URL('../../../shared/data/leval/predictions_turbo-16k-0613/', import.meta.url);
type Row = { gt: string; evaluation: string; 'turbo-16k-0613_pred': string };
const rows = (name: string, evaluation: string): Row[] =>
  readFileSync(new URL(`${name}.pred.jsonl`, DIR), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Row)
    .filter((r) => r.evaluation === evaluation);

const F1_GOLDEN: Record<string, { n: number; score: number; first5: number[] }> = {
  scientific_qa: { n: 160, score: 28.25011706285499, first5: [0.33707865168539325, 0.24000000000000002, 0.7727272727272727, 0.16806722689075632, 0.5333333333333333] },
  financial_qa: { n: 52, score: 45.368834567090964, first5: [0.4550264550264551, 0.5549738219895288, 0.5502645502645503, 0.761904761904762, 0.6993006993006994] },
  multidoc_qa: { n: 136, score: 31.445226500453686, first5: [0.10526315789473685, 0.21276595744680848, 0.0851063829787234, 0.29411764705882354, 0] },
};

for (const [name, want] of Object.entries(F1_GOLDEN)) {
  test(`L-Eval ${name}: F1 = ${pyRound(want.score, 2)} over ${want.n} questions`, () => {
    const r = rows(name, 'f1');
    assert.equal(r.length, want.n);
    const preds = r.map((x) => x['turbo-16k-0613_pred']);
    assert.deepEqual(r.slice(0, 5).map((x) => qaF1Score(x['turbo-16k-0613_pred'], x.gt)), want.first5);
    assert.equal(lEvalF1Score(preds, r.map((x) => [x.gt])), want.score);
  });
}

test('L-Eval QuALITY exam: 61.386… over 202 questions, letter by letter', () => {
  const r = rows('quality', 'exam');
  assert.equal(r.length, 202);
  const preds = r.map((x) => lEvalOutputChoice(x['turbo-16k-0613_pred']));
  const golds = r.map((x) => lEvalGoldChoice(x.gt));
  assert.equal(
    preds.join(''),
    'BDBBBBCADCACBDBCCDCBDDDDADDDBABDDBDDCADDBBCBCCADBCBDDADABAADCCDDDBBBCCDADBACBCBCCCBDABCBCCCCBDCCCABBDBDADBDCCDDBBDBDCDDBDADBCABBADBBDBCCAADDADACDCADCDBBDDDACCBBCACCBDDBABDBACBCAADADBABDDDDDCACCAADCBCABC',
  );
  assert.equal(lEvalExamScore(preds, golds.map((g) => [g])), 61.386138613861384);
});

test('L-Eval exam EM: partial credit, floats, substring', () => {
  assert.equal(lEvalExactMatch('AC', 'AC'), 1);
  assert.equal(lEvalExactMatch('A', 'AC'), 0.25); // one of several correct options
  assert.equal(lEvalExactMatch('AB', 'AC'), 0);
  assert.equal(lEvalExactMatch('b', 'B'), 0); // no lower-casing in em.py
  assert.equal(lEvalExactMatch('a', 'A'), 0.25); // the article "a" is removed: '' is a subset
  assert.equal(lEvalExactMatch('', 'B'), 0.25); // the empty set is a subset (as in Python)
  assert.equal(lEvalExactMatch('3.50', '3.5'), 1);
  assert.equal(lEvalExactMatch('1_0', '10'), 1); // Python float() accepts digit separators
  assert.equal(lEvalExactMatch('x\nThe Big Apple is here', 'big apple'), 1);
  assert.equal(lEvalExactMatch('Paris', 'London'), 0);
});

test('L-Eval MC clean-up: gold and output', () => {
  assert.equal(lEvalGoldChoice('(B) Their subconscious knew'), 'B');
  assert.equal(lEvalGoldChoice('none of these'), 'A'); // random-guess fallback
  assert.equal(lEvalOutputChoice('   '), 'None');
  assert.equal(lEvalOutputChoice('BC'), 'BC'); // a substring of "ABCD" comes back whole
  assert.equal(lEvalOutputChoice('The answer is (C)'), 'C');
  assert.equal(lEvalOutputChoice('CAB and more', true), 'ABC');
  assert.equal(lEvalOutputChoice('xyz', true), 'A');
});
