/**
 * LongBench v2 answer extraction and result aggregation (THUDM/LongBench `pred.py`,
 * `result.py`; scorers.md §4). Extraction is case-sensitive and takes the first match.
 */
import { pyRound } from './pyround.ts';

export type Choice = 'A' | 'B' | 'C' | 'D';

/**
 * `extract_answer`: delete every `*`, then the first `The correct answer is (X)`, else
 * the first `The correct answer is X`, else null.
 */
export function extractV2Answer(response: string): Choice | null {
  const r = response.replaceAll('*', '');
  const m = /The correct answer is \(([A-D])\)/.exec(r) ?? /The correct answer is ([A-D])/.exec(r);
  return m ? (m[1] as Choice) : null;
}

/** One scored LongBench v2 row. */
export interface V2Row {
  /** Extracted letter, or null when none was found. */
  pred: string | null;
  answer: string;
  difficulty: string;
  length: string;
}

export interface V2Summary {
  overall: number;
  easy: number;
  hard: number;
  short: number;
  medium: number;
  long: number;
  count: number;
}

/**
 * `result.py`: accuracy overall, by difficulty (easy/hard) and by length
 * (short/medium/long), each `round(100·sum/n, 1)`. With `compensated`, a row without an
 * extracted answer counts 0.25 (the chance of guessing). An empty group is NaN (the
 * reference divides by zero there). The reference drops rows whose model output was
 * empty before this point (they leave the denominator): pass only written rows.
 */
export function aggregateV2(rows_N: readonly V2Row[], compensated = false): V2Summary {
  const acc = { easy: 0, hard: 0, short: 0, medium: 0, long: 0 };
  const cnt = { easy: 0, hard: 0, short: 0, medium: 0, long: 0 };
  for (const row of rows_N) {
    let a = row.pred === row.answer ? 1 : 0;
    if (compensated && row.pred === null) a = 0.25;
    if (row.difficulty === 'easy') {
      cnt.easy++;
      acc.easy += a;
    } else {
      cnt.hard++;
      acc.hard += a;
    }
    if (row.length === 'short') {
      cnt.short++;
      acc.short += a;
    } else if (row.length === 'medium') {
      cnt.medium++;
      acc.medium += a;
    } else {
      cnt.long++;
      acc.long += a;
    }
  }
  const pct = (s: number, n: number): number => (n === 0 ? NaN : pyRound((100 * s) / n, 1));
  return {
    overall: pct(acc.easy + acc.hard, rows_N.length),
    easy: pct(acc.easy, cnt.easy),
    hard: pct(acc.hard, cnt.hard),
    short: pct(acc.short, cnt.short),
    medium: pct(acc.medium, cnt.medium),
    long: pct(acc.long, cnt.long),
    count: rows_N.length,
  };
}
