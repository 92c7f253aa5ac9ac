/**
 * LongBench v2 extraction/aggregation, judge-reply parsing (FRAMES, SimpleQA, QwenLong),
 * HotpotQA/SQuAD variants, RULER, InfiniteBench and QwenLong-L1 scoring.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import {
  extractV2Answer,
  aggregateV2,
  parseFramesDecision,
  parseSimpleQaGrade,
  framesAnswerPart,
  qwenJudgeVerdict,
  qwenJudgeVerdictStrict,
  hotpotF1,
  exactMatchScore,
  squadV2F1,
  twoWikiScores,
  rulerPostprocess,
  stringMatchAll,
  stringMatchPart,
  passkeyCorrect,
  kvRetrievalCorrect,
  choiceCorrect,
  firstIntMatch,
  normalizeZhAnswer,
  qaF1ZhChar,
  subEmScore,
  qwenLongQaScore,
  qwenLongDocmathScore,
  docmathGoldString,
  type V2Row,
} from '../../src/eval/index.ts';

test('LongBench v2 extraction: two regexes, * removed, case-sensitive, first match', () => {
  assert.equal(extractV2Answer('The correct answer is (B).'), 'B');
  assert.equal(extractV2Answer('**The correct answer is (C)**'), 'C');
  assert.equal(extractV2Answer('The correct answer is D, because…'), 'D');
  assert.equal(extractV2Answer('The correct answer is (A). Wait, The correct answer is (B).'), 'A');
  // the parenthesised form wins even when the bare form comes first
  assert.equal(extractV2Answer('The correct answer is B? No: The correct answer is (C)'), 'C');
  assert.equal(extractV2Answer('the correct answer is (B)'), null);
  assert.equal(extractV2Answer('The correct answer is (E)'), null);
  assert.equal(extractV2Answer('The correct answer is (b)'), null);
  assert.equal(extractV2Answer('I think (B).'), null);
  assert.equal(extractV2Answer('The correct answer is *(*A*)*'), 'A');
});

test('LongBench v2 aggregation: overall / difficulty / length, round(·, 1), compensated', () => {
  const rows: V2Row[] = [
    { pred: 'A', answer: 'A', difficulty: 'easy', length: 'short' },
    { pred: 'B', answer: 'A', difficulty: 'hard', length: 'short' },
    { pred: null, answer: 'C', difficulty: 'hard', length: 'medium' },
    { pred: 'D', answer: 'D', difficulty: 'hard', length: 'long' },
    { pred: 'A', answer: 'B', difficulty: 'easy', length: 'medium' },
    { pred: 'C', answer: 'C', difficulty: 'hard', length: 'medium' },
  ];
  assert.deepEqual(aggregateV2(rows), { overall: 50, easy: 50, hard: 50, short: 50, medium: 33.3, long: 100, count: 6 });
  // compensated: the null row counts 0.25 → overall 100·3.25/6 = 54.1666… → 54.2
  // hard: 100·2.25/4 = 56.25 exactly → Python round(·, 1) = 56.2 (half-even), not 56.3
  assert.deepEqual(aggregateV2(rows, true), { overall: 54.2, easy: 50, hard: 56.2, short: 50, medium: 41.7, long: 100, count: 6 });
  assert.ok(Number.isNaN(aggregateV2([]).overall));
});

test('LongBench v2 data: 503 questions, counts by difficulty and length', () => {
  const text = readFileSync(new URL('../../../shared/data/longbench_v2/longbench_v2_questions.jsonl', import.meta.url), 'utf8');
  const qs = text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as { answer: string; difficulty: string; length: string });
  assert.equal(qs.length, 503);
  // An oracle "model" that answers correctly: 100 everywhere; always "A": the A share.
  const perfect = aggregateV2(qs.map((q) => ({ pred: extractV2Answer(`The correct answer is (${q.answer})`), answer: q.answer, difficulty: q.difficulty, length: q.length })));
  assert.deepEqual(perfect, { overall: 100, easy: 100, hard: 100, short: 100, medium: 100, long: 100, count: 503 });
  const allA = aggregateV2(qs.map((q) => ({ pred: 'A', answer: q.answer, difficulty: q.difficulty, length: q.length })));
  const nA = qs.filter((q) => q.answer === 'A').length;
  assert.equal(allA.overall, Math.round((1000 * nA) / 503) / 10);
});

test('FRAMES autorater: the last "Decision:" line rules, exact TRUE only', () => {
  assert.equal(parseFramesDecision('Explanation: fine.\nDecision: TRUE'), true);
  assert.equal(parseFramesDecision('Explanation: x\nDecision: true  '), true);
  assert.equal(parseFramesDecision('Decision: "TRUE"'), false);
  assert.equal(parseFramesDecision('Decision: TRUE\nDecision: FALSE'), false);
  assert.equal(parseFramesDecision('Decision: FALSE\nDecision: TRUE'), true);
  assert.equal(parseFramesDecision('decision: TRUE'), false);
  assert.equal(parseFramesDecision('  Decision: TRUE'), true); // the whole reply is stripped first
  assert.equal(parseFramesDecision('Text\n  Decision: TRUE'), false); // an indented later line does not start with it
  assert.equal(parseFramesDecision('Decision: TRUE: mostly'), true); // between the 1st and 2nd ':'
  assert.equal(parseFramesDecision('The answer is TRUE'), false);
  assert.equal(parseFramesDecision('Decision: TRUE\r\n'), true);
});

test('SimpleQA grader letters and the FRAMES answer part', () => {
  assert.equal(parseSimpleQaGrade('A'), 'A');
  assert.equal(parseSimpleQaGrade('The grade is B'), 'B'); // first A/B/C anywhere: "The" has none
  assert.equal(parseSimpleQaGrade('xyz'), 'C');
  assert.equal(parseSimpleQaGrade('CORRECT'), 'C'); // the first capital A/B/C letter is the C of CORRECT
  assert.equal(framesAnswerPart('Reasoning…\n**Answer:** Jane Ballou'), 'Jane Ballou');
  assert.equal(framesAnswerPart('Final Answer: 42'), '42');
  assert.equal(framesAnswerPart('just text'), 'just text');
});

test('FRAMES closed-book outputs: grade parsing and sub-EM agreement with the judge', () => {
  const dir = new URL('../../../shared/data/frames/outputs/', import.meta.url);
  // [rows, A grades, sub-EM hits, agreements] from a Python transcription.
  const want: Record<string, [number, number, number, number]> = {
    'Qwen3-14B_frames_no_think.jsonl': [824, 71, 49, 790],
    'Qwen3-8B_frames_no_think.jsonl': [823, 68, 48, 791],
    'gemini-2.5-flash_frames_no_think.jsonl': [824, 139, 130, 789],
    'o3-mini_frames_medium_effort.jsonl': [824, 304, 264, 762],
    'o4-mini_frames_low_effort.jsonl': [824, 382, 398, 688],
  };
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.jsonl'))) {
    const rows = readFileSync(new URL(f, dir), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as { answer: string; response: string; grading: string });
    let a = 0;
    let sub = 0;
    let agree = 0;
    for (const r of rows) {
      const isA = parseSimpleQaGrade(r.grading) === 'A';
      if (isA) a++;
      const s = subEmScore(framesAnswerPart(r.response), r.answer);
      sub += s;
      if ((s === 1) === isA) agree++;
    }
    assert.deepEqual([rows.length, a, sub, agree], want[f], f);
  }
});

test('QwenLong judge verdict: raw YES substring (parity) and strict [[YES]]', () => {
  assert.equal(qwenJudgeVerdict('... so [[YES]]'), 1);
  assert.equal(qwenJudgeVerdict('They are not equal. YES would be wrong. [[NO]]'), 1); // parity quirk
  assert.equal(qwenJudgeVerdictStrict('They are not equal. YES would be wrong. [[NO]]'), 0);
  assert.equal(qwenJudgeVerdict('yes'), 0);
});

test('HotpotQA / SQuAD v2 / 2Wiki variants', () => {
  assert.deepEqual(hotpotF1('yes', 'no'), { f1: 0, precision: 0, recall: 0 });
  assert.deepEqual(hotpotF1('yes it is', 'yes'), { f1: 0, precision: 0, recall: 0 }); // gold yes, pred differs
  assert.equal(hotpotF1('Yes.', 'yes').f1, 1);
  assert.deepEqual(hotpotF1('the big red barn', 'red barn'), { f1: 0.8, precision: 2 / 3, recall: 1 });
  assert.equal(exactMatchScore('The  Barn!', 'barn'), 1);
  assert.equal(squadV2F1('', ''), 1);
  assert.equal(squadV2F1('the', ''), 1); // "the" normalises to no tokens: both empty
  assert.equal(squadV2F1('x', ''), 0);
  assert.equal(squadV2F1('', 'x'), 0);
  assert.equal(squadV2F1('red barn', 'the red barn'), 1);
  const w = twoWikiScores('red house', ['blue house', 'red barn']);
  assert.deepEqual(w, { em: 0, f1: 0.5, precision: 0.5, recall: 0.5 });
});

test('RULER string_match_all / part', () => {
  assert.equal(rulerPostprocess('  a\x01b\t '), 'a\nb');
  assert.equal(stringMatchAll(['The values are 123 and 456.', 'none'], [['123', '456', '789'], ['x']]), pyRound2((2 / 3 / 2) * 100));
  assert.equal(stringMatchPart(['ANSWER: Paris', 'Rome'], [['paris', 'lyon'], ['milan']]), 50);
});
function pyRound2(x: number): number {
  return Math.round(x * 100) / 100; // exact here: 33.333… has no tie
}

test('InfiniteBench scorers', () => {
  assert.equal(firstIntMatch('key: 12a34'), '12');
  assert.equal(firstIntMatch('none'), '');
  assert.equal(passkeyCorrect('The pass key is 71432.', '71432'), true);
  assert.equal(passkeyCorrect('The pass key is 71432 or 1.', '1'), false);
  assert.equal(kvRetrievalCorrect('{"value": "a1b2-c3"}.', 'a1b2-c3'), true);
  assert.equal(kvRetrievalCorrect('a1b2-c3x', 'a1b2-c3'), false);
  assert.equal(choiceCorrect('B. Because', ['B', 'the dog']), true);
  assert.equal(choiceCorrect('  C', ['B']), false);
  assert.equal(choiceCorrect('I think the answer is: the dog', ['B', 'the dog']), true);
  assert.equal(choiceCorrect('The answer is', ['B']), false); // prefix at the very end
  assert.equal(choiceCorrect('maybe D then', ['D']), true);
  assert.equal(choiceCorrect('', ['A']), false);
});

test('QwenLong-L1 QA: evaluation-mode extraction, sub-EM vs answers[0], max with judge', () => {
  assert.equal(subEmScore('Bob Dylan', 'bob dylan'), 1);
  assert.equal(subEmScore('the', 'Paris'), 1); // empty normalised prediction matches (parity)
  assert.equal(subEmScore('the', 'Paris', true), 0);
  assert.equal(qwenLongQaScore('<think>…</think>Therefore, the answer is Bob Dylan.', ['Bob Dylan']), 1);
  assert.equal(qwenLongQaScore('Therefore, the answer is Bob Dylan.', ['Bob Dylan']), 1); // no </think>: whole response
  assert.equal(qwenLongQaScore('The answer is Bob Dylan.', ['Bob Dylan']), 0); // capital T: no marker
  assert.equal(qwenLongQaScore('Therefore, the answer is Dylan', ['X', 'Dylan']), 0); // answers[0] only
  assert.equal(qwenLongQaScore('Therefore, the answer is Robert Zimmerman', ['Bob Dylan'], 1), 1);
  assert.equal(qwenLongQaScore('Therefore, the answer is Robert Zimmerman', ['Bob Dylan'], 0), 0);
});

test('QwenLong-L1 DocMath: gold via str(), 2-decimal ceil, judge', () => {
  assert.equal(docmathGoldString(3), '3');
  assert.equal(docmathGoldString(1e-5), '1e-05');
  assert.equal(docmathGoldString(0.125), '0.125');
  assert.equal(qwenLongDocmathScore('</think>Therefore, the answer is 12.5%.', 0.125), 1); // percent slack
  assert.equal(qwenLongDocmathScore('Therefore, the answer is $1,234.5.', 1234.5), 1);
  assert.equal(qwenLongDocmathScore('Therefore, the answer is 3.141.', 3.14), 1); // ceil at 2 decimals: 3.15 = 3.15
  assert.equal(qwenLongDocmathScore('Therefore, the answer is 7.', 8), 0);
  assert.equal(qwenLongDocmathScore('no number here', 8), 0);
  assert.equal(qwenLongDocmathScore('no number here', 8, 1), 1);
  // str(1e-05) = "1e-05" → the gold regex stops at "e": the gold becomes 1 (reference bug, kept).
  assert.equal(qwenLongDocmathScore('Therefore, the answer is 1.', 1e-5), 1);
  assert.equal(qwenLongDocmathScore('Therefore, the answer is 0.5.', 1e-5), 0);
});

test('InfiniteBench Chinese F1: characters as tokens, Chinese punctuation removed', () => {
  assert.equal(normalizeZhAnswer('北京，中国！ A b'), '北京中国ab');
  assert.equal(qaF1ZhChar('北京', '北京市'), (2 * 1 * (2 / 3)) / (1 + 2 / 3));
  assert.equal(qaF1ZhChar('上海', '北京'), 0);
  assert.equal(qaF1ZhChar('😀北', '北😀'), 1); // astral characters are one token each
});

test('Qasper references per annotator', async () => {
  const { qasperReference } = await import('../../src/eval/index.ts');
  assert.equal(qasperReference({ unanswerable: true, extractive_spans: ['x'] }), 'Unanswerable');
  assert.equal(qasperReference({ extractive_spans: ['BERT', 'ELMo'], free_form_answer: 'z' }), 'BERT, ELMo');
  assert.equal(qasperReference({ extractive_spans: [], free_form_answer: 'a small corpus' }), 'a small corpus');
  assert.equal(qasperReference({ extractive_spans: [], free_form_answer: '', yes_no: false }), 'No');
  assert.equal(qasperReference({ yes_no: true }), 'Yes');
});
