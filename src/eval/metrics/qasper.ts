/**
 * Qasper gold answers as allenai/qasper-led-baseline builds them for answer F1
 * (scorers.md §2): one reference string per annotator, scored with SQuAD v1.1 F1 and
 * maxed over annotators.
 */

/** One annotator's answer in the Qasper JSON (`answers[i].answer`). */
export interface QasperAnswer {
  unanswerable?: boolean;
  extractive_spans?: readonly string[];
  free_form_answer?: string;
  yes_no?: boolean | null;
}

/**
 * The reference text of one annotator: "Unanswerable"; else the extractive spans joined
 * by ", "; else the free-form answer; else "Yes"/"No".
 */
export function qasperReference(a: QasperAnswer): string {
  if (a.unanswerable) return 'Unanswerable';
  if (a.extractive_spans && a.extractive_spans.length > 0) return a.extractive_spans.join(', ');
  if (a.free_form_answer) return a.free_form_answer;
  if (a.yes_no === true) return 'Yes';
  if (a.yes_no === false) return 'No';
  return '';
}
