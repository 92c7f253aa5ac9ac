/**
 * The rule verifiers on real data from ../shared/data (contracts.md §5: Frames serves the
 * scorers and the judge-verdict parser; TAT-QA's arithmetic answers serve the DocMath
 * comparator, scorers.md §0).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { pyNumberStr, ruleReward, subEm } from '../../src/reward/index.ts';
import { normalizeAnswer } from '../../src/util/pytext.ts';

const shared = new URL('../../../shared/data/', import.meta.url);

/** SimpleQA grader's cut (scorers.md §7): after the last `Answer:`/`Final Answer`, `**` removed. */
function simpleQaCut(response: string): string {
  const s = response.replaceAll('**', '');
  const at = Math.max(s.lastIndexOf('Answer:'), s.lastIndexOf('Final Answer'));
  if (at < 0) return s;
  return s.slice(at).replace(/^(Final Answer|Answer):?/, '');
}

interface FramesRow { answer: string; response: string; grading: string }

test('Frames: rule sub-EM agrees with the A/B/C grades; the empty-answer guard matters on real outputs', (t) => {
  const dir = new URL('frames/outputs/', shared);
  const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort();
  assert.equal(files.length, 5);
  let guardFlips = 0;
  for (const f of files) {
    const rows = readFileSync(new URL(f, dir), 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as FramesRow);
    let agree = 0;
    let hits = 0;
    let hitsA = 0;
    let gradeA = 0;
    for (const r of rows) {
      const pred = simpleQaCut(r.response);
      const s = subEm(pred, r.answer);
      const ref = subEm(pred, r.answer, { compat: 'reference' });
      if (ref !== s) {
        guardFlips++;
        // every flip is an answer or gold that normalises to "" (an "Answer:" with nothing
        // after it; a Morse-code gold "....-"), and the grader never called it correct
        assert.ok(normalizeAnswer(pred) === '' || normalizeAnswer(r.answer) === '', `${f}: ${pred} / ${r.answer}`);
        assert.notEqual(r.grading, 'A', f);
      }
      if (r.grading === 'A') gradeA++;
      if (s === 1) {
        hits++;
        if (r.grading === 'A') hitsA++;
      }
      if ((s === 1) === (r.grading === 'A')) agree++;
    }
    const agreement = agree / rows.length;
    const precision = hitsA / hits;
    const recall = hitsA / gradeA;
    t.diagnostic(`${f}: n=${rows.length} agreement=${agreement.toFixed(3)} precision=${precision.toFixed(3)} recall=${recall.toFixed(3)}`);
    assert.ok(agreement >= 0.9, `${f} agreement ${agreement}`);
    assert.ok(precision >= 0.85, `${f} precision ${precision}`);
    // sub-EM misses paraphrases the grader accepts: the reason for the judge
    assert.ok(recall < 1, f);
  }
  assert.ok(guardFlips >= 60, `guard flips ${guardFlips}`);
});

interface TatQuestion { answer: unknown; answer_type: string; scale: string }

function tatqaArithmetic(): { value: number; scale: string }[] {
  const out: { value: number; scale: string }[] = [];
  for (const name of ['tatqa/tatqa_dataset_test_gold.json', 'tatqa/tatqa_dataset_dev.json']) {
    const docs = JSON.parse(readFileSync(new URL(name, shared), 'utf8')) as { questions: TatQuestion[] }[];
    for (const d of docs) {
      for (const q of d.questions) {
        if (q.answer_type === 'arithmetic' && typeof q.answer === 'number') out.push({ value: q.answer, scale: q.scale });
      }
    }
  }
  return out;
}

test('TAT-QA arithmetic answers through the DocMath comparator: scale, x100, x1000, sign, 0.1 % pass; 0.5 % and x2 fail', () => {
  const answers = tatqaArithmetic();
  assert.ok(answers.length > 1000, `${answers.length} arithmetic answers`);
  const score = (gold: number, pred: string): number =>
    ruleReward({
      dataSource: 'docmath_tatqa',
      response: `<think>\ncomputing\n</think>\n\nTherefore, the answer is ${pred}.`,
      groundTruth: `Therefore, the answer is ${pyNumberStr(gold)}`,
    }).score;
  const fmt = (x: number): string => {
    const s = String(x);
    assert.ok(!s.includes('e'), s);
    return s;
  };
  const counts = { off05: 0, double: 0, nonzero: 0 };
  for (const { value: a, scale } of answers) {
    const withScale = scale === 'percent' ? `${fmt(a)}%` : scale === 'million' ? `$${fmt(a)} million` : scale === 'thousand' ? `${fmt(a)} thousand` : fmt(a);
    assert.equal(score(a, withScale), 1, `${a} ${scale} as ${withScale}`);
    assert.equal(score(a, fmt(a * 100)), 1, `${a} x100`);
    assert.equal(score(a, fmt(a * 1000)), 1, `${a} x1000`);
    assert.equal(score(a, fmt(-a)), 1, `${a} sign flip`);
    assert.equal(score(a, fmt(a * 1.001)), 1, `${a} +0.1%`);
    assert.equal(score(a, fmt(a * 0.999)), 1, `${a} -0.1%`);
    if (a !== 0) {
      counts.nonzero++;
      counts.off05 += score(a, fmt(a * 1.005));
      counts.double += score(a, fmt(a * 2));
    }
  }
  // +0.5 % or x2 only pass where the 3-decimal ceil makes tiny values equal
  assert.ok(counts.off05 <= counts.nonzero * 0.01, `+0.5% passed ${counts.off05}/${counts.nonzero}`);
  assert.ok(counts.double <= counts.nonzero * 0.005, `x2 passed ${counts.double}/${counts.nonzero}`);
});
