/**
 * The built-in tokenizer corpus for `init-model` presets: generated English-like
 * sentences in the style of bAbI / needle-in-a-haystack documents (people, places,
 * objects, movements, questions), the QwenLong-L1 prompt template and answer formats
 * (qwenlong-recipe §2), the chat roles, digits 0–9 and common punctuation, so that
 * the synthetic tasks' frequent words become single tokens. Callers add their own
 * task text through `extraTexts`.
 */
import { Rng } from '../util/rng.ts';

const NAMES = [
  'Mary', 'John', 'Sandra', 'Daniel', 'Fred', 'Bill', 'Julie', 'Jeff', 'Emily', 'Lily', 'Bernhard', 'Brian',
  'Greg', 'Julius', 'Yann', 'Jason', 'Antoine', 'Sumit', 'Gertrude', 'Winona', 'Alice', 'Bob', 'Carol', 'David',
  'Eve', 'Frank', 'Grace', 'Henry', 'Irene', 'Jack', 'Karen', 'Leo', 'Mia', 'Noah', 'Olivia', 'Paul', 'Quinn',
  'Rosa', 'Sam', 'Tom', 'Uma', 'Victor', 'Wendy', 'Xavier', 'Yara', 'Zoe',
];
const PLACES = [
  'kitchen', 'garden', 'office', 'bathroom', 'hallway', 'bedroom', 'park', 'school', 'cinema', 'library',
  'station', 'market', 'museum', 'hospital', 'river', 'forest', 'village', 'city', 'house', 'room', 'hall',
  'shop', 'bank', 'farm', 'beach', 'church', 'castle', 'bridge', 'harbor', 'tower',
];
const OBJECTS = [
  'apple', 'football', 'milk', 'box', 'key', 'book', 'letter', 'ball', 'bag', 'pen', 'cup', 'coin', 'ring',
  'map', 'lamp', 'chair', 'table', 'door', 'window', 'box', 'bottle', 'hat', 'coat', 'shoe', 'phone', 'card',
  'chocolate', 'suitcase', 'container', 'chest',
];
const MOVE = ['went', 'moved', 'journeyed', 'travelled', 'walked', 'ran', 'came', 'returned', 'drove'];
const TAKE = ['picked up', 'got', 'grabbed', 'took', 'found', 'kept', 'bought', 'brought'];
const DROP = ['dropped', 'left', 'discarded', 'put down', 'gave away', 'lost', 'hid'];
const ADJ = [
  'big', 'small', 'red', 'blue', 'green', 'old', 'new', 'young', 'happy', 'quiet', 'bright', 'dark', 'long',
  'short', 'first', 'second', 'third', 'last', 'next', 'same', 'other', 'white', 'black', 'yellow', 'heavy',
];
const TIMES = ['yesterday', 'today', 'this morning', 'this afternoon', 'this evening', 'last night', 'then', 'later', 'afterwards'];
const NUMBERS = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'none', 'zero'];
const FILLER = [
  'The weather was calm and the sky was clear over the hills.',
  'People often say that a quiet morning is the best time to think.',
  'In the north of the country there are many small lakes and old roads.',
  'The report describes the results of the study in some detail.',
  'Every year the town holds a market where farmers sell fresh food.',
  'It is not known when the building was first used as a school.',
  'Some of the records were lost, but most of them were kept safe.',
  'The company said that its sales grew by about ten percent.',
  'A long table stood in the middle of the room, covered with papers.',
  'She read the letter twice before she put it back in the envelope.',
  'They agreed to meet again after the holidays to discuss the plan.',
  'The museum is open from nine in the morning until five in the evening.',
  'Most of the questions were easy, although a few of them were hard.',
  'He wrote that the train would arrive at the station before noon.',
  'There is no reason to believe that the story is true.',
  'Because of the rain, the game was moved to the following week.',
];
const PROMPT = [
  'Please read the following text and answer the question below.',
  '<text>',
  '</text>',
  'Format your response as follows: "Therefore, the answer is (insert answer here)".',
].join('\n');
const EXTRA_LINES = [
  'Therefore, the answer is', 'The correct answer is (A)', 'The correct answer is (B)', 'The correct answer is (C)',
  'The correct answer is (D)', 'Question:', 'Answer:', 'Document', 'Passage', 'yes', 'no', 'maybe', 'Yes', 'No',
  'user', 'assistant', 'system', 'Let me find the relevant sentence.', 'The text says that', 'so the answer is',
  '0 1 2 3 4 5 6 7 8 9', '0123456789', '. , ; : ! ? ( ) [ ] { } " \' - _ / + = * % $ # @ & < > | ~ ^',
  'value', 'key', 'The value of', 'is', 'What is the value of', 'number', 'code', 'password', 'secret', 'needle',
];

function sentence(rng: Rng): string {
  const who = rng.pick(NAMES);
  const other = rng.pick(NAMES);
  const place = rng.pick(PLACES);
  const obj = rng.pick(OBJECTS);
  switch (rng.int(12)) {
    case 0: return `${who} ${rng.pick(MOVE)} to the ${place}.`;
    case 1: return `${who} ${rng.pick(TAKE)} the ${obj} there.`;
    case 2: return `${who} ${rng.pick(DROP)} the ${obj}.`;
    case 3: return `Where is ${who}?`;
    case 4: return `Where is the ${obj}?`;
    case 5: return `${rng.pick(TIMES)[0]!.toUpperCase()}${rng.pick(TIMES).slice(1)} ${who} ${rng.pick(MOVE)} to the ${place}.`;
    case 6: return `${who} gave the ${obj} to ${other}.`;
    case 7: return `The ${rng.pick(ADJ)} ${obj} is in the ${place}.`;
    case 8: return `How many objects is ${who} carrying? ${rng.pick(NUMBERS)}`;
    case 9: return `Is ${who} in the ${place}? ${rng.pick(['yes', 'no', 'maybe'])}`;
    case 10: return `The ${obj} is ${rng.pick(['north', 'south', 'east', 'west', 'left', 'right'])} of the ${rng.pick(OBJECTS)}.`;
    default: return rng.pick(FILLER);
  }
}

/**
 * `count` generated paragraphs (deterministic for a seed), plus the fixed lines above.
 * About 40 KB at the default count: enough for a few thousand merges.
 */
export function builtinCorpus(opts: { count?: number; seed?: number } = {}): string[] {
  const rng = Rng.derive(opts.seed ?? 0, 'tokenizer-corpus');
  const out: string[] = [PROMPT, ...EXTRA_LINES, ...FILLER];
  const count = opts.count ?? 600;
  for (let i = 0; i < count; i++) {
    const n = 1 + rng.int(6);
    const parts: string[] = [];
    for (let j = 0; j < n; j++) parts.push(sentence(rng));
    const para = parts.join(rng.int(4) === 0 ? '\n' : ' ');
    if (i % 4 === 0) {
      // A rendered ChatML exchange in the QwenLong format, so role names and answer phrases merge.
      const who = rng.pick(NAMES);
      const place = rng.pick(PLACES);
      out.push(
        `<|im_start|>user\n${PROMPT.replace('<text>', `<text>\n${para}`)}\n\nWhere is ${who}?<|im_end|>\n` +
          `<|im_start|>assistant\n<think>\nThe text says that ${who} went to the ${place}.\n</think>\n\n` +
          `Therefore, the answer is ${place}.<|im_end|>\n`,
      );
    } else out.push(para);
  }
  // Every word of the lists at least once, with and without a leading space, capitalised.
  for (const list of [NAMES, PLACES, OBJECTS, MOVE, TAKE, DROP, ADJ, TIMES, NUMBERS]) {
    out.push(list.join(' '));
    out.push(list.map((w) => w[0]!.toUpperCase() + w.slice(1)).join(' '));
  }
  return out;
}
