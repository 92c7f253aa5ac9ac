import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { UserError } from '../../src/util/errors.ts';
import { SkipCounter, validateRecord, type DocQARecord } from '../../src/data/record.ts';
import { fillTemplate, QWENLONG_TEMPLATE, parsePrompt, renderPrompt } from '../../src/data/prompt.ts';
import {
  readJsonlRecords,
  writeJsonlRecords,
  readRecords,
  writeRecords,
  readLongBench,
  readFrames,
  parsePyLiteral,
} from '../../src/data/io/index.ts';
import { tempDir } from '../temp-dir.ts';

const shared = fileURLToPath(new URL('../../../shared/data/', import.meta.url));
const tmp = () => tempDir('longrl-data-');

const recs: DocQARecord[] = [
  { id: 'a', data_source: 'synth_docqa_kv', task: 'kv', split: 'train', document: 'x y z. bami dor.', question: 'What is the value of bami?', answer: 'dor', trace: '<think>\nFact: bami dor.\n</think>\n\nTherefore, the answer is dor.', metadata: { budget: 10 } },
  { id: 'b', data_source: 'synth_choice_kv', document: 'k v.\n\nmore "quoted" text', question: 'Which?', answer: 'B', choices: ['p', 'q', 'r', 's'] },
  { id: 'c', data_source: 'musique_v1', document: 'Über naïve 東京 text', question: 'Who?', answers: ['x', 'y'] },
];

test('jsonl: write → read round trip is exact', () => {
  const d = tmp();
  const f = join(d, 'r.jsonl');
  writeJsonlRecords(f, recs);
  assert.deepEqual(readJsonlRecords(f), recs);
});

test('jsonl: malformed line, missing field, wrong type, empty document name file, line and field', () => {
  const d = tmp();
  const f = join(d, 'bad.jsonl');
  const good = JSON.stringify(recs[0]);
  const cases: [string, RegExp][] = [
    ['{"id": "x", oops', /bad\.jsonl:2: field "\(line\)": malformed JSON/],
    [JSON.stringify({ ...recs[0], question: undefined }), /bad\.jsonl:2: field "question": missing required field/],
    [JSON.stringify({ ...recs[0], answer: 5 }), /bad\.jsonl:2: field "answer": /],
    [JSON.stringify({ ...recs[0], document: '  \n' }), /bad\.jsonl:2: field "document": empty document/],
    [JSON.stringify({ ...recs[0], answer: undefined }), /bad\.jsonl:2: field "answer": needs "answer"/],
    [JSON.stringify({ ...recs[0], choices: 'abc' }), /bad\.jsonl:2: field "choices"/],
    ['[1,2]', /bad\.jsonl:2: field "\(record\)": expected a JSON object/],
  ];
  for (const [line, re] of cases) {
    writeFileSync(f, `${good}\n${line}\n${good}\n`);
    assert.throws(() => readJsonlRecords(f), (e: unknown) => e instanceof UserError && re.test(e.message), line);
    const skipped = new SkipCounter();
    const got = readJsonlRecords(f, { skipInvalid: true, skipped });
    assert.equal(got.length, 2);
    assert.equal(skipped.count, 1);
  }
});

test('record: extra keys (teacher, scores) pass through', () => {
  const r = validateRecord({ ...recs[0], teacher: 'm', scores: [1, 0] }, { file: 'f' });
  assert.equal(r['teacher'], 'm');
});

test('parquet: write → read round trip restores records', async () => {
  const d = tmp();
  const f = join(d, 'r.parquet');
  writeRecords(f, recs);
  const back = await readRecords(f);
  assert.deepEqual(back, recs);
});

test('parquet: a verl file written by another writer (verl column structure) loads as is', async () => {
  const d = tmp();
  const f = join(d, 'train.parquet');
  const STR = { type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' };
  // The structure pandas/pyarrow give a verl dataset: prompt list<struct<role, content>>,
  // reward_model struct<style, ground_truth>, extra_info struct<split, index>.
  const schema = [
    { name: 'schema', num_children: 5 },
    { name: 'data_source', ...STR },
    { name: 'prompt', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', repetition_type: 'OPTIONAL', num_children: 2 },
    { name: 'role', ...STR },
    { name: 'content', ...STR },
    { name: 'ability', ...STR },
    { name: 'reward_model', repetition_type: 'OPTIONAL', num_children: 2 },
    { name: 'style', ...STR },
    { name: 'ground_truth', ...STR },
    { name: 'extra_info', repetition_type: 'OPTIONAL', num_children: 2 },
    { name: 'split', ...STR },
    { name: 'index', type: 'INT64', repetition_type: 'OPTIONAL' },
  ];
  const doc = 'Revenue rose 12% in 2021.\nCosts fell.';
  const content = fillTemplate(QWENLONG_TEMPLATE, doc, 'By how much did revenue rise?');
  const buf = parquetWriteBuffer({
    schema: schema as never,
    columnData: [
      { name: 'data_source', data: ['docmath_v1', 'musique_v1'] },
      { name: 'prompt', data: [[{ role: 'user', content }], [{ role: 'user', content: fillTemplate(QWENLONG_TEMPLATE, 'Paris is in France.', 'Where is Paris?') }]] },
      { name: 'ability', data: ['doc-math', 'doc-qa'] },
      { name: 'reward_model', data: [{ style: 'rule', ground_truth: '12' }, { style: 'rule', ground_truth: 'France' }] },
      { name: 'extra_info', data: [{ split: 'train', index: 7n }, { split: 'train', index: 8n }] },
    ],
  });
  writeFileSync(f, new Uint8Array(buf));
  const got = await readRecords(f);
  assert.equal(got.length, 2);
  assert.deepEqual(got[0], {
    id: 'train-7',
    data_source: 'docmath_v1',
    split: 'train',
    document: doc,
    question: 'By how much did revenue rise?',
    answer: '12',
    metadata: { ability: 'doc-math' },
  });
  assert.equal(got[1]?.answer, 'France');
});

test('parquet: a prompt without QwenLong markers loads whole (rendered_prompt) and writes back unchanged', async () => {
  const d = tmp();
  const r: DocQARecord = { id: 'k', data_source: 'custom_longcontext_needle_qa_x', document: 'Please read the following text.\nctx\n\nFind it.', question: '', answer: 'a', metadata: { rendered_prompt: true } };
  const f = join(d, 'k.parquet');
  writeRecords(f, [r]);
  const [back] = await readRecords(f);
  assert.deepEqual(back, r);
  assert.equal(renderPrompt(r), r.document);
});

test('parquet: not a parquet file, missing ground truth → UserError naming file/row/field', async () => {
  const d = tmp();
  const f = join(d, 'x.parquet');
  writeFileSync(f, 'hello, not parquet at all');
  await assert.rejects(readRecords(f), (e: unknown) => e instanceof UserError && /x\.parquet is not a Parquet file/.test(e.message));
  const STR = { type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' };
  const schema = [
    { name: 'schema', num_children: 3 },
    { name: 'data_source', ...STR },
    { name: 'prompt', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', repetition_type: 'OPTIONAL', num_children: 2 },
    { name: 'role', ...STR },
    { name: 'content', ...STR },
    { name: 'reward_model', repetition_type: 'OPTIONAL', num_children: 1 },
    { name: 'style', ...STR },
  ];
  const content = fillTemplate(QWENLONG_TEMPLATE, 'doc', 'q');
  writeFileSync(f, new Uint8Array(parquetWriteBuffer({
    schema: schema as never,
    columnData: [
      { name: 'data_source', data: ['a', 'b'] },
      { name: 'prompt', data: [[{ role: 'user', content }], [{ role: 'user', content: 'no markers here' }]] },
      { name: 'reward_model', data: [{ style: 'rule' }, { style: 'rule' }] },
    ],
  })));
  await assert.rejects(readRecords(f), /x\.parquet row 0: field "reward_model\.ground_truth": missing required field/);
  const skipped = new SkipCounter();
  assert.equal((await readRecords(f, { skipInvalid: true, skipped })).length, 0);
  assert.equal(skipped.count, 2);
  assert.match(skipped.examples[1] ?? '', /row 1: field "reward_model\.ground_truth"/);
});

test('prompt: template filled DOC first with strip semantics; parse inverts it', () => {
  const c = fillTemplate(QWENLONG_TEMPLATE, '\n  the doc  \n', ' q? ');
  assert.equal(c, 'Please read the following text and answer the question below.\n\n<text>\nthe doc\n</text>\n\nq?\n\nFormat your response as follows: "Therefore, the answer is (insert answer here)".');
  assert.deepEqual(parsePrompt(`<|user|>${c}<|assistant|>`), { document: 'the doc', question: 'q?' });
  // DOC first: a $Q$ inside the document is replaced too, as Python's chained replace does.
  assert.match(fillTemplate(QWENLONG_TEMPLATE, 'a $Q$ b', 'Q'), /a Q b/);
});

test('pyliteral: LongBench gold strings', () => {
  assert.deepEqual(parsePyLiteral("['Bob Dylan']"), ['Bob Dylan']);
  assert.deepEqual(parsePyLiteral(`{'answers': ["it's"], 'all_classes': ['A', 'B\\'s'], 'n': 3, 'ok': True}`), { answers: ["it's"], all_classes: ['A', "B's"], n: 3, ok: true });
});

test('longbench: MiniLongBench files load with gold lists and all_classes', () => {
  const dir = join(shared, 'longbench/minilongbench_example/');
  const hotpot = readLongBench(join(dir, 'MiniLongBench_hotpotqa.json'));
  assert.equal(hotpot.length, 13);
  assert.equal(hotpot[0]?.data_source, 'longbench_hotpotqa');
  assert.ok(hotpot[0]?.document.startsWith('Answer the question based on the given passages.'));
  assert.ok(Array.isArray(hotpot[0]?.answers));
  const trec = readLongBench(join(dir, 'MiniLongBench_trec.json'));
  assert.ok(Array.isArray(trec[0]?.metadata?.['all_classes']));
});

test('longbench: v1 JSONL rows; missing context names the line', () => {
  const d = tmp();
  const f = join(d, 'hotpotqa.jsonl');
  const row = { input: 'Q?', context: 'ctx', answers: ['a'], length: 3, dataset: 'hotpotqa', language: 'en', all_classes: null, _id: 'id1' };
  writeFileSync(f, `${JSON.stringify(row)}\n${JSON.stringify({ ...row, context: undefined })}\n`);
  assert.throws(() => readLongBench(f), /hotpotqa\.jsonl:2: field "context": missing required field/);
  writeFileSync(f, `${JSON.stringify(row)}\n`);
  assert.deepEqual(readLongBench(f), [{ id: 'id1', data_source: 'longbench_hotpotqa', task: 'hotpotqa', document: 'ctx', question: 'Q?', answers: ['a'], metadata: { length: 3, language: 'en' } }]);
});

test('frames: 824 questions with answers and parsed wiki links', () => {
  const items = readFrames(join(shared, 'frames/frames_824.jsonl'));
  assert.equal(items.length, 824);
  assert.equal(items[0]?.answer, 'Jane Ballou');
  assert.ok((items[0]?.wiki_links.length ?? 0) > 1);
  assert.match(items[0]?.wiki_links[0] ?? '', /^https:\/\/en\.wikipedia\.org/);
  assert.ok(readFileSync(join(shared, 'frames/frames_824.jsonl'), 'utf8').length > 0);
});

test('longbench v2: multiple-choice rows with context files; rows without context are counted with skipInvalid', () => {
  const f = join(shared, 'longbench_v2/longbench_v2_questions.jsonl');
  assert.throws(() => readLongBench(f), /longbench_v2_questions\.jsonl:1: field "context": missing required field/);
  const skipped = new SkipCounter();
  const got = readLongBench(f, { skipInvalid: true, skipped });
  assert.equal(got.length, 14);
  assert.equal(skipped.count, 503 - 14);
  for (const r of got) {
    assert.equal(r.choices?.length, 4);
    assert.match(r.answer ?? '', /^[A-D]$/);
    assert.ok(r.document.length > 1000);
  }
});

test('prompt: SFT completion drops the <think> the chat template already opened', async () => {
  const { completionAfterPrompt } = await import('../../src/data/prompt.ts');
  const trace = '<think>\nFact: a b.\n</think>\n\nTherefore, the answer is b.';
  assert.equal(completionAfterPrompt('<|im_start|>assistant\n', trace), trace);
  assert.equal(completionAfterPrompt('<｜Assistant｜><think>\n', trace), 'Fact: a b.\n</think>\n\nTherefore, the answer is b.');
});

test('parquet: a verl file written by DuckDB (ZSTD, list<struct> prompt) loads as is', async () => {
  const f = fileURLToPath(new URL('./fixtures/verl_duckdb.parquet', import.meta.url));
  const got = await readRecords(f);
  assert.deepEqual(got.map((r) => [r.id, r.data_source, r.split, r.answer, r.metadata?.['ability']]), [
    ['verl_duckdb-0', 'docmath_v1', 'train', '25', 'doc-math'],
    ['verl_duckdb-1', 'musique_v1', 'train', 'France', 'doc-qa'],
    ['verl_duckdb-2', 'long_toc_choices_0_20000', 'train', 'D', 'doc-mc'],
  ]);
  assert.equal(got[0]?.document, 'Revenue rose from 40 to 50.\nCosts fell.');
  assert.equal(got[0]?.question, 'By what percent did revenue rise?');
  assert.equal(got[1]?.document, 'Über naïve 東京 text: Paris is in France.');
  assert.equal(got[2]?.question, 'Which clause covers fire?\n\n(A) 1\n(B) 2\n(C) 3\n(D) 4');
});

test('json: an array of records reads with row numbers in errors', async () => {
  const d = tmp();
  const f = join(d, 'r.json');
  writeFileSync(f, JSON.stringify([recs[0], { ...recs[1], data_source: 3 }]));
  await assert.rejects(readRecords(f), /r\.json row 1: field "data_source"/);
  writeRecords(f, recs);
  assert.ok(readFileSync(f, 'utf8').startsWith('['));
  assert.deepEqual(await readRecords(f), recs);
});
