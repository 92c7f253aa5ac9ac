/**
 * Scores of one sampled response to an evaluation item, by the item's kind:
 * - `qa` (LongBench v1, Frames): QwenLong-L1 evaluation (qwenlong-recipe.md §4, §14.1):
 *   evaluation-mode extraction, sub-EM against `answers[0]`, max with the judge; also the
 *   LongBench token F1 of the extracted answer (max over all answers) as an extra column;
 * - `docmath`: the DocMath comparator with the 2-decimal ceil, max with the judge;
 * - `choice` (LongBench v2): the letter after "The correct answer is" equals the gold;
 * - `synth`: the training rule reward (src/reward/rule.ts) in evaluation mode, max with
 *   the judge when the rule allows one;
 * - `rendered` (MiniLongBench prompts): the LongBench metric of the item's task on the
 *   raw response (no first-line cut, as MiniLongBench scores).
 */
import { answerSection, docmathJudgeFallbackText, extractDocmathAnswer, extractQaAnswer } from '../reward/extract.ts';
import { ruleReward } from '../reward/rule.ts';
import { qwenLongDocmathScore, qwenLongQaScore } from './metrics/qwenlong.ts';
import { extractV2Answer } from './metrics/longbench-v2.ts';
import { qaF1Score } from './metrics/tokenf1.ts';
import { longBenchItemScore } from './metrics/longbench-scorer.ts';
import type { EvalItem } from './items.ts';

export interface RuleScores {
  /** The answer the scorer compared (null when none was found). */
  extracted: string | null;
  /** Every score of this response, in [0, 1]; `judge` filled in later (null: not asked). */
  scores: Record<string, number | null>;
  /** Name of the score in `scores` the benchmark reports (before the judge). */
  primary: string;
  /** What the judge compares, or null when this kind never goes to the judge. */
  judge: { prediction: string; gold: string; always: boolean } | null;
}

export function ruleScores(item: EvalItem, response: string): RuleScores {
  const section = answerSection(response, 'evaluation') ?? '';
  switch (item.kind) {
    case 'qa': {
      const extracted = extractQaAnswer(section);
      const subEm = qwenLongQaScore(response, item.answers);
      const f1 = extracted === null ? 0 : Math.max(0, ...item.answers.map((g) => qaF1Score(extracted, g)));
      return { extracted, scores: { sub_em: subEm, qa_f1: f1 }, primary: 'sub_em', judge: { prediction: extracted ?? 'None', gold: item.answers[0] ?? '', always: true } };
    }
    case 'docmath': {
      const extracted = extractDocmathAnswer(section, 'evaluation');
      const score = qwenLongDocmathScore(response, item.docmathGold ?? item.answers[0] ?? '');
      return { extracted, scores: { docmath: score }, primary: 'docmath', judge: { prediction: extracted ?? docmathJudgeFallbackText(section), gold: item.answers[0] ?? '', always: true } };
    }
    case 'choice': {
      const extracted = extractV2Answer(section);
      return { extracted, scores: { acc: extracted !== null && extracted === item.answers[0] ? 1 : 0 }, primary: 'acc', judge: null };
    }
    case 'rendered': {
      const s = longBenchItemScore(item.task, response, item.answers, item.allClasses ?? [], { firstLineCut: false });
      return { extracted: null, scores: { longbench: s }, primary: 'longbench', judge: null };
    }
    case 'synth': {
      const r = ruleReward({ dataSource: item.dataSource ?? item.task, response, groundTruth: item.answers, question: item.question }, { mode: 'evaluation' });
      return {
        extracted: r.extracted, scores: { rule: r.score }, primary: 'rule',
        judge: r.judgeable ? { prediction: r.extracted ?? 'None', gold: r.gold ?? item.answers[0] ?? '', always: false } : null,
      };
    }
  }
}

/** The reported score: the primary rule score, max with the judge verdict when there is one. */
export function finalScore(r: RuleScores, judge: number | null): number {
  const rule = r.scores[r.primary] ?? 0;
  return judge === null ? rule : Math.max(rule, judge);
}
