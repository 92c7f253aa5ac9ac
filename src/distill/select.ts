/**
 * Rejection sampling of one record's replies (QwenLong-L1 warm-up SFT, qwenlong-recipe.md
 * §1, §12: R1-distilled traces "filtered for quality"): drop replies that were cut off
 * (`finish_reason: length`, or a `<think>` never closed), that carry no reasoning or no
 * answer; score the rest with the hybrid reward (rule, then the judge when the rule says
 * no); keep at most `keep` correct ones, shortest trace first (ties: sample order), so the
 * SFT data teaches the most direct correct reasoning.
 */
import type { DocQARecord } from '../data/record.ts';
import { goldAnswers } from '../data/record.ts';
import { renderPrompt } from '../data/prompt.ts';
import { hybridReward, type HybridOptions, type HybridResult } from '../reward/hybrid.ts';
import { qwenlongTrace, splitReply, type ReasoningFormat } from './reasoning.ts';
import type { TeacherReply } from './teacher.ts';

/** What became of one reply. */
export type Outcome = 'correct' | 'incorrect' | 'truncated' | 'no_reasoning' | 'no_answer';
export const OUTCOMES: readonly Outcome[] = ['correct', 'incorrect', 'truncated', 'no_reasoning', 'no_answer'];

export interface Candidate {
  /** Index of the reply among the K samples. */
  sample: number;
  outcome: Outcome;
  format: ReasoningFormat;
  finishReason: string | null;
  /** The QwenLong-format trace (null when the reply was dropped before scoring). */
  trace: string | null;
  /** Trace length in the run's unit (tokens or characters); 0 when dropped unscored. */
  length: number;
  /** Hybrid reward result (null when dropped before scoring). */
  score: HybridResult | null;
}

export interface SelectOptions {
  /** Keep at most this many correct replies (≥ 1). */
  keep: number;
  /** Trace length for the shorter-first preference (tokens with a tokenizer, else characters). */
  measure: (trace: string) => number;
  /** Drop replies without reasoning (default true: warm-up SFT is about the reasoning). */
  requireReasoning?: boolean;
  /** Judge, rule options (as hybridReward takes them). */
  reward?: HybridOptions;
}

/** Classifies and scores the K replies of a record (in sample order). */
export async function scoreReplies(record: DocQARecord, replies: readonly TeacherReply[], opts: SelectOptions): Promise<Candidate[]> {
  const requireReasoning = opts.requireReasoning ?? true;
  const cands: Candidate[] = replies.map((rep, sample) => {
    const split = splitReply(rep.content, rep.reasoningContent);
    const base = { sample, format: split.format, finishReason: rep.finishReason, trace: null, length: 0, score: null };
    if (rep.finishReason === 'length' || split.unclosed) return { ...base, outcome: 'truncated' };
    if (requireReasoning && split.reasoning === '') return { ...base, outcome: 'no_reasoning' };
    if (split.answer === '') return { ...base, outcome: 'no_answer' };
    const trace = qwenlongTrace(split.reasoning, split.answer);
    return { ...base, outcome: 'incorrect', trace, length: opts.measure(trace) };
  });
  const toScore = cands.filter((c) => c.trace !== null);
  if (toScore.length > 0) {
    const gold = goldAnswers(record);
    const prompt = renderPrompt(record);
    const batch = await hybridReward(
      toScore.map((c) => ({ dataSource: record.data_source, response: c.trace as string, groundTruth: gold, question: record.question, prompt })),
      opts.reward ?? {},
    );
    toScore.forEach((c, i) => {
      const r = batch.results[i] as HybridResult;
      c.score = r;
      c.outcome = r.acc ? 'correct' : 'incorrect';
    });
  }
  return cands;
}

/** The correct candidates to keep: shortest trace first, ties by sample index, at most `keep`. */
export function pickShortestCorrect(cands: readonly Candidate[], keep: number): Candidate[] {
  return cands
    .filter((c) => c.outcome === 'correct')
    .sort((a, b) => a.length - b.length || a.sample - b.sample)
    .slice(0, keep);
}

export interface TeacherInfo {
  name: string;
  kind: 'openai' | 'local';
}

/**
 * The SFT records of one record: the input record (any old `trace` replaced) with the
 * kept trace, `teacher` (who, which sample, how the reasoning came) and `scores` (reward
 * parts, length, how many of the K were correct). The first keeps the record's id; further
 * ones (`--keep` > 1) get `<id>#1`, `<id>#2`, ... so ids stay unique.
 */
export function sftRecords(record: DocQARecord, cands: readonly Candidate[], picked: readonly Candidate[], teacher: TeacherInfo, unit: string): DocQARecord[] {
  const correct = cands.filter((c) => c.outcome === 'correct').length;
  const { trace: _old, teacher: _t, scores: _s, ...base } = record;
  return picked.map((c, rank): DocQARecord => {
    const s = c.score as HybridResult;
    return {
      ...base,
      id: rank === 0 ? record.id : `${record.id}#${rank}`,
      trace: c.trace as string,
      teacher: {
        name: teacher.name,
        kind: teacher.kind,
        source_id: record.id,
        sample: c.sample,
        reasoning_format: c.format,
        finish_reason: c.finishReason,
      },
      scores: {
        rule: s.rule,
        judge: s.judge,
        score: s.score,
        acc: s.acc,
        extracted: s.extracted,
        trace_length: c.length,
        length_unit: unit,
        correct_of_sampled: correct,
        sampled: cands.length,
      },
    };
  });
}
