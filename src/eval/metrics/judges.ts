/**
 * Parsing of LLM-judge replies (scorers.md §7; qwenlong-recipe.md §3): the FRAMES
 * autorater's `Decision:` line, the SimpleQA grader letter, and the QwenLong-L1 judge's
 * YES test.
 */
import { pyStrip } from '../../util/pytext.ts';

/**
 * FRAMES autorater (optillm reproduction of the paper's Fig. 6 prompt): the reply is
 * stripped and split on `\n`; for every line starting with `Decision:` the decision is
 * the text between the first and second `:`, stripped and upper-cased (the last such
 * line wins); correct iff it is exactly `TRUE` (a quoted `"TRUE"` is not). No line →
 * FALSE.
 */
export function parseFramesDecision(reply: string): boolean {
  let decision = 'FALSE';
  for (const line of pyStrip(reply).split('\n')) {
    if (line.startsWith('Decision:')) decision = pyStrip(line.split(':')[1] as string).toUpperCase();
  }
  return decision === 'TRUE';
}

export type SimpleQaGrade = 'A' | 'B' | 'C';

/**
 * openai/simple-evals `SimpleQAEval`: the first `A`, `B` or `C` anywhere in the grader's
 * reply (`re.search(r"(A|B|C)", …)`), default `C` (not attempted).
 */
export function parseSimpleQaGrade(reply: string): SimpleQaGrade {
  const m = /A|B|C/.exec(reply);
  return m ? (m[0] as SimpleQaGrade) : 'C';
}

/**
 * The answer part of a closed-book FRAMES response before grading (tts-knowledge): `**`
 * removed, then the text after the last `Answer:` or `Final Answer` marker, trimmed;
 * without a marker the whole response.
 */
export function framesAnswerPart(response: string): string {
  const r = response.replaceAll('**', '');
  const a = r.lastIndexOf('Answer:');
  const f = r.lastIndexOf('Final Answer');
  if (a < 0 && f < 0) return r;
  if (a >= f) return pyStrip(r.slice(a + 'Answer:'.length));
  return pyStrip(r.slice(f + 'Final Answer'.length).replace(/^:/, ''));
}

/**
 * QwenLong-L1 judge verdict: 1 iff the reply contains `YES` anywhere (a raw substring
 * test, kept for parity), else 0.
 */
export function qwenJudgeVerdict(reply: string): number {
  return reply.includes('YES') ? 1.0 : 0.0;
}

/** The stricter reading logged next to the parity verdict: `[[YES]]` present. */
export function qwenJudgeVerdictStrict(reply: string): number {
  return reply.includes('[[YES]]') ? 1.0 : 0.0;
}
