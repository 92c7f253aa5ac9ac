import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import {
  trainByteLevelBpe, tokenizerFromJson, loadTokenizer, buildChatTokenizer, CHATML_TEMPLATE, ChatTemplate,
  BYTE_TO_CHAR, CHAR_TO_BYTE, toByteLevel, SPECIAL_TOKENS, builtinCorpus,
} from '../../src/tokenizer/index.ts';
import { UserError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';

const TEXTS = [
  'Mary went to the kitchen. John moved to the garden.',
  'Where is Mary? Mary is in the kitchen.',
  'the the the cat sat on the mat, 2024-01-05!',
];

/** Independent reference: textbook BPE that recounts every pair after each merge. */
function naiveMerges(words: Map<string, number>, numMerges: number): string[] {
  const segs = [...words].map(([w, f]) => ({ syms: [...w], f }));
  const id = new Map<string, number>(BYTE_TO_CHAR.map((c, i) => [c, i]));
  const merges: string[] = [];
  while (merges.length < numMerges) {
    const counts = new Map<string, number>();
    for (const { syms, f } of segs) for (let i = 0; i + 1 < syms.length; i++) {
      const k = `${syms[i]} ${syms[i + 1]}`;
      counts.set(k, (counts.get(k) ?? 0) + f);
    }
    let best: string | null = null;
    let bestC = 0;
    let bestKey: [number, number] = [0, 0];
    for (const [k, c] of counts) {
      const [a, b] = k.split(' ') as [string, string];
      const key: [number, number] = [id.get(a)!, id.get(b)!];
      if (c > bestC || (c === bestC && (key[0] < bestKey[0] || (key[0] === bestKey[0] && key[1] < bestKey[1])))) {
        best = k; bestC = c; bestKey = key;
      }
    }
    if (best === null) break;
    merges.push(best);
    const [a, b] = best.split(' ') as [string, string];
    id.set(a + b, id.size);
    for (const s of segs) {
      const out: string[] = [];
      for (let i = 0; i < s.syms.length; i++) {
        if (i + 1 < s.syms.length && s.syms[i] === a && s.syms[i + 1] === b) { out.push(a + b); i++; } else out.push(s.syms[i]!);
      }
      s.syms = out;
    }
  }
  return merges;
}

test('byte-level table is GPT-2\'s', () => {
  assert.equal(BYTE_TO_CHAR[32], 'Ġ');
  assert.equal(BYTE_TO_CHAR[10], 'Ċ');
  assert.equal(BYTE_TO_CHAR[65], 'A');
  assert.equal(BYTE_TO_CHAR[0], 'Ā');
  assert.equal(BYTE_TO_CHAR[173], 'Ń'); // 256 + 67, GPT-2's last remapped byte
  assert.equal(new Set(BYTE_TO_CHAR).size, 256);
  assert.equal(CHAR_TO_BYTE.get('Ġ'), 32);
  assert.equal(toByteLevel(' é'), 'ĠÃ©');
});

test('BPE merges equal a textbook reference trainer', () => {
  const json = trainByteLevelBpe(TEXTS, { vocabSize: 256 + 40 + 1, specialTokens: ['<|endoftext|>'] });
  const merges = (json['model'] as { merges: string[] }).merges;
  // Word frequencies from the same Qwen split, computed here by hand-checked regex.
  const re = /'s|'t|'re|'ve|'m|'ll|'d|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/giu;
  const words = new Map<string, number>();
  for (const t of TEXTS) for (const w of t.match(re) ?? []) words.set(toByteLevel(w), (words.get(toByteLevel(w)) ?? 0) + 1);
  assert.deepEqual(merges, naiveMerges(words, 40));
  assert.equal(merges[0], 'h e'); // most frequent pair (the, kitchen, ...)
});

test('golden ids, single-token words, Unicode round trip', () => {
  const json = trainByteLevelBpe(TEXTS, { vocabSize: 400, specialTokens: SPECIAL_TOKENS, addedTokens: ['<think>', '</think>'] });
  const tok = tokenizerFromJson(json, { eos_token: '<|im_end|>' });
  const merges = (json['model'] as { merges: string[] }).merges.length;
  assert.equal(tok.vocabSize, 256 + merges + 5);
  assert.equal(tok.tokenToId('<|endoftext|>'), 256 + merges);
  assert.deepEqual(tok.eosTokenIds, [256 + merges + 2]);
  assert.deepEqual([...tok.specialTokens.keys()], ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<think>', '</think>']);
  // Every training word is one token.
  const ids = tok.encode('Mary went to the kitchen.');
  assert.deepEqual(ids.map((i) => tok.decode([i])), ['Mary', ' went', ' to', ' the', ' kitchen', '.']);
  // Golden ids (regression: training is deterministic).
  assert.deepEqual(ids, [tok.tokenToId('Mary'), tok.tokenToId('Ġwent'), tok.tokenToId('Ġto'), tok.tokenToId('Ġthe'), tok.tokenToId('Ġkitchen'), 46]);
  assert.deepEqual(tok.encode('A'), [65]);
  assert.deepEqual(tok.encode('é'), [0xc3, 0xa9]);
  assert.deepEqual(tok.encode(''), []);
  assert.equal(tok.decode([]), '');
  const special = tok.encode('<|im_start|>user\nhi<|im_end|>');
  assert.equal(special[0], tok.tokenToId('<|im_start|>'));
  assert.equal(special.at(-1), tok.tokenToId('<|im_end|>'));
  assert.equal(tok.decode(special, { skipSpecialTokens: true }), 'user\nhi');
  assert.equal(tok.decode(tok.encode('<think>x</think>'), { skipSpecialTokens: true }), '<think>x</think>');
  for (const s of [
    'héllo 求解 x^2=4 🎉 cafe\u0301  \n\n end', '  leading and trailing  ', ' , . ! ?', "don't I'm we'll",
    '\t\r\n\u00a0\u3000', 'Ω≈ç√∫˜µ≤≥÷ ٩(̾●̮̮̃̾•̃̾)۶ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢', 'Mary<|im_end|>went<think>to</think>',
  ]) {
    assert.equal(tok.decode(tok.encode(s)), s, JSON.stringify(s));
  }
});

test('chat template renders as Python Jinja2 (trim_blocks, lstrip_blocks) does', () => {
  // Expected strings produced by jinja2 3.1.6 ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True).
  const t = new ChatTemplate(CHATML_TEMPLATE, 'test');
  const vars = { eos_token: '<|im_end|>', pad_token: '<|endoftext|>', bos_token: null };
  assert.equal(t.render([{ role: 'user', content: 'Hello' }], { addGenerationPrompt: true, specialTokens: vars }),
    '<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n');
  assert.equal(t.render([{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Where is Mary?' }],
    { addGenerationPrompt: true, enableThinking: false, specialTokens: vars }),
    '<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nWhere is Mary?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n');
  assert.equal(t.render([{ role: 'user', content: 'Q1' }, { role: 'assistant', content: '<think>\nhmm\n</think>\n\nA1' },
    { role: 'user', content: 'Q2 ünïcode 求解' }], { addGenerationPrompt: true, enableThinking: true, specialTokens: vars }),
    '<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n<|im_start|>user\nQ2 ünïcode 求解<|im_end|>\n<|im_start|>assistant\n');
  assert.equal(t.render([{ role: 'user', content: 'Q1' }, { role: 'assistant', content: '<think>\nr\n</think>\n\nA1' }], { specialTokens: vars }),
    '<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\n<think>\nr\n</think>\n\nA1<|im_end|>\n');
});

test('loadTokenizer reads a folder; errors name the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'longrl-tok-'));
  const p = buildChatTokenizer({ vocabSize: 2000, extraTexts: ['zxqv zxqv zxqv'] });
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(p.tokenizerJson));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(p.tokenizerConfig));
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: [1501, 699] }));
  const tok = loadTokenizer(dir);
  const imEnd = tok.tokenToId('<|im_end|>')!;
  assert.equal(tok.eosTokenIds[0], imEnd);
  assert.ok(tok.eosTokenIds.includes(1501));
  assert.equal(tok.encode(' zxqv').length, 1, 'caller text becomes single tokens');
  const text = tok.applyChatTemplate([{ role: 'user', content: 'Where is Mary?' }], { addGenerationPrompt: true });
  assert.equal(text, '<|im_start|>user\nWhere is Mary?<|im_end|>\n<|im_start|>assistant\n');
  const ids = tok.encode(text);
  assert.equal(ids[0], tok.tokenToId('<|im_start|>'));
  assert.equal(tok.decode(ids), text);
  // Missing files / templates.
  const empty = mkdtempSync(join(tmpdir(), 'longrl-tok-'));
  assert.throws(() => loadTokenizer(empty), (e: unknown) => e instanceof UserError && e.message.includes('tokenizer.json'));
  writeFileSync(join(empty, 'tokenizer.json'), JSON.stringify(p.tokenizerJson));
  const bare = loadTokenizer(empty);
  assert.throws(() => bare.applyChatTemplate([{ role: 'user', content: 'x' }]), /chat template/);
  writeFileSync(join(empty, 'tokenizer_config.json'), JSON.stringify({ chat_template: '{% for m in messages %}{{ m.content' }));
  assert.throws(() => loadTokenizer(empty), (e: unknown) => e instanceof UserError && e.message.includes('tokenizer_config.json'));
  writeFileSync(join(empty, 'tokenizer.json'), '{not json');
  assert.throws(() => loadTokenizer(empty), (e: unknown) => e instanceof UserError && e.message.includes('tokenizer.json'));
  rmSync(dir, { recursive: true });
  rmSync(empty, { recursive: true });
});

/** Ids from Hugging Face's Rust tokenizers 0.23.2 (npm `tokenizers`, Tokenizer.fromFile + encode(addSpecialTokens: false)) for the TEXTS tokenizer at vocab 400. */
const RUST_GOLDEN: [string, number[]][] = [
  ["Mary went to the kitchen.", [263,299,270,258,274,46]],
  ["don't I'm we'LL THEY'RE it's", [100,111,110,39,116,32,73,39,109,280,101,39,76,76,32,84,72,69,89,39,82,69,260,116,39,115]],
  ["h\u00e9llo \u6c42\u89e3 x^2=4 \ud83c\udf89 cafe\u0301", [104,195,169,108,108,111,32,230,177,130,232,167,163,32,120,94,50,61,52,32,240,159,142,137,276,97,102,101,204,129]],
  ["  leading\t\ttabs\r\n windows\r\nlines  ", [32,32,108,101,97,100,105,110,103,9,9,116,97,98,115,13,10,280,105,110,100,111,119,115,13,10,108,105,110,101,115,32,32]],
  ["12345 678.90", [49,50,51,52,53,32,54,55,56,46,57,48]],
  ["<|im_start|>user\nWhere is the cat?<|im_end|>\n<|im_start|>assistant\n<think>\nmat\n</think>\n\nthe mat", [303,117,115,101,114,10,300,271,258,295,63,304,10,303,97,115,115,105,115,116,97,110,116,10,305,10,109,262,10,306,10,10,288,291]],
  ["\u00a0\u3000\u2028x\u0085y", [194,160,227,128,128,226,128,168,120,194,133,121]],
  ["...!!!???---", [46,46,46,33,33,33,63,63,63,45,45,45]],
  ["a\n\n\n   \n b", [97,10,10,10,32,32,32,10,32,98]],
  ["emoji \ud83d\udc69\u200d\ud83d\udc69\u200d\ud83d\udc67\u200d\ud83d\udc66", [101,109,111,106,105,32,240,159,145,169,226,128,141,240,159,145,169,226,128,141,240,159,145,167,226,128,141,240,159,145,166]],
];

test('encode equals Hugging Face Rust tokenizers on the same tokenizer.json', () => {
  const json = trainByteLevelBpe(TEXTS, { vocabSize: 400, specialTokens: SPECIAL_TOKENS, addedTokens: ['<think>', '</think>'] });
  const tok = tokenizerFromJson(json, {});
  for (const [text, ids] of RUST_GOLDEN) {
    assert.deepEqual(tok.encode(text), ids, JSON.stringify(text));
    assert.equal(tok.decode(ids), text);
  }
});

test('chunked encoding of long texts gives the same ids as one pass', () => {
  const pieces = ['\n', '\n\n', ' ', '  ', '\r\n', '\t', '.', '!\n', 'a', ' Mary', 'kitchen', '\u3000', '\u00a0', '1', '23', '<|im_end|>', '<think>', 'é', '\u0301', '🎉', "'s", '?'];
  const rng = new Rng(11);
  const gen = () => {
    let text = '';
    const n = 20 + rng.int(200);
    for (let i = 0; i < n; i++) text += rng.pick(pieces);
    return text;
  };
  // Trained on the same kind of text, so whitespace and newline runs have merges of their own.
  const json = trainByteLevelBpe(Array.from({ length: 200 }, gen), { vocabSize: 600, specialTokens: SPECIAL_TOKENS, addedTokens: ['<think>', '</think>'] });
  const whole = tokenizerFromJson(json, {}, 'x', [], 'y', 0, false);
  for (const chunk of [1, 5, 17]) {
    const chunked = tokenizerFromJson(json, {}, 'x', [], 'y', chunk, false);
    for (let trial = 0; trial < 60; trial++) {
      const text = gen();
      assert.deepEqual(chunked.encode(text), whole.encode(text), JSON.stringify(text));
    }
  }
});

test('priority texts: their words become single tokens before the generic corpus gets merges', () => {
  const generic = builtinCorpus();
  const task = ['zorp blick quaxel', 'Vintrofax zorp', 'blick quaxel zorp mirrindale'];
  const words = [' zorp', ' blick', ' quaxel', 'Vintrofax', ' mirrindale'];
  const plain = tokenizerFromJson(trainByteLevelBpe([...generic, ...task], { vocabSize: 330, specialTokens: SPECIAL_TOKENS }));
  assert.ok(words.some((w) => plain.encode(w).length > 1), 'without priority the budget goes to the generic corpus');
  const json = trainByteLevelBpe(generic, { vocabSize: 330, specialTokens: SPECIAL_TOKENS, priorityTexts: task });
  const tok = tokenizerFromJson(json);
  for (const w of words) assert.equal(tok.encode(w).length, 1, w);
  assert.equal(tok.vocabSize, 330, 'the rest of the budget still goes to the generic corpus');
  for (const s of ['Mary went to the kitchen.', 'zorp\n\nblick 求解']) assert.equal(tok.decode(tok.encode(s)), s);
});

test('fast encoder gives the library\'s ids (plain, NFC normalizer, array merges, real text)', () => {
  const pieces = ['\n', '\n\n', ' ', '  ', '\r\n', '\t', '.', '!\n', 'a', ' Mary', 'kitchen', '\u3000', '\u00a0', '1', '23', '<|im_end|>',
    '<think>', 'é', 'e\u0301', '\u0301', '🎉', "'s", "'LL", '?', '求解', 'Ω', ' ', '\u200d', 'ﬁ', '<|im_start|>', '<|im'];
  const rng = new Rng(5);
  const gen = () => {
    let text = '';
    const n = 1 + rng.int(120);
    for (let i = 0; i < n; i++) text += rng.pick(pieces);
    return text;
  };
  const base = trainByteLevelBpe(Array.from({ length: 150 }, gen), { vocabSize: 700, specialTokens: SPECIAL_TOKENS, addedTokens: ['<think>', '</think>'] });
  const model = base['model'] as { merges: string[] };
  const variants: Record<string, unknown>[] = [
    base,
    { ...base, normalizer: { type: 'NFC' } },
    { ...base, model: { ...model, merges: model.merges.map((m) => m.split(' ')) } },
  ];
  const babi = readFileSync(new URL('../../../shared/data/babi/en/qa1_single-supporting-fact_test.txt', import.meta.url), 'utf8').slice(0, 30000);
  for (const json of variants) {
    const lib = tokenizerFromJson(json, {}, 'x', [], 'y', 0, false);
    const fast = tokenizerFromJson(json, {});
    for (let trial = 0; trial < 150; trial++) {
      const text = gen();
      assert.deepEqual(fast.encode(text), lib.encode(text), JSON.stringify(text));
    }
    assert.deepEqual(fast.encode(babi), lib.encode(babi));
  }
});

test('fast decoder gives the library\'s text (byte fragments, specials skipped or kept, unknown ids)', () => {
  const json = trainByteLevelBpe([...TEXTS, 'héllo 求解 🎉 e\u0301'], { vocabSize: 420, specialTokens: SPECIAL_TOKENS, addedTokens: ['<think>', '</think>'] });
  const config = { additional_special_tokens: ['<|im_start|>', '<|im_end|>'] };
  const rng = new Rng(3);
  // Second variant: added tokens spelled like vocabulary tokens (" the" as added text, "Mary" special).
  const respelled = { ...json, added_tokens: [...(json['added_tokens'] as object[]), { id: 421, content: 'Ġthe', special: false }, { id: 422, content: 'Mary', special: true }] };
  for (const tj of [json, respelled]) {
    const lib = tokenizerFromJson(tj, config, 'x', [], 'y', 0, false);
    const fast = tokenizerFromJson(tj, config);
    const n = lib.vocabSize;
    for (let trial = 0; trial < 300; trial++) {
      const ids = Array.from({ length: 1 + rng.int(30) }, () => (rng.int(10) === 0 ? n - 1 - rng.int(5) : rng.int(10) === 0 ? n + rng.int(50) : rng.int(n)));
      for (const skip of [false, true]) {
        assert.equal(fast.decode(ids, { skipSpecialTokens: skip }), lib.decode(ids, { skipSpecialTokens: skip }), `${JSON.stringify(ids)} skip=${skip}`);
      }
    }
  }
  const fast = tokenizerFromJson(json, config);
  // A special token between the two bytes of "é": kept it splits the character, skipped it does not.
  const special = fast.tokenToId('<|im_end|>')!;
  assert.equal(fast.decode([0xc3, special, 0xa9], { skipSpecialTokens: true }), 'é');
  assert.equal(fast.decode([0xc3, special, 0xa9]), '\ufffd<|im_end|>\ufffd');
});

test('vocabulary facts without the library object equal the library\'s', () => {
  const json = trainByteLevelBpe(TEXTS, { vocabSize: 420, specialTokens: SPECIAL_TOKENS, addedTokens: ['<think>', '</think>'] });
  const base = json['added_tokens'] as object[];
  const cases: Record<string, unknown>[] = [
    json,
    // an added token written over a byte id, with a string the vocabulary has elsewhere
    { ...json, added_tokens: [...base, { id: 5, content: 'Mary', special: false }] },
    // an added token beyond the end (a hole before it) and one repeating a vocabulary string at a new id
    { ...json, added_tokens: [...base, { id: 500, content: '<x>', special: true }, { id: 501, content: 'Ġthe', special: false }] },
    // no added tokens at all
    { ...json, added_tokens: [] },
  ];
  for (const tj of cases) {
    const lib = tokenizerFromJson(tj, { eos_token: '<|im_end|>' }, 'x', [], 'y', 0, false);
    const fast = tokenizerFromJson(tj, { eos_token: '<|im_end|>' });
    assert.equal(fast.vocabSize, lib.vocabSize);
    assert.deepEqual([...fast.specialTokens], [...lib.specialTokens]);
    assert.deepEqual(fast.eosTokenIds, lib.eosTokenIds);
    const vocab = (tj['model'] as { vocab: Record<string, number> }).vocab;
    for (const t of [...Object.keys(vocab), '<think>', 'Mary', 'nope']) assert.equal(fast.tokenToId(t), lib.tokenToId(t), t);
  }
});
