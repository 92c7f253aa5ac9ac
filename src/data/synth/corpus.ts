/**
 * Texts covering the whole synthetic vocabulary (every key, value, filler word,
 * number, question and trace shape, and the QwenLong prompt templates), for training
 * a byte-level BPE tokenizer (`trainByteLevelBpe(texts, {vocabSize, specialTokens})`)
 * in which each task word is one token. Pure and deterministic.
 */
import { Rng } from '../../util/rng.ts';
import { fillTemplate, QWENLONG_MC_TEMPLATE, QWENLONG_TEMPLATE, questionWithChoices } from '../prompt.ts';
import { DEFAULT_POOL_SIZES, entityPools, FILLER, NUMBER_WORDS, type PoolSizes } from './vocab.ts';
import {
  answerSentence,
  buildTrace,
  choiceSentence,
  factStep,
  fillerSentence,
  kvFact,
  ledgerFact,
  varAssignFact,
  varCopyFact,
} from './text.ts';
import { formatNumber } from './tasks.ts';

function fillerText(rng: Rng, sentences: number): string {
  return Array.from({ length: sentences }, () => `${fillerSentence(rng).join(' ')}.`).join(' ');
}

/**
 * The corpus. Each text is a whole prompt-and-completion or a document fragment in
 * which entities appear after a space, as the generators write them.
 */
export function synthTokenizerCorpus(sizes: PoolSizes = DEFAULT_POOL_SIZES): string[] {
  const rng = new Rng(0x5eed);
  const pools = entityPools(sizes);
  const keys = [...pools.train.keys, ...pools.test.keys];
  const values = [...pools.train.values, ...pools.test.values];
  const texts: string[] = [];

  // Every filler word in a sentence of its class, then generated filler.
  const f = FILLER;
  for (const n of f.noun) texts.push(`the ${n} stands near the ${n}.`);
  for (const a of f.adj) texts.push(`a ${a} house waits.`);
  for (const v of f.verb) texts.push(`each tree ${v} again.`);
  for (const p of f.prep) texts.push(`one boat moves ${p} that bridge.`);
  for (const d of f.det) texts.push(`${d} road turns.`);
  for (const a of f.adv) texts.push(`the lamp shines ${a}.`);
  for (let i = 0; i < 64; i++) texts.push(fillerText(rng, 8));

  // Every key and value in each fact style, in questions and in traces.
  const n = Math.max(keys.length, values.length);
  for (let i = 0; i < n; i++) {
    const k = keys[i % keys.length] as string;
    const k2 = keys[(i * 7 + 3) % keys.length] as string;
    const v = values[i % values.length] as string;
    const v2 = values[(i * 5 + 1) % values.length] as string;
    const doc = `${fillerText(rng, 2)} ${kvFact(k, v, 'compact')} ${fillerText(rng, 1)} ${kvFact(k2, v2, 'sentence')} ${fillerText(rng, 1)}`;
    const q = `What is the value of ${k}?`;
    texts.push(`${fillTemplate(QWENLONG_TEMPLATE, doc, q)}\n${buildTrace('copy', k, [factStep(kvFact(k, v, 'compact'))], v, answerSentence(v))}`);
    texts.push(`${varAssignFact(k, v)} ${varCopyFact(k2, k)} Which variables are assigned the value ${v}?`);
    texts.push(`${ledgerFact((i % 30) + 1, k, 10 + (i % 90))} How many coins did accounts ${k} and ${k2} receive in total?`);
    texts.push(`What are all the values of ${k}, in order? What are the values of ${k} and ${k2}? ${answerSentence(`${v}, ${v2}`)}`);
  }
  // More occurrences of each entity as facts, so BPE merges them ahead of rarer pieces.
  for (let r = 0; r < 6; r++) {
    const lines: string[] = [];
    for (let i = 0; i < n; i++) {
      lines.push(kvFact(keys[(i + r * 11) % keys.length] as string, values[(i * 3 + r * 7) % values.length] as string, 'compact'));
      if (lines.length === 16) {
        texts.push(`${fillerText(rng, 1)} ${lines.join(' ')}`);
        lines.length = 0;
      }
    }
    if (lines.length > 0) texts.push(`${fillerText(rng, 1)} ${lines.join(' ')}`);
  }
  // Chain questions with every hop count, multiple choice, numbers.
  for (let h = 1; h < NUMBER_WORDS.length; h++) {
    const k = keys[h] as string;
    texts.push(`What is the value reached from ${k} in ${NUMBER_WORDS[h]} steps? Look up ${k}. So the result is ${values[h]}.`);
  }
  for (let i = 0; i < 16; i++) {
    const k = keys[i] as string;
    const opts = [values[i], values[i + 1], values[i + 2], values[i + 3]] as string[];
    const q = questionWithChoices(`What is the value of ${k}?`, opts);
    const letter = 'ABCD'[i % 4] as string;
    texts.push(`${fillTemplate(QWENLONG_MC_TEMPLATE, fillerText(rng, 3), q)}\n${buildTrace('copy', k, [factStep(kvFact(k, opts[i % 4] as string, 'compact'))], letter, choiceSentence(letter))}`);
  }
  for (let x = 0; x <= 200; x++) texts.push(`Compute: ${x} + 1 = ${x + 1}. On day ${(x % 30) + 1} ${answerSentence(String(x))}`);
  for (let i = 0; i < 32; i++) {
    const x1 = 10 + ((i * 13) % 90);
    const x2 = 10 + ((i * 29) % 90);
    texts.push(`Compute: (${x2} - ${x1}) / ${x1} * 100 = ${formatNumber(((x2 - x1) / x1) * 100)}. ${x1} - ${x2} = ${x1 - x2}.`);
  }
  texts.push(buildTrace('empty', '', [], '', answerSentence(values[0] as string)));
  return texts;
}
