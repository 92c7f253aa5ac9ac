/**
 * The hybrid reward of QwenLong-L1 (qwenlong-recipe.md §6, §7): the rule verifier first;
 * the LLM judge only when the rule says less than 1, never for multiple choice;
 * reward = max(rule, judge); `acc` taken before shaping; then DAPO overlong shaping.
 * A judge that fails for good leaves the rule score in place and is counted.
 */
import { UserError } from '../util/errors.ts';
import type { Judge, JudgeRequest, JudgeVerdict } from './judge.ts';
import { questionFromPrompt } from './judge-prompt.ts';
import { ruleReward, type RuleInput, type RuleKind, type RuleOptions } from './rule.ts';
import { overlongPenalty, type OverlongConfig } from './shaping.ts';

export interface HybridItem extends RuleInput {
  /**
   * The decoded prompt; the judge's question is its slice between `</text>` and
   * `Format your response as follows:` (training code), unless `question` is given.
   */
  prompt?: string;
  /** Response length in tokens, for overlong shaping. */
  responseLength?: number;
}

export interface HybridOptions {
  /** The judge; null/absent = rule only. */
  judge?: Judge | null;
  /** Options of the rule verifiers (compat, extraction mode, registry). */
  rule?: RuleOptions;
  /** DAPO overlong shaping; null/absent = none. */
  overlong?: OverlongConfig | null;
}

export interface HybridResult {
  /** Rule score. */
  rule: number;
  /** Judge score; null when the judge was not called or failed. */
  judge: number | null;
  /** Strict `[[YES]]` verdict beside the reference one; null when not judged. */
  judgeStrict: boolean | null;
  /** Why the judge failed (reward fell back to the rule); null otherwise. */
  judgeError: string | null;
  /** max(rule, judge), before shaping. */
  score: number;
  /** Overlong shaping added to the score (≤ 0). */
  shaping: number;
  /** score + shaping: what the advantage sees. */
  reward: number;
  /** score == 1, before shaping (what dynamic sampling filters on). */
  acc: boolean;
  kind: RuleKind;
  extracted: string | null;
  gold: string | null;
}

export interface HybridBatch {
  results: HybridResult[];
  /** Batch metrics: means and counts, named for metrics.jsonl. */
  metrics: Record<string, number>;
}

/** The judge's `problem` for an item: `question`, else the prompt slice, else "". */
export function judgeProblem(item: HybridItem): string {
  if (item.question !== undefined) return item.question;
  if (item.prompt !== undefined) return questionFromPrompt(item.prompt) ?? '';
  return '';
}

/**
 * Scores a batch. Judge calls of the batch run concurrently (bounded by the judge's own
 * limit); results come back in input order.
 */
export async function hybridReward(items: readonly HybridItem[], opts: HybridOptions = {}): Promise<HybridBatch> {
  const rules = items.map((it) => ruleReward(it, opts.rule));
  const judge = opts.judge ?? null;

  const pending: { index: number; req: JudgeRequest }[] = [];
  if (judge) {
    rules.forEach((r, i) => {
      // Nothing to judge without an extracted answer (no </think>, no "the answer is").
      if (r.score < 1 && r.judgeable && r.extracted !== null && r.gold !== null) {
        pending.push({ index: i, req: { problem: judgeProblem(items[i] as HybridItem), prediction: r.extracted, gold: r.gold } });
      }
    });
  }
  const verdicts = new Map<number, JudgeVerdict>();
  if (judge && pending.length > 0) {
    const got = await judge.judgeMany(pending.map((p) => p.req));
    pending.forEach((p, k) => verdicts.set(p.index, got[k] as JudgeVerdict));
  }

  let fallbacks = 0;
  let raised = 0;
  let penalized = 0;
  const results = rules.map((r, i): HybridResult => {
    const item = items[i] as HybridItem;
    const v = verdicts.get(i);
    const judgeScore = v?.score ?? null;
    if (v && v.score === null) fallbacks++;
    const score = judgeScore === null ? r.score : Math.max(r.score, judgeScore);
    if (score > r.score) raised++;
    let shaping = 0;
    if (opts.overlong) {
      if (item.responseLength === undefined) {
        throw new UserError(`overlong shaping needs the response length in tokens (item ${i}, data_source "${item.dataSource}")`);
      }
      shaping = overlongPenalty(item.responseLength, opts.overlong.maxLen, opts.overlong.buffer, opts.overlong.factor ?? 1.0);
      if (shaping < 0) penalized++;
    }
    return {
      rule: r.score,
      judge: judgeScore,
      judgeStrict: v && v.score !== null ? v.strictYes : null,
      judgeError: v?.error ?? null,
      score,
      shaping,
      reward: score + shaping,
      acc: score === 1,
      kind: r.kind,
      extracted: r.extracted,
      gold: r.gold,
    };
  });

  const n = Math.max(1, results.length);
  const sum = (f: (r: HybridResult) => number): number => results.reduce((s, r) => s + f(r), 0);
  return {
    results,
    metrics: {
      'reward/mean': sum((r) => r.reward) / n,
      'reward/rule_mean': sum((r) => r.rule) / n,
      'reward/score_mean': sum((r) => r.score) / n,
      'reward/acc': sum((r) => (r.acc ? 1 : 0)) / n,
      'reward/shaping_mean': sum((r) => r.shaping) / n,
      'reward/overlong_penalized': penalized,
      'reward/judge_requested': pending.length,
      'reward/judge_raised': raised,
      'reward/judge_fallbacks': fallbacks,
      'reward/no_answer': rules.filter((r) => r.extracted === null).length,
    },
  };
}
