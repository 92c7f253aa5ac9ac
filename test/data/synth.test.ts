import { test } from 'node:test';
import assert from 'node:assert/strict';
import { synthDataset, synthRecord } from '../../src/data/synth/generate.ts';
import { TASKS, formatNumber } from '../../src/data/synth/tasks.ts';
import { synthTokenizerCorpus } from '../../src/data/synth/corpus.ts';
import { entityPools, FILLER_WORDS, nearMissKeys } from '../../src/data/synth/vocab.ts';
import { whitespaceChatCounter, whitespaceCounter, type TokenCounter } from '../../src/data/tokens.ts';
import { recordsToJsonl } from '../../src/data/io/jsonl.ts';
import { renderPrompt } from '../../src/data/prompt.ts';
import { validateRecord, goldAnswers } from '../../src/data/record.ts';
import { ruleReward } from '../../src/reward/index.ts';
import { trainByteLevelBpe, tokenizerFromJson, chatmlTokenizerConfig, SPECIAL_TOKENS, THINK_TOKENS } from '../../src/tokenizer/index.ts';
import { UserError } from '../../src/util/errors.ts';

const all = [...TASKS];

test('synth: same seed → identical bytes; another seed differs', () => {
  const cfg = { tasks: all, lengths: [128, 300], count: 8, testCount: 4, seed: 7 };
  const a = synthDataset(cfg, whitespaceChatCounter);
  const b = synthDataset(cfg, whitespaceChatCounter);
  assert.equal(recordsToJsonl([...a.train, ...a.test]), recordsToJsonl([...b.train, ...b.test]));
  const c = synthDataset({ ...cfg, seed: 8 }, whitespaceChatCounter);
  assert.notEqual(recordsToJsonl(a.train), recordsToJsonl(c.train));
  assert.equal(a.train.length, 16);
  assert.equal(a.test.length, 8);
  // A record does not depend on the other tasks asked for.
  const solo = synthRecord({ task: 'chain', split: 'train', length: 300, index: 4, seed: 7 }, whitespaceChatCounter);
  assert.deepEqual(a.train.find((r) => r.id === solo.id), solo);
});

function budgetCheck(counter: TokenCounter, lengths: number[], slack: number) {
  const { train, test: te } = synthDataset({ tasks: all, lengths, count: all.length, testCount: 2, seed: 3 }, counter);
  for (const r of [...train, ...te]) {
    validateRecord(r, { file: 'synth' });
    const L = r.metadata?.['budget'] as number;
    const n = counter.encode(renderPrompt(r, counter.renderChat)).length;
    assert.ok(n <= L, `${r.id}: ${n} > ${L}`);
    assert.ok(n >= L - slack, `${r.id}: ${n} tokens, not close to ${L}`);
    assert.equal(r.metadata?.['prompt_tokens'], n);
  }
}

test('synth: rendered prompts fit the budget exactly (whitespace counters)', () => {
  budgetCheck(whitespaceCounter, [100, 257, 1024], 1);
  budgetCheck(whitespaceChatCounter, [100, 513], 1);
});

test('synth: budget too small for the facts is a UserError', () => {
  assert.throws(() => synthRecord({ task: 'chain', split: 'train', length: 20, index: 0, seed: 1, params: { hops: 4 } }, whitespaceCounter), (e: unknown) => e instanceof UserError && /budget 20/.test(e.message));
});

test('synth: train and test share no entity', () => {
  const pools = entityPools();
  const trainEnt = new Set([...pools.train.keys, ...pools.train.values]);
  const testEnt = new Set([...pools.test.keys, ...pools.test.values]);
  for (const k of trainEnt) assert.ok(!testEnt.has(k));
  for (const k of pools.train.keys) for (const m of nearMissKeys(k)) assert.ok(!testEnt.has(m));
  const { train, test: te } = synthDataset({ tasks: all, lengths: [200], count: 40, testCount: 40, seed: 11 }, whitespaceCounter);
  const words = (r: { document: string; question: string; trace?: string; choices?: string[] }) =>
    new Set(`${r.document} ${r.question} ${r.trace ?? ''} ${(r.choices ?? []).join(' ')}`.split(/[^a-z]+/));
  for (const r of train) for (const w of words(r)) assert.ok(!testEnt.has(w), `${r.id} uses test entity ${w}`);
  for (const r of te) for (const w of words(r)) assert.ok(!trainEnt.has(w), `${r.id} uses train entity ${w}`);
});

test('synth: every trace earns reward 1 from the real rule reward; the answer is in the document', () => {
  for (const style of ['copy', 'verbose', 'empty'] as const) {
    const { train } = synthDataset({ tasks: all, lengths: [300], count: 24, testCount: 0, seed: 5, params: { traceStyle: style, factStyle: style === 'verbose' ? 'sentence' : 'compact' } }, whitespaceCounter);
    for (const r of train) {
      const res = ruleReward({ dataSource: r.data_source, response: r.trace as string, groundTruth: goldAnswers(r) });
      assert.equal(res.score, 1, `${r.id} (${style}): ${JSON.stringify(res)}`);
      assert.match(r.trace as string, /^<think>\n[^]*\n<\/think>\n\n(Therefore, the answer is .+\.|The correct answer is \([A-H]\)\.)$/);
      // A wrong answer must score 0 (the reward distinguishes).
      const wrong = r.data_source.includes('choice') ? 'The correct answer is (Z).' : 'Therefore, the answer is 999999 zzz.';
      assert.equal(ruleReward({ dataSource: r.data_source, response: `<think>\n</think>\n\n${wrong}`, groundTruth: goldAnswers(r) }).score, 0, r.id);
    }
  }
});

test('synth: kv task shape: ≥ 4 facts plus a near-miss key; the evidence depth knob places the fact', () => {
  const r = synthRecord({ task: 'kv', split: 'train', length: 400, index: 0, seed: 2, params: { depth: 0.9 } }, whitespaceCounter);
  const key = r.metadata?.['key'] as string;
  const facts = r.document.match(/ [a-z]{4} [a-z]{3}\./g) ?? [];
  assert.ok(facts.length >= 5, r.document);
  assert.ok(facts.some((f) => nearMissKeys(key).includes(f.trim().slice(0, 4))), 'has a near-miss fact');
  assert.ok((r.metadata?.['evidence_depth'] as number) > 0.8);
  const shallow = synthRecord({ task: 'kv', split: 'train', length: 400, index: 0, seed: 2, params: { depth: 0 } }, whitespaceCounter);
  assert.ok((shallow.metadata?.['evidence_depth'] as number) < 0.1);
  const chain = synthRecord({ task: 'chain', split: 'train', length: 400, index: 0, seed: 2 }, whitespaceCounter);
  // 2-hop: the value of A is the key of B.
  const [, a, b] = /Fact: (\w+) (\w+)\./.exec(chain.trace as string) ?? [];
  assert.ok(chain.document.includes(` ${a} ${b}.`) && new RegExp(` ${b} ${chain.answer}\\.`).test(chain.document));
});

test('synth: ledger answers are computed from the entries', () => {
  for (let i = 0; i < 12; i++) {
    const r = synthRecord({ task: 'ledger', split: 'train', length: 300, index: i, seed: 9 }, whitespaceCounter);
    const nums = [...(r.trace as string).matchAll(/received (\d+) coins/g)].map((m) => Number(m[1]));
    const [x1, x2] = nums as [number, number];
    const op = r.metadata?.['op'];
    const want = op === 'sum' ? x1 + x2 : op === 'difference' ? x1 - x2 : ((x2 - x1) / x1) * 100;
    assert.equal(r.answer, formatNumber(want));
  }
});

test('synth: with a BPE trained on synthTokenizerCorpus every task word is one token and budgets are exact', () => {
  const tj = trainByteLevelBpe(synthTokenizerCorpus(), { vocabSize: 1024, specialTokens: SPECIAL_TOKENS, addedTokens: THINK_TOKENS });
  const tok = tokenizerFromJson(tj, chatmlTokenizerConfig(tj, 32768));
  const pools = entityPools();
  for (const w of [...pools.train.keys, ...pools.test.keys, ...pools.train.values, ...pools.test.values, ...FILLER_WORDS]) {
    assert.equal(tok.encode(` ${w}`).length, 1, w);
  }
  const counter: TokenCounter = { encode: (t) => tok.encode(t), renderChat: (m) => tok.applyChatTemplate(m, { addGenerationPrompt: true }) };
  budgetCheck(counter, [200, 700], 3);
});

test('synth: facts range per record; pretrain documents use both pools and no split record', () => {
  const { train, pretrain } = synthDataset({ tasks: ['kv'], lengths: [200], count: 40, testCount: 0, pretrainCount: 40, seed: 12, params: { facts: 2, factsMax: 6 } }, whitespaceCounter);
  const counts = new Set(train.map((r) => r.metadata?.['facts']));
  assert.deepEqual([...counts].sort(), [2, 3, 4, 5, 6]);
  const pools = entityPools();
  const testEnt = new Set([...pools.test.keys, ...pools.test.values]);
  const trainEnt = new Set([...pools.train.keys, ...pools.train.values]);
  const words = pretrain.flatMap((r) => r.document.split(/[^a-z]+/));
  assert.ok(words.some((w) => testEnt.has(w)) && words.some((w) => trainEnt.has(w)));
  assert.ok(pretrain.every((r) => r.split === 'pretrain' && r.id.includes('-pretrain-')));
  const docs = new Set(train.map((r) => r.document));
  assert.ok(pretrain.every((r) => !docs.has(r.document)));
});

test('synth: named streams of one split give different records with distinct ids', () => {
  const spec = { task: 'kv' as const, split: 'train' as const, length: 150, index: 3, seed: 1 };
  const a = synthRecord(spec, whitespaceCounter);
  const b = synthRecord({ ...spec, stream: 'rl' }, whitespaceCounter);
  assert.equal(a.id, 'synth-kv-train-150-3');
  assert.equal(b.id, 'synth-kv-train-rl-150-3');
  assert.notEqual(a.document, b.document);
  assert.deepEqual(synthRecord({ ...spec, stream: 'rl' }, whitespaceCounter), b);
});
