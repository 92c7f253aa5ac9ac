/**
 * The closed vocabulary of the synthetic tasks: pseudo-word keys and values, filler
 * word lists written for this project (no copied text), and the train/test entity
 * split.
 *
 * Why pseudo-words from a small syllable grid: a tiny from-scratch model learns key
 * matching only when keys and values are single, regular tokens of a closed set
 * (demo-study.md). Keys are CVCV words grouped four to a stem (`bama bame bami bamo`)
 * so every key has near-miss keys one letter away; values are CVC words. The train
 * and test pools are split by stem, so no key (nor its near misses) and no value is
 * shared between the splits.
 */

const KEY_CONSONANTS = ['b', 'd', 'f', 'g', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z'];
const VOWELS = ['a', 'e', 'i', 'o', 'u'];
const KEY_FINALS = ['a', 'e', 'i', 'o'];
const VALUE_FIRST = ['b', 'd', 'f', 'g', 'h', 'j', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'w', 'z'];
const VALUE_LAST = ['b', 'd', 'g', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'x', 'z'];

/** Filler words: everyday English words chosen by hand for generated sentences. */
export const FILLER = {
  det: ['the', 'one', 'some', 'each', 'every', 'this', 'that'],
  adj: ['old', 'new', 'small', 'large', 'quiet', 'bright', 'dark', 'warm', 'cold', 'green', 'blue', 'calm', 'busy', 'tall', 'soft', 'round'],
  noun: ['river', 'hill', 'garden', 'window', 'road', 'house', 'tree', 'field', 'bridge', 'market', 'school', 'boat', 'cloud', 'stone', 'lamp', 'table', 'door', 'forest', 'valley', 'train', 'village', 'letter', 'morning', 'evening'],
  verb: ['stands', 'rests', 'waits', 'moves', 'shines', 'turns', 'grows', 'falls', 'opens', 'stays', 'sleeps', 'looks'],
  prep: ['near', 'under', 'behind', 'beside', 'over', 'across', 'along', 'past'],
  adv: ['slowly', 'again', 'today', 'often', 'still', 'there'],
} as const;

/** Every filler word, for vocabulary checks and the tokenizer corpus. */
export const FILLER_WORDS: readonly string[] = Object.values(FILLER).flat();

/** Number words used in chain questions ("in two steps"). */
export const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight'] as const;

const fillerSet = new Set(FILLER_WORDS);

/** All CVC value candidates in a fixed order, minus filler words and a few real words. */
function valueCandidates(): string[] {
  const avoid = new Set([...fillerSet, 'day', 'fun', 'gun', 'sex', 'tax', 'fax', 'box', 'mix', 'six', 'hot', 'kid', 'sun', 'dog', 'man', 'men', 'key', 'yes', 'not', 'but', 'for', 'was', 'has', 'had', 'him', 'his', 'her', 'let', 'get', 'got', 'put', 'set', 'sit', 'ran', 'run', 'can', 'did', 'top', 'tip', 'pet', 'bet', 'big', 'bad', 'mad', 'sad', 'red', 'bed', 'fit', 'hit', 'kit', 'lot', 'net', 'pin', 'tin', 'win', 'nor', 'van', 'wax', 'fix', 'mom', 'dad', 'pop', 'bus', 'gas', 'job', 'lab', 'map', 'mud', 'pan', 'pen', 'pig', 'pot', 'rat', 'rib', 'rob', 'sip', 'son', 'tub', 'web', 'wet', 'zip', 'hut', 'hug', 'jam', 'jet', 'jog', 'jug', 'lid', 'lip', 'log', 'mug', 'nap', 'nut', 'pad', 'rag', 'rug', 'tab', 'tag', 'tap', 'ten', 'vet', 'wig', 'won', 'bib', 'bud', 'bug', 'cab', 'dim', 'dip', 'dug', 'fan', 'fig', 'fin', 'fog', 'gap', 'gem', 'gum', 'hem', 'hen', 'hip', 'hog', 'hum', 'kin', 'lad', 'lap', 'led', 'leg', 'mat', 'mob', 'nab', 'nod', 'pal', 'peg', 'pit', 'pub', 'pun', 'pup', 'rim', 'rip', 'rod', 'rot', 'rub', 'sap', 'sum', 'sub', 'tan', 'tot', 'vat', 'wag', 'wit', 'zen']);
  const all: string[] = [];
  for (const v of VOWELS) for (const a of VALUE_FIRST) for (const b of VALUE_LAST) all.push(a + v + b);
  // A fixed stride permutation (41 is coprime with the grid size) spreads neighbours apart.
  const out: string[] = [];
  for (let i = 0; i < all.length; i++) {
    const w = all[(i * 41) % all.length] as string;
    if (!avoid.has(w)) out.push(w);
  }
  return out;
}

/** Key stems CVC in a fixed interleaved order (so the first stems vary in every letter). */
function keyStems(): string[] {
  const out: string[] = [];
  for (let i = 0; i < KEY_CONSONANTS.length * VOWELS.length * KEY_CONSONANTS.length; i++) {
    // A fixed stride permutation spreads consecutive stems over the grid.
    const j = (i * 37) % (KEY_CONSONANTS.length * VOWELS.length * KEY_CONSONANTS.length);
    const c1 = KEY_CONSONANTS[j % KEY_CONSONANTS.length] as string;
    const v = VOWELS[Math.floor(j / KEY_CONSONANTS.length) % VOWELS.length] as string;
    const c2 = KEY_CONSONANTS[Math.floor(j / (KEY_CONSONANTS.length * VOWELS.length))] as string;
    const stem = c1 + v + c2;
    if (!fillerSet.has(stem)) out.push(stem);
  }
  return out;
}

/** Sizes of the entity pools; the defaults keep the demo vocabulary small. */
export interface PoolSizes {
  /** Key stems in the train split (4 keys each). */
  trainStems: number;
  testStems: number;
  trainValues: number;
  testValues: number;
}

export const DEFAULT_POOL_SIZES: PoolSizes = { trainStems: 32, testStems: 8, trainValues: 128, testValues: 32 };

/**
 * `pretrain` documents draw from both pools: plain next-token pretraining on them
 * teaches every entity token (a from-scratch model otherwise never sees the test
 * entities before evaluation); they share no record with either split.
 */
export type Split = 'train' | 'test' | 'pretrain';

/** The entities one split may use. */
export interface EntityPool {
  split: Split;
  /** Key stems; keys are `stem + final` for the four finals. */
  stems: readonly string[];
  keys: readonly string[];
  values: readonly string[];
}

/** Keys that differ from `key` in the last letter only (its near misses). */
export function nearMissKeys(key: string): string[] {
  const stem = key.slice(0, -1);
  return KEY_FINALS.map((f) => stem + f).filter((k) => k !== key);
}

/** Builds the disjoint train/test pools (pure: same sizes, same pools). */
export function entityPools(sizes: PoolSizes = DEFAULT_POOL_SIZES): Record<Split, EntityPool> {
  const p = splitPools(sizes);
  return {
    ...p,
    pretrain: { split: 'pretrain', stems: [...p.train.stems, ...p.test.stems], keys: [...p.train.keys, ...p.test.keys], values: [...p.train.values, ...p.test.values] },
  };
}

function splitPools(sizes: PoolSizes): Record<'train' | 'test', EntityPool> {
  const stems = keyStems();
  const values = valueCandidates();
  if (sizes.trainStems + sizes.testStems > stems.length) throw new RangeError(`at most ${stems.length} key stems`);
  if (sizes.trainValues + sizes.testValues > values.length) throw new RangeError(`at most ${values.length} values`);
  const make = (split: Split, s: string[], v: string[]): EntityPool => ({
    split,
    stems: s,
    keys: s.flatMap((stem) => KEY_FINALS.map((f) => stem + f)),
    values: v,
  });
  return {
    train: make('train', stems.slice(0, sizes.trainStems), values.slice(0, sizes.trainValues)),
    test: make(
      'test',
      stems.slice(sizes.trainStems, sizes.trainStems + sizes.testStems),
      values.slice(sizes.trainValues, sizes.trainValues + sizes.testValues),
    ),
  };
}
