/**
 * Metrics by name, for `longrl score` and the evaluation runner (contracts.md §4). A
 * metric scores one prediction against one item's gold (all its answers) and returns a
 * value in [0, 1]; tables report `round(100 · mean, 2)`.
 *
 * Gold arrives as a string, a list (the metric takes the max over its items, starting
 * at 0 as LongBench's `scorer` does), or an object holding `answers` (and
 * `all_classes` for classification).
 */
import { extractChoiceGold } from '../../reward/extract.ts';
import { classificationScore, codeSimScore, countScore, retrievalScore, retrievalZhScore } from './longbench.ts';
import { rougeScore } from './rouge.ts';
import { exactMatchScore, hotpotF1, qaF1Score, squadV2F1 } from './tokenf1.ts';
import { docmathGoldString, qwenLongDocmathScore, qwenLongQaScore, subEmScore } from './qwenlong.ts';
import { extractV2Answer } from './longbench-v2.ts';
import { lEvalExactMatch } from './leval.ts';
import { rulerPostprocess, stringMatchAllOne, stringMatchPartOne } from './ruler.ts';
import { choiceCorrect, kvRetrievalCorrect, passkeyCorrect, qaF1ZhChar } from './infinitebench.ts';
import { parseFramesDecision, parseSimpleQaGrade } from './judges.ts';

/** An item's gold, normalised: the answer strings and the classification label set. */
export interface Gold {
  answers: string[];
  allClasses: string[];
}

/** Extra per-item inputs some metrics take. */
export interface MetricContext {
  /** A judge verdict in [0, 1]; metrics with `acceptsJudge` score `max(rule, judge)`. */
  judge?: number | null;
}

export interface MetricDef {
  name: string;
  /** One line for `longrl score --help` and error messages. */
  description: string;
  /** False for metrics that read only the prediction (judge-reply parsers). */
  needsGold: boolean;
  /** True where the reference combines the rule with an LLM judge by max. */
  acceptsJudge: boolean;
  score(prediction: string, gold: Gold, ctx?: MetricContext): number;
}

/** Python `str()` of a JSON scalar gold: ints plainly, floats as Python's repr. */
export function goldScalarString(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return docmathGoldString(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return null;
}

/**
 * Normalises a gold value; null when it has an unusable shape (the caller names the
 * file and line).
 */
export function parseGold(value: unknown): Gold | null {
  const scalar = goldScalarString(value);
  if (scalar !== null) return { answers: [scalar], allClasses: [] };
  const list = (v: unknown): string[] | null => {
    if (!Array.isArray(v)) {
      const s = goldScalarString(v);
      return s === null ? null : [s];
    }
    const out: string[] = [];
    for (const x of v) {
      const s = goldScalarString(x);
      if (s === null) return null;
      out.push(s);
    }
    return out;
  };
  if (Array.isArray(value)) {
    const answers = list(value);
    return answers === null ? null : { answers, allClasses: [] };
  }
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (!('answers' in o)) return null;
    const answers = list(o['answers']);
    const allClasses = o['all_classes'] === undefined || o['all_classes'] === null ? [] : list(o['all_classes']);
    return answers === null || allClasses === null ? null : { answers, allClasses };
  }
  return null;
}

/** `max(0, f(pred, gt) for gt in answers)`: LongBench `scorer`'s loop. */
function maxOver(f: (p: string, g: string, gold: Gold) => number): (p: string, gold: Gold) => number {
  return (p, gold) => {
    let best = 0.0;
    for (const g of gold.answers) best = Math.max(best, f(p, g, gold));
    return best;
  };
}

function def(
  name: string,
  description: string,
  score: (p: string, gold: Gold, ctx: MetricContext) => number,
  opts: { needsGold?: boolean; acceptsJudge?: boolean } = {},
): MetricDef {
  return {
    name,
    description,
    needsGold: opts.needsGold ?? true,
    acceptsJudge: opts.acceptsJudge ?? false,
    score: (p, gold, ctx = {}) => score(p, gold, ctx),
  };
}

const b = (x: boolean): number => (x ? 1.0 : 0.0);

const DEFS: MetricDef[] = [
  def('qa_f1', 'LongBench qa_f1_score: SQuAD-normalised token F1, max over golds', maxOver(qaF1Score)),
  def('f1', 'SQuAD v1.1 token F1 (= qa_f1; L-Eval f1.py), max over golds', maxOver(qaF1Score)),
  def('em', 'SQuAD exact match after normalisation, max over golds', maxOver(exactMatchScore)),
  def('squad_v2_f1', 'SQuAD v2 / MuSiQue F1 (empty token lists score equality), max over golds', maxOver(squadV2F1)),
  def('hotpot_f1', 'HotpotQA F1 (yes/no/noanswer must match exactly), max over golds', maxOver((p, g) => hotpotF1(p, g).f1)),
  def('rouge', 'LongBench rouge_score: pltrdy rouge 1.0.1 ROUGE-L F, max over golds', maxOver(rougeScore)),
  def('classification', 'LongBench classification_score (trec, lsht); needs all_classes', maxOver((p, g, gold) => classificationScore(p, g, gold.allClasses))),
  def('retrieval', 'LongBench retrieval_score: gold "Paragraph k"', maxOver(retrievalScore)),
  def('retrieval_zh', 'LongBench retrieval_zh_score: gold "段落k"', maxOver(retrievalZhScore)),
  def('count', 'LongBench count_score: share of numbers equal to the gold count', maxOver(countScore)),
  def('code_sim', 'LongBench code_sim_score: fuzz.ratio of the first code line', maxOver(codeSimScore)),
  def('sub_em', 'sub-EM / CEM: normalised gold in prediction or prediction in gold, max over golds', maxOver((p, g) => subEmScore(p, g))),
  def(
    'qwenlong_qa',
    'QwenLong-L1 DocQA: answer after the last "the answer is" (after </think>), sub-EM vs answers[0], max with judge',
    (p, gold, ctx) => qwenLongQaScore(p, gold.answers, ctx.judge),
    { acceptsJudge: true },
  ),
  def(
    'docmath',
    'QwenLong-L1 DocMath: extracted number vs answers[0] with the DocMath-Eval comparator (2-decimal ceil), max with judge',
    (p, gold, ctx) => (gold.answers[0] === undefined ? 0 : qwenLongDocmathScore(p, gold.answers[0], ctx.judge)),
    { acceptsJudge: true },
  ),
  def('choice', 'LongBench v2 multiple choice: "The correct answer is (X)" vs the gold letter', (p, gold) => {
    const want = gold.answers[0] === undefined ? null : extractChoiceGold(gold.answers[0]);
    const got = extractV2Answer(p);
    return b(want !== null && got === want);
  }),
  def('leval_em', 'L-Eval exam exact match (0.25 partial credit on multi-letter golds), max over golds', (p, gold) => {
    let best = 0;
    for (const g of gold.answers) best = Math.max(best, lEvalExactMatch(p, g));
    return best;
  }),
  def('ruler_all', 'RULER string_match_all: share of golds found in the prediction (case-insensitive)', (p, gold) =>
    gold.answers.length === 0 ? 0 : stringMatchAllOne(rulerPostprocess(p), gold.answers),
  ),
  def('ruler_part', 'RULER string_match_part: 1 if any gold is found in the prediction', (p, gold) =>
    stringMatchPartOne(rulerPostprocess(p), gold.answers),
  ),
  def('passkey', 'InfiniteBench passkey / number_string: first digit run equals the gold', (p, gold) => b(passkeyCorrect(p, gold.answers[0] ?? ''))),
  def('kv_retrieval', 'InfiniteBench kv_retrieval: the gold is one of the prediction words', (p, gold) => b(kvRetrievalCorrect(p, gold.answers[0] ?? ''))),
  def('ib_qa_f1_zh', 'InfiniteBench qa_f1_score_zh: character-level F1 (no jieba), max over golds', maxOver(qaF1ZhChar)),
  def('ib_choice', 'InfiniteBench longbook_choice_eng: letter from the prediction in the gold list', (p, gold) => b(choiceCorrect(p, gold.answers))),
  def('frames_judge', 'FRAMES autorater reply (the prediction field): 1 iff its Decision: line says TRUE', (p) => b(parseFramesDecision(p)), {
    needsGold: false,
  }),
  def('simpleqa_grade', 'SimpleQA grader reply (the prediction field): 1 iff its first A/B/C letter is A', (p) => b(parseSimpleQaGrade(p) === 'A'), {
    needsGold: false,
  }),
];

/** Every metric by name. */
export const METRICS: ReadonlyMap<string, MetricDef> = new Map(DEFS.map((d) => [d.name, d]));

/** Aliases accepted on the command line (LongBench's function names). */
const ALIASES: Readonly<Record<string, string>> = {
  qa_f1_score: 'qa_f1',
  rouge_score: 'rouge',
  classification_score: 'classification',
  retrieval_score: 'retrieval',
  retrieval_zh_score: 'retrieval_zh',
  count_score: 'count',
  code_sim_score: 'code_sim',
  cem: 'sub_em',
};

/** Names that exist in LongBench but need jieba, with the reason they are missing. */
const MISSING: Readonly<Record<string, string>> = {
  qa_f1_zh: 'qa_f1_zh segments Chinese with jieba, which has no faithful JavaScript port (ib_qa_f1_zh is the character-level F1 InfiniteBench uses)',
  rouge_zh: 'rouge_zh segments Chinese with jieba, which has no faithful JavaScript port',
};

/** The metric called `name` (or an alias); undefined plus a reason when unknown. */
export function getMetric(name: string): { metric?: MetricDef; reason?: string } {
  const m = METRICS.get(ALIASES[name] ?? name);
  if (m) return { metric: m };
  const why = MISSING[name];
  return { reason: why ?? `unknown metric "${name}"; known: ${[...METRICS.keys()].join(', ')}` };
}
