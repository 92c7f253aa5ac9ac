/**
 * The pretrain phase: plain next-token prediction on synthetic documents (no question,
 * no answer format, no traces), as a from-scratch model needs before it can learn to
 * match a key to its value (reference/demo-study.md: without it a tiny model stays on the
 * "any value in the document" shortcut). Each document is one datum, every position
 * trained, followed by the end-of-text token. The optimizer loop is the supervised one
 * of sft.ts.
 */
import type { Datum } from '../policy/types.ts';
import type { DocQARecord } from '../data/record.ts';
import type { TextTokenizer } from '../tokenizer/load.ts';
import { documentDatum } from './sft.ts';

/** One next-token datum per document: tokens of `document`, then `endOfText`. */
export function pretrainDatums(tok: TextTokenizer, records: readonly DocQARecord[], endOfText: number): Datum[] {
  return records.map((r) => documentDatum([...tok.encode(r.document), endOfText]));
}
