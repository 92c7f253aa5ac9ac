/**
 * Sentence shapes of the synthetic tasks: filler sentences, fact sentences, questions
 * and reasoning traces in the QwenLong format. Kept in one place so the tokenizer
 * corpus (corpus.ts) covers exactly what the generators write.
 *
 * Every key and value is written after a space (never first on a line), so with a
 * byte-level BPE each entity is always the same token (`Ġbami`), in the document, the
 * question and the trace alike.
 */
import type { Rng } from '../../util/rng.ts';
import { FILLER } from './vocab.ts';

/** `compact`: `bami dor.` (what a tiny model learns fastest, demo-study.md); `sentence`: `The value of bami is dor.` */
export type FactStyle = 'compact' | 'sentence';

/**
 * `copy`: the trace copies each fact it uses, key first then value (`Fact: bami dor.`),
 * the demo-study finding; `verbose`: adds a sentence naming what is looked up;
 * `empty`: `<think>\n\n</think>` then the answer (answer-only supervision).
 */
export type TraceStyle = 'copy' | 'verbose' | 'empty';

export function kvFact(key: string, value: string, style: FactStyle): string {
  return style === 'compact' ? `${key} ${value}.` : `The value of ${key} is ${value}.`;
}

export function varAssignFact(name: string, value: string): string {
  return `VAR ${name} = ${value}.`;
}

export function varCopyFact(name: string, from: string): string {
  return `VAR ${name} = VAR ${from}.`;
}

export function ledgerFact(day: number, account: string, amount: number): string {
  return `On day ${day} account ${account} received ${amount} coins.`;
}

/** The answer sentence the QA reward extracts (text after the last "the answer is"). */
export function answerSentence(answer: string): string {
  return `Therefore, the answer is ${answer}.`;
}

/** The multiple-choice answer sentence (reward regex `The correct answer is \(([A-D])\)`). */
export function choiceSentence(letter: string): string {
  return `The correct answer is (${letter}).`;
}

/** A trace step that copies a fact sentence. */
export function factStep(fact: string): string {
  return `Fact: ${fact}`;
}

/**
 * A full completion in the QwenLong format: `<think>\n...\n</think>\n\n` then the
 * final sentence. `steps` are the reasoning sentences (copied facts, a computation), in order.
 */
export function buildTrace(style: TraceStyle, lookup: string, steps: readonly string[], conclusion: string, final: string): string {
  if (style === 'empty') return `<think>\n\n</think>\n\n${final}`;
  const facts = steps.join(' ');
  const body = style === 'copy' ? facts : `Look up ${lookup}. ${facts} So the result is ${conclusion}.`;
  return `<think>\n${body}\n</think>\n\n${final}`;
}

/** Sentence patterns over the filler word classes (3 to 9 words). */
const PATTERNS: readonly (keyof typeof FILLER)[][] = [
  ['det', 'noun', 'verb'],
  ['det', 'adj', 'noun', 'verb'],
  ['det', 'adj', 'noun', 'verb', 'adv'],
  ['det', 'noun', 'verb', 'prep', 'det', 'noun'],
  ['det', 'adj', 'noun', 'verb', 'prep', 'det', 'noun'],
  ['det', 'noun', 'prep', 'det', 'adj', 'noun', 'verb', 'adv'],
  ['det', 'adj', 'noun', 'verb', 'prep', 'det', 'adj', 'noun', 'adv'],
];

/** One generated filler sentence as a word list (the period is added when rendering). */
export function fillerSentence(rng: Rng): string[] {
  const pattern = rng.pick(PATTERNS);
  return pattern.map((cls) => rng.pick(FILLER[cls]));
}

/** All filler sentence patterns, for the corpus. */
export function fillerPatterns(): readonly (keyof typeof FILLER)[][] {
  return PATTERNS;
}
