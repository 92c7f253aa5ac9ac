import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { middleTruncate, recordLengths, sidecarPath } from '../../src/data/lengths.ts';
import { whitespaceCounter, type TokenCounter } from '../../src/data/tokens.ts';
import { writeJsonlRecords, readRecords } from '../../src/data/io/index.ts';
import type { DocQARecord } from '../../src/data/record.ts';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../temp-dir.ts';

test('middleTruncate: ids[:h] + ids[-h:] as QwenLong eval', () => {
  const ids = Array.from({ length: 10 }, (_, i) => i);
  assert.deepEqual(middleTruncate(ids, 10), ids);
  assert.deepEqual(middleTruncate(ids, 6), [0, 1, 2, 7, 8, 9]);
  assert.deepEqual(middleTruncate(ids, 5), [0, 1, 8, 9]); // odd budget keeps 2·floor(5/2)
  assert.deepEqual(middleTruncate(ids, 1), []);
});

test('lengths: computed once, cached by id + prompt hash + tokenizer', () => {
  const dir = tempDir('longrl-len-');
  const data = join(dir, 'r.jsonl');
  const recs: DocQARecord[] = [
    { id: 'a', data_source: 'x_docqa', document: 'one two three', question: 'q?', answer: 'a' },
    { id: 'b', data_source: 'x_docqa', document: 'one two three four five', question: 'q?', answer: 'a' },
  ];
  let calls = 0;
  const counting: TokenCounter = { encode: (t) => (calls++, whitespaceCounter.encode(t)) };
  const first = recordLengths(recs, counting, { dataPath: data, tokenizer: 'T1' });
  assert.equal(first.computed, 2);
  // Template adds 25 whitespace words around document + question.
  assert.equal((first.lengths.get('b') as number) - (first.lengths.get('a') as number), 2);
  assert.ok(existsSync(sidecarPath(data)));
  const again = recordLengths(recs, counting, { dataPath: data, tokenizer: 'T1' });
  assert.equal(again.cached, 2);
  assert.equal(calls, 2);
  // A changed document or another tokenizer recomputes.
  const changed = [recs[0] as DocQARecord, { ...(recs[1] as DocQARecord), document: 'x' }];
  assert.equal(recordLengths(changed, counting, { dataPath: data, tokenizer: 'T1' }).computed, 1);
  assert.equal(recordLengths(changed, counting, { dataPath: data, tokenizer: 'T2' }).computed, 2);
  assert.match(readFileSync(sidecarPath(data), 'utf8'), /"tokenizer": "T2"/);
});

const bin = fileURLToPath(new URL('../../bin/longrl.js', import.meta.url));

/** Runs the real CLI in a child process (the test runner owns this process's stdout). */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test('cli: data synth → convert to parquet → back, identical; lengths per stage; errors exit 2', async () => {
  const dir = tempDir('longrl-cli-');
  const a = join(dir, 'a.jsonl');
  const r1 = await cli(['data', 'synth', '--tasks', 'kv,chain,ledger', '--lengths', '128,256', '--count', '3', '--seed', '4', '--out', a, '--split-field', '--test-count', '1', '--facts', '5']);
  assert.equal(r1.code, 0, r1.err);
  const recs = await readRecords(a);
  assert.equal(recs.length, 8);
  assert.deepEqual(recs.map((r) => r.split), ['train', 'train', 'train', 'train', 'train', 'train', 'test', 'test']);
  assert.equal(recs[0]?.metadata?.['facts'], 5);
  const p = join(dir, 'a.parquet');
  assert.equal((await cli(['data', 'convert', '--in', a, '--out', p])).code, 0);
  const b = join(dir, 'b.jsonl');
  assert.equal((await cli(['data', 'convert', '--in', p, '--out', b])).code, 0);
  assert.equal(readFileSync(b, 'utf8'), readFileSync(a, 'utf8'));
  const l = await cli(['data', 'lengths', '--data', a, '--stages', '128,256']);
  const summary = JSON.parse(l.out) as { stages: { records: number }[] };
  assert.deepEqual(summary.stages.map((s) => s.records), [4, 4]);
  const diff = join(dir, 'diff.jsonl');
  writeFileSync(diff, recs.slice(0, 3).map((r, i) => `${JSON.stringify({ id: r.id, mean_reward: i / 2, difficulty: null, rewards: [] })}\n`).join(''));
  const kept = join(dir, 'kept.jsonl');
  const fr = await cli(['data', 'filter', '--data', a, '--difficulties', diff, '--out', kept, '--max-reward', '0.5']);
  assert.equal(fr.code, 0, fr.err);
  assert.deepEqual((await readRecords(kept)).map((r) => r.id), [recs[0]!.id, recs[1]!.id]);
  const bad = await cli(['data', 'synth', '--tasks', 'kv', '--lengths', '10', '--count', '1', '--out', join(dir, 'x.jsonl')]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /budget 10/);
});
