/**
 * LongBench v1 `metrics.py` scores other than token F1 and ROUGE (scorers.md §3):
 * count, retrieval (en/zh), classification and code similarity. Each takes the raw
 * prediction and one gold string and returns a score in [0, 1].
 */
import { fuzzRatio } from './levenshtein.ts';

/** Python `re.findall(r"\d+", s)`: `\d` is every Unicode decimal digit in Python 3. */
function findAllDigitRuns(s: string): string[] {
  return s.match(/\p{Nd}+/gu) ?? [];
}

/** Share of the digit runs in `prediction` equal to `target` (0 when there are none). */
function shareEqual(prediction: string, target: string): number {
  const numbers = findAllDigitRuns(prediction);
  if (numbers.length === 0) return 0.0;
  let right = 0;
  for (const n of numbers) if (n === target) right++;
  return right / numbers.length;
}

/** `count_score`: share of the numbers in the prediction equal to the gold count. */
export function countScore(prediction: string, groundTruth: string): number {
  return shareEqual(prediction, String(groundTruth));
}

function retrievalWith(pattern: RegExp, prediction: string, groundTruth: string): number {
  const m = pattern.exec(groundTruth);
  // The reference indexes matches[0] and raises on a malformed gold; an item whose gold
  // names no paragraph cannot be scored, so say so instead of returning a number.
  if (!m) throw new Error(`retrieval gold ${JSON.stringify(groundTruth)} names no paragraph`);
  return shareEqual(prediction, m[1] as string);
}

/** `retrieval_score`: gold "Paragraph k"; share of the prediction's numbers equal to k. */
export function retrievalScore(prediction: string, groundTruth: string): number {
  return retrievalWith(/Paragraph (\p{Nd}+)/u, prediction, groundTruth);
}

/** `retrieval_zh_score`: gold "段落k". */
export function retrievalZhScore(prediction: string, groundTruth: string): number {
  return retrievalWith(/段落(\p{Nd}+)/u, prediction, groundTruth);
}

/**
 * `classification_score`: the classes (in `all_classes` order) occurring in the
 * prediction; then the reference removes, while iterating over that same list, every
 * class that is a proper substring of the gold. Python's list iterator advances its
 * index after each removal, so the element right after a removed one is never
 * examined; this reproduces that. Score `1/len` if the gold survived, else 0.
 */
export function classificationScore(prediction: string, groundTruth: string, allClasses: readonly string[]): number {
  const em: string[] = [];
  for (const c of allClasses) if (prediction.includes(c)) em.push(c);
  for (let i = 0; i < em.length; i++) {
    const t = em[i] as string;
    if (groundTruth.includes(t) && t !== groundTruth) em.splice(em.indexOf(t), 1);
  }
  return em.includes(groundTruth) ? 1.0 / em.length : 0.0;
}

/**
 * `code_sim_score`: the first line of `prediction.lstrip('\n')` holding none of
 * `` ` ``, `#`, `//` (else ""), compared with fuzz.ratio / 100.
 */
export function codeSimScore(prediction: string, groundTruth: string): number {
  const lines = prediction.replace(/^\n+/, '').split('\n');
  let line = '';
  for (const l of lines) {
    if (!l.includes('`') && !l.includes('#') && !l.includes('//')) {
      line = l;
      break;
    }
  }
  return fuzzRatio(line, groundTruth) / 100;
}
