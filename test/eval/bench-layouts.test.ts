/**
 * Benchmark layouts of `longrl eval` on the real files in shared/data (MiniLongBench,
 * LongBench v2, FRAMES) and small files in the public layouts (LongBench v1 JSONL,
 * DocMath-Eval, FRAMES with articles): items, prompts, truncation and per-kind scores,
 * the MiniLongBench scores checked against the authors' per-sample reference scores.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  loadDocMath, loadFrames, loadLongBench, loadSynth, loadWiki, itemContent, truncateContent, ruleScores, finalScore,
  parseBenchList, resolveData, LONGBENCH_V2_TEMPLATE,
} from '../../src/eval/index.ts';
import { QWENLONG_TEMPLATE } from '../../src/data/prompt.ts';
import { UserError } from '../../src/util/errors.ts';

const DATA = fileURLToPath(new URL('../../../shared/data/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'longrl-bench-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('MiniLongBench items are rendered prompts; their predictions score as the reference per sample', () => {
  const expected = JSON.parse(readFileSync(join(DATA, 'longbench/expected_scores.json'), 'utf8')) as { scores: Record<string, Record<string, number>> };
  let checked = 0;
  for (const task of ['2wikimqa', 'hotpotqa', 'musique', 'narrativeqa', 'qasper']) {
    const path = join(DATA, `longbench/minilongbench_example/MiniLongBench_${task}.json`);
    const { items } = loadLongBench(path, false);
    const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, { origin_prompt: string; prediction: string }>;
    assert.equal(items.length, Object.keys(raw).length);
    for (const it of items) {
      const key = it.id.slice(task.length + 1);
      assert.equal(it.kind, 'rendered');
      assert.equal(itemContent(it), raw[key]!.origin_prompt);
      const s = ruleScores(it, raw[key]!.prediction);
      assert.equal(s.scores['longbench'], expected.scores[task]![key], `${it.id}`);
      checked++;
    }
  }
  assert.equal(checked, 13 + 13 + 7 + 6 + 9);
});

test('LongBench v2: the 14 questions with context load, the rest are counted; its own template', () => {
  const r = loadLongBench(join(DATA, 'longbench_v2/longbench_v2_questions.jsonl'), true);
  assert.equal(r.items.length, 14);
  assert.equal(r.skipped, 503 - 14);
  const it = r.items[0]!;
  assert.equal(it.kind, 'choice');
  assert.match(it.answers[0]!, /^[A-D]$/);
  assert.ok(['easy', 'hard'].includes(it.groups!['difficulty']!));
  const c = itemContent(it);
  const want = LONGBENCH_V2_TEMPLATE.replace('$DOC$', it.document.trim()).replace('$Q$', it.question.trim())
    .replace('$C_A$', it.choices![0]!.trim()).replace('$C_B$', it.choices![1]!.trim()).replace('$C_C$', it.choices![2]!.trim()).replace('$C_D$', it.choices![3]!.trim());
  assert.equal(c, want);
  assert.ok(c.includes('What is the correct answer to this question: '));
  const gold = it.answers[0]!;
  const wrong = gold === 'A' ? 'B' : 'A';
  assert.equal(ruleScores(it, `<think>hmm</think>The correct answer is (${gold})`).scores['acc'], 1);
  assert.equal(ruleScores(it, `The correct answer is ${wrong}`).scores['acc'], 0);
  assert.equal(ruleScores(it, 'I do not know').extracted, null);
});

test('FRAMES: all 824 questions closed-book offline; articles from wiki_items or a --wiki file', () => {
  const r = loadFrames(join(DATA, 'frames/frames_824.jsonl'));
  assert.equal(r.items.length, 824);
  assert.ok(r.items.every((i) => i.closedBook && i.document === ''));
  const first = r.items[0]!;
  assert.equal(itemContent(first), `${first.question}\n\nFormat your response as follows: "Therefore, the answer is (insert answer here)".`);
  // QwenLong layout: Prompt, Answer, wiki_items.
  const q = join(dir, 'frames-ql.jsonl');
  writeFileSync(q, JSON.stringify({ Prompt: 'Who?', Answer: 'Ada', wiki_items: [{ title: 'T1', text: 'x1' }, { title: 'T2', text: 'x2' }] }) + '\n');
  const it = loadFrames(q).items[0]!;
  assert.equal(it.document, 'T1\nx1\nT2\nx2');
  assert.equal(itemContent(it), QWENLONG_TEMPLATE.replace('$DOC$', 'T1\nx1\nT2\nx2').replace('$Q$', 'Who?'));
  // Public layout + --wiki file keyed by URL or title.
  const pub = join(dir, 'frames-pub.jsonl');
  writeFileSync(pub, JSON.stringify({ id: 7, problem: 'Q?', answer: 'A', wiki_links: "['https://en.wikipedia.org/wiki/Ada_Lovelace', 'https://en.wikipedia.org/wiki/X']" }) + '\n');
  const wiki = join(dir, 'wiki.jsonl');
  writeFileSync(wiki, [JSON.stringify({ title: 'Ada Lovelace', text: 'born 1815' }), JSON.stringify({ url: 'https://en.wikipedia.org/wiki/X', title: 'X', text: 'ex' })].join('\n') + '\n');
  const w = loadFrames(pub, loadWiki(wiki)).items[0]!;
  assert.equal(w.document, 'Ada Lovelace\nborn 1815\nX\nex');
  assert.equal(w.id, 'frames-7');
  assert.equal(w.closedBook, false);
});

test('LongBench v1 JSONL and DocMath-Eval layouts, with the QwenLong scorers', () => {
  const lb = join(dir, 'hotpotqa.jsonl');
  writeFileSync(lb, JSON.stringify({ _id: 'h1', dataset: 'hotpotqa', context: 'Passage 1: Paris is in France.', input: 'Where is Paris?', answers: ['France', 'Lutetia'], length: 5 }) + '\n');
  const it = loadLongBench(lb, false).items[0]!;
  assert.equal(it.kind, 'qa');
  assert.equal(itemContent(it), QWENLONG_TEMPLATE.replace('$DOC$', 'Passage 1: Paris is in France.').replace('$Q$', 'Where is Paris?'));
  const good = ruleScores(it, '<think>It says France.</think>\n\nTherefore, the answer is **France**.');
  assert.equal(good.extracted, 'France');
  assert.deepEqual(good.scores, { sub_em: 1, qa_f1: 1 });
  assert.deepEqual(good.judge, { prediction: 'France', gold: 'France', always: true });
  // answers[0] only for sub-EM (QwenLong eval); no "the answer is" -> no answer.
  assert.deepEqual(ruleScores(it, 'Therefore, the answer is Lutetia').scores, { sub_em: 0, qa_f1: 1 });
  const none = ruleScores(it, 'France');
  assert.equal(none.extracted, null);
  assert.equal(none.judge!.prediction, 'None');
  assert.equal(finalScore(none, 1), 1);
  assert.equal(finalScore(none, null), 0);

  const dm = join(dir, 'docmath.json');
  writeFileSync(dm, JSON.stringify([{ question_id: 'd1', question: 'Growth?', paragraphs: ['Revenue 100', 'then 112.5'], ground_truth: 12.5 }]));
  const d = loadDocMath(dm).items[0]!;
  assert.equal(d.document, 'Revenue 100\nthen 112.5');
  assert.equal(ruleScores(d, 'Therefore, the answer is 12.5%.').scores['docmath'], 1);
  assert.equal(ruleScores(d, 'Therefore, the answer is $12.499.').scores['docmath'], 1); // 2-decimal ceil
  assert.equal(ruleScores(d, 'Therefore, the answer is 13.').scores['docmath'], 0);
  assert.throws(() => loadDocMath(lb), UserError);
});

test('synthetic suites: the test split of a two-split file, scored by the training rule', async () => {
  const p = join(dir, 'synth.jsonl');
  const rows = [
    { id: 'a', data_source: 'synth_docqa_kv', task: 'kv', split: 'train', document: 'k1 is v1.', question: 'k1?', answer: 'v1' },
    { id: 'b', data_source: 'synth_docqa_kv', task: 'kv', split: 'test', document: 'k2 is v2.', question: 'k2?', answer: 'v2' },
    { id: 'c', data_source: 'synth_choice_kv', task: 'choice', split: 'test', document: 'k3 is v3.', question: 'k3?', choices: ['v1', 'v3'], answer: 'B' },
  ];
  writeFileSync(p, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const { items } = await loadSynth(p);
  assert.deepEqual(items.map((i) => i.id), ['b', 'c']);
  assert.equal(ruleScores(items[0]!, '</think>Therefore, the answer is v2.').scores['rule'], 1);
  assert.equal(ruleScores(items[1]!, '</think>The correct answer is (B)').scores['rule'], 1);
  assert.equal(ruleScores(items[1]!, '</think>The correct answer is (A)').scores['rule'], 0);
  assert.ok(itemContent(items[1]!).includes('(A) v1\n(B) v3'));
});

test('middle truncation keeps the first and last halves of the token budget', () => {
  const tok = { encode: (t: string) => t.split(' ').map(Number), decode: (ids: readonly number[]) => ids.join(' ') };
  const text = Array.from({ length: 10 }, (_, i) => i).join(' ');
  assert.deepEqual(truncateContent(text, tok, 6), { content: '0 1 2 7 8 9', tokens: 6, truncated: true });
  assert.deepEqual(truncateContent(text, tok, 10), { content: text, tokens: 10, truncated: false });
  assert.deepEqual(truncateContent(text, null, 3), { content: text, tokens: null, truncated: false });
});

test('--bench and --data resolution', () => {
  assert.deepEqual(parseBenchList('docmath,longbench'), ['docmath', '2wikimqa', 'hotpotqa', 'musique', 'narrativeqa', 'qasper']);
  assert.throws(() => parseBenchList('mmlu'), UserError);
  const got = resolveData(['hotpotqa', 'longbench-v2'], [join(DATA, 'longbench'), join(DATA, 'longbench_v2')]);
  assert.equal(got['hotpotqa'], join(DATA, 'longbench/minilongbench_example/MiniLongBench_hotpotqa.json'));
  assert.equal(got['longbench-v2'], join(DATA, 'longbench_v2/longbench_v2_questions.jsonl'));
  assert.deepEqual(resolveData(['docmath'], [`docmath=${join(dir, 'docmath.json')}`]), { docmath: join(dir, 'docmath.json') });
  assert.throws(() => resolveData(['frames'], [dir]), UserError);
});
