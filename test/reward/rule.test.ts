import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import {
  answerSection,
  extractQaAnswer,
  extractDocmathAnswer,
  extractChoice,
  extractChoiceGold,
  docmathJudgeFallbackText,
  subEm,
  choiceScore,
  ruleReward,
  VerifierRegistry,
  loadVerifiers,
  builtinKind,
} from '../../src/reward/index.ts';

const T = (answer: string): string => `<think>\nreasoning\n</think>\n\n${answer}`;

test('answerSection: RL needs </think>, evaluation falls back to the whole response', () => {
  assert.equal(answerSection('no think here'), null);
  assert.equal(answerSection('a</think>b</think>  c \n'), 'c');
  assert.equal(answerSection('plain answer ', 'evaluation'), 'plain answer');
  assert.equal(answerSection('reasoning</think>  ', 'evaluation'), 'reasoning</think>');
  assert.equal(answerSection('x</think> y', 'evaluation'), 'y');
});

test('QA extraction: last case-sensitive "the answer is", special tokens, dot stripping', () => {
  const cases: [string, string | null][] = [
    ['Therefore, the answer is Paris.', 'Paris'],
    ['the answer is A. Later: the answer is **B**...', 'B'],
    ['The answer is Paris.', null], // sentence-initial capital does not match
    ['Therefore, the answer is ..Rome..<｜end▁of▁sentence｜>', 'Rome'],
    ['the answer is <｜Assistant｜> 42 .', '42'],
    ['no marker', null],
    ['the answer is', ''],
  ];
  for (const [input, want] of cases) assert.equal(extractQaAnswer(input), want, input);
});

test('DocMath extraction: first match, prefix order, cut at e, eval mode drops parentheses', () => {
  const cases: [string, string | null][] = [
    ['Therefore, the answer is 1,234.5.', '1234.5'],
    ['THE ANSWER IS $12 and later the answer is 7', '$12'],
    ['Therefore, the answer is -$5.', null], // prefix symbols must come in order
    ['Therefore, the answer is $-5.', '$-5'],
    ['Therefore, the answer is 1.5e-3', '1.5'], // scientific notation cut at the e
    ['Therefore, the answer is =≈`%$°£€¥-3', '=≈`%$°£€¥-3'],
    ['Therefore, the answer is **42**', '42'],
    ['Therefore, the answer is (42)', null],
  ];
  for (const [input, want] of cases) assert.equal(extractDocmathAnswer(input), want, input);
  assert.equal(extractDocmathAnswer('Therefore, the answer is (42)', 'evaluation'), '42');
  assert.equal(docmathJudgeFallbackText('Therefore, the answer is about six...'), 'about six');
});

test('choice extraction: parenthesised first, bare fallback, case-sensitive; gold letters', () => {
  assert.equal(extractChoice('The correct answer is (C). The correct answer is (A)'), 'C');
  assert.equal(extractChoice('The correct answer is B'), 'B');
  assert.equal(extractChoice('**The correct answer is (D)**'), 'D');
  assert.equal(extractChoice('the correct answer is (A)'), null);
  assert.equal(extractChoice('The correct answer is (E)'), null);
  assert.equal(extractChoiceGold('(b)'), 'B');
  assert.equal(extractChoiceGold('The correct answer is (A)'), 'A');
  assert.equal(choiceScore('The correct answer is (b)', 'B'), 0); // lower-case letter does not extract
  assert.equal(choiceScore('The correct answer is B', '(B)'), 1);
  assert.equal(choiceScore(null, 'B'), 0);
});

test('sub-EM: containment both ways; "the" is empty; guard on by default, reference quirk on request', () => {
  assert.equal(subEm('Paris, France', 'paris'), 1);
  assert.equal(subEm('Paris', 'The city of Paris'), 1);
  assert.equal(subEm('Lyon', 'Paris'), 0);
  assert.equal(subEm('the', 'Paris'), 0);
  assert.equal(subEm('the', 'Paris', { compat: 'reference' }), 1);
  assert.equal(subEm('', 'Paris', { compat: 'reference' }), 1);
  assert.equal(subEm('A.', 'Paris'), 0);
  assert.equal(subEm('Jane   Ballou!', 'jane ballou'), 1);
  assert.equal(subEm('café', 'Café'), 1);
});

test('dispatch by data_source substring: reference names, longrl synth names, errors', () => {
  assert.equal(builtinKind('long_toc_choices_0_20000'), 'choice');
  assert.equal(builtinKind('docmath_v1'), 'math');
  assert.equal(builtinKind('multihoprag_v1'), 'qa');
  assert.equal(builtinKind('musique_v1'), 'qa');
  assert.equal(builtinKind('synth_docqa_kv'), 'qa');
  assert.equal(builtinKind('synth_docmath_sum'), 'math');
  assert.equal(builtinKind('synth_choice_order'), 'choice');
  assert.equal(builtinKind('hotpotqa'), null);
  assert.throws(() => ruleReward({ dataSource: 'hotpotqa', response: T('x'), groundTruth: 'x' }), /no reward rule for data_source "hotpotqa"/);
});

test('ruleReward on each route', () => {
  const qa = ruleReward({ dataSource: 'musique_v1', response: T('Therefore, the answer is Jane Ballou.'), groundTruth: 'Therefore, the answer is Jane Ballou' });
  assert.deepEqual([qa.score, qa.acc, qa.kind, qa.extracted, qa.gold, qa.judgeable], [1, true, 'qa', 'Jane Ballou', 'Jane Ballou', true]);
  // a gold without the marker is used whole; a list means any one is correct
  assert.equal(ruleReward({ dataSource: 'synth_docqa_x', response: T('Therefore, the answer is Lyon'), groundTruth: ['Paris', 'Lyon'] }).score, 1);
  // no </think> -> 0 in RL mode, scored in evaluation mode
  const noThink = { dataSource: 'musique_v1', response: 'Therefore, the answer is Paris', groundTruth: 'Paris' };
  assert.equal(ruleReward(noThink).score, 0);
  assert.equal(ruleReward(noThink).extracted, null);
  assert.equal(ruleReward(noThink, { mode: 'evaluation' }).score, 1);
  // "the" answer: 0 by default, 1 in reference compat
  const the = { dataSource: 'musique_v1', response: T('Therefore, the answer is the.'), groundTruth: 'Paris' };
  assert.equal(ruleReward(the).score, 0);
  assert.equal(ruleReward(the, { compat: 'reference' }).score, 1);
  // DocMath: percent arm and 2- vs 3-decimal ceil
  assert.equal(ruleReward({ dataSource: 'docmath_v1', response: T('Therefore, the answer is 17.7%.'), groundTruth: 'Therefore, the answer is 0.177' }).score, 1);
  const ceil = { dataSource: 'docmath_v1', response: T('Therefore, the answer is 2.0001'), groundTruth: '2.009' };
  assert.equal(ruleReward(ceil).score, 0);
  assert.equal(ruleReward(ceil, { mode: 'evaluation' }).score, 1);
  // multiple choice: never judgeable
  const mc = ruleReward({ dataSource: 'long_toc_choices_0_20000', response: T('The correct answer is (B)'), groundTruth: 'B' });
  assert.deepEqual([mc.score, mc.judgeable, mc.extracted], [1, false, 'B']);
});

test('plug-in verifiers: registered function, override order, module loaded from config', async () => {
  const reg = new VerifierRegistry();
  reg.register('my_task', (inp) => ({ score: inp.answerText === 'forty-two' ? 1 : 0.25, extracted: inp.answerText }), { judge: false });
  const a = ruleReward({ dataSource: 'my_task_v2', response: T('forty-two'), groundTruth: '42' }, { registry: reg });
  assert.deepEqual([a.score, a.kind, a.verifier, a.judgeable], [1, 'custom', 'my_task', false]);
  assert.equal(ruleReward({ dataSource: 'my_task', response: T('no'), groundTruth: '42' }, { registry: reg }).score, 0.25);
  // a plug-in registered on a built-in substring takes precedence
  reg.register('musique', () => 0.5);
  assert.equal(ruleReward({ dataSource: 'musique_v1', response: T('x'), groundTruth: 'y' }, { registry: reg }).score, 0.5);
  assert.throws(() => ruleReward({ dataSource: 'bad', response: T('x'), groundTruth: 'y' }, { registry: Object.assign(new VerifierRegistry(), {}) }), /no reward rule/);
  const nan = new VerifierRegistry();
  nan.register('nan_task', () => NaN);
  assert.throws(() => ruleReward({ dataSource: 'nan_task', response: T('x'), groundTruth: 'y' }, { registry: nan }), /non-finite/);

  const dir = mkdtempSync(join(tmpdir(), 'longrl-verifier-'));
  try {
    writeFileSync(join(dir, 'my-verifier.ts'), [
      'export function verify(input: { answerText: string | null; groundTruth: string | readonly string[] }): number {',
      '  return input.answerText !== null && input.answerText.includes(String(input.groundTruth)) ? 1 : 0;',
      '}',
      'export const notAFunction = 3;',
    ].join('\n'));
    const fromConfig = new VerifierRegistry();
    await loadVerifiers({ code_task: { module: './my-verifier.ts', export: 'verify' } }, dir, fromConfig);
    assert.deepEqual(fromConfig.names(), ['code_task']);
    assert.equal(ruleReward({ dataSource: 'code_task', response: T('it prints 7'), groundTruth: '7' }, { registry: fromConfig }).score, 1);
    await assert.rejects(loadVerifiers({ x: { module: './my-verifier.ts', export: 'notAFunction' } }, dir, new VerifierRegistry()), /no function export "notAFunction"/);
    await assert.rejects(loadVerifiers({ x: { module: './missing.ts' } }, dir, new VerifierRegistry()), /cannot load verifier module/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('extraction and sub-EM match CPython on random strings (golden sample)', () => {
  interface Row { s: string; g: string; sec: string | null; qa: string | null; dm: string | null; mc: string | null; subem: number }
  const { rows } = JSON.parse(readFileSync(new URL('./fixtures/extract-golden.json', import.meta.url), 'utf8')) as { rows: Row[] };
  assert.ok(rows.length >= 400);
  for (const r of rows) {
    assert.equal(answerSection(r.s), r.sec, `section ${JSON.stringify(r.s)}`);
    assert.equal(extractQaAnswer(r.s), r.qa, `qa ${JSON.stringify(r.s)}`);
    assert.equal(extractDocmathAnswer(r.s), r.dm, `docmath ${JSON.stringify(r.s)}`);
    assert.equal(extractChoice(r.s), r.mc, `choice ${JSON.stringify(r.s)}`);
    assert.equal(subEm(r.s, r.g, { compat: 'reference' }), r.subem, `sub-EM ${JSON.stringify(r.s)} / ${JSON.stringify(r.g)}`);
  }
});
