/**
 * BABILong scorer (booydar/babilong `babilong/metrics.py`; scorers.md §10).
 */

/** Answer labels per bAbI task, as in `TASK_LABELS` (qa1–qa5, the tasks of the released evals). */
export const BABILONG_TASK_LABELS: Readonly<Record<string, readonly string[]>> = {
  qa1: ['bathroom', 'bedroom', 'garden', 'hallway', 'kitchen', 'office'],
  qa2: ['bathroom', 'bedroom', 'garden', 'hallway', 'kitchen', 'office'],
  qa3: ['bathroom', 'bedroom', 'garden', 'hallway', 'kitchen', 'office'],
  qa4: ['bathroom', 'bedroom', 'garden', 'hallway', 'kitchen', 'office'],
  qa5: ['Bill', 'Fred', 'Jeff', 'Mary', 'apple', 'football', 'milk'],
};

/**
 * `preprocess_output`: lower-case, keep the text before the first `.`, cut at
 * `<context>` and `<example>`. The reference then cuts at `'Question'`, which can never
 * match a lower-cased string; that no-op is kept as a no-op.
 */
export function babilongPreprocess(output: string): string {
  let o = output.toLowerCase();
  o = o.split('.')[0] as string;
  o = o.split('<context>')[0] as string;
  o = o.split('<example>')[0] as string;
  o = o.split('Question')[0] as string;
  return o;
}

/**
 * `compare_answers`: labels mentioned in the question are never targets; correct iff
 * the target is the only remaining label found in the output. A comma-separated target
 * longer than 3 characters (qa8 lists) needs every part present and exactly that many
 * labels.
 */
export function babilongCorrect(target: string, output: string, question: string, taskLabels: readonly string[]): boolean {
  const out = babilongPreprocess(output);
  const t = target.toLowerCase();
  const labels = new Set(taskLabels.map((l) => l.toLowerCase()));
  const q = question.toLowerCase();
  const inOutput = new Set<string>();
  for (const l of labels) if (out.includes(l) && !q.includes(l)) inOutput.add(l);
  if (t.includes(',') && t.length > 3) {
    const parts = t.split(',');
    return parts.every((p) => inOutput.has(p)) && inOutput.size === parts.length;
  }
  return inOutput.has(t) && inOutput.size === 1;
}
