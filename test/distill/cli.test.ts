import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startTeacherServer, type TeacherServer } from './teacher-server.ts';
import { runCliInProcess as longrl } from '../helpers/cli.ts';

const bin = fileURLToPath(new URL('../../bin/longrl.js', import.meta.url));
let dir: string;
let tiny: string;

function writeData(path: string, n: number, docWords = (_i: number) => 30): void {
  const lines = Array.from({ length: n }, (_, i) => JSON.stringify({
    id: `r${i}`, data_source: i % 2 ? 'musique_v1' : 'multihoprag_v1', document: `City ${i} is Town${i}. ${'filler '.repeat(docWords(i))}`,
    question: `q${i}`, answer: `Town${i}`,
  }));
  writeFileSync(path, `${lines.join('\n')}\n`);
}

const entryIds = (journal: string): string[] =>
  existsSync(journal)
    ? readFileSync(journal, 'utf8').split('\n').filter((l) => l.endsWith('}') && l.startsWith('{"id"')).map((l) => (JSON.parse(l) as { id: string }).id)
    : [];

function answerPlan(delayMs: number) {
  return (q: string) => {
    const i = Number(q.slice(1));
    return {
      replies: [
        { reasoning: `look up city ${i}`, answer: `Therefore, the answer is Town${i}.`, format: 'rc' as const },
        { reasoning: 'guess', answer: 'Therefore, the answer is Nowhere.', format: 'think' as const },
      ],
      delayMs,
    };
  };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'longrl-distill-cli-'));
  tiny = join(dir, 'tiny');
  const r = await longrl(['init-model', '--preset', 'tiny', '--out', tiny]);
  assert.equal(r.code, 0, r.stderr);
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('resume after SIGKILL: the rerun asks the teacher only for records not yet finished, and the output equals an uninterrupted run', async () => {
  const N = 10;
  const data = join(dir, 'resume.jsonl');
  writeData(data, N);
  const server: TeacherServer = await startTeacherServer(answerPlan(120));
  try {
    const teacher = `openai:${server.url}#r1`;
    const out = join(dir, 'killed', 'sft.jsonl');
    const journal = `${out}.progress.jsonl`;
    const child = spawn(process.execPath, [bin, 'distill', '--teacher', teacher, '--data', data, '-n', '2', '--concurrency', '1', '--out', out, '--no-progress'], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const t0 = Date.now();
    while (entryIds(journal).length < 3) {
      assert.ok(Date.now() - t0 < 60_000, 'child made no progress');
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGKILL');
    await exited;
    const doneBefore = entryIds(journal);
    assert.ok(doneBefore.length >= 3 && doneBefore.length < N, `killed mid-run (${doneBefore.length} done)`);
    assert.equal(existsSync(out), false, 'the output is written only at the end');

    const asked = server.requests();
    const r = await longrl(['distill', '--teacher', teacher, '--data', data, '-n', '2', '--concurrency', '3', '--out', out, '--no-progress']);
    assert.equal(r.code, 0, r.stderr);
    const rerunAsked = server.log.slice(asked);
    assert.equal(rerunAsked.length, N - doneBefore.length, 'one request per remaining record');
    const doneQs = new Set(doneBefore.map((id) => `q${id.slice(1)}`));
    assert.ok(rerunAsked.every((q) => !doneQs.has(q)), 'no finished record asked again');
    assert.match(r.stderr, new RegExp(`${N - doneBefore.length} record\\(s\\) to ask, ${doneBefore.length} already done`));
    const summary = JSON.parse(readFileSync(`${out}.summary.json`, 'utf8')) as { total: { tried: number; kept: number }; resumed: number };
    assert.equal(summary.total.tried, N);
    assert.equal(summary.total.kept, N);
    assert.equal(summary.resumed, doneBefore.length);
    assert.match(r.stdout, /^total +10 +10 +10 +100\.0% +20 +10 /m);

    const clean = join(dir, 'clean', 'sft.jsonl');
    const c = await longrl(['distill', '--teacher', teacher, '--data', data, '-n', '2', '--out', clean, '--no-progress']);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(readFileSync(out, 'utf8'), readFileSync(clean, 'utf8'));
    const ids = readFileSync(out, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);
    assert.deepEqual(ids, Array.from({ length: N }, (_, i) => `r${i}`));
  } finally {
    await server.close();
  }
});

test('--max-input-tokens with --tokenizer drops long records before they reach the teacher', async () => {
  const data = join(dir, 'budget.jsonl');
  writeData(data, 4, (i) => (i === 1 || i === 2 ? 3000 : 10));
  const server = await startTeacherServer(answerPlan(0));
  try {
    const out = join(dir, 'budget-out.jsonl');
    const r = await longrl(['distill', '--teacher', `openai:${server.url}#r1`, '--data', data, '-n', '2', '--max-input-tokens', '1000', '--tokenizer', tiny, '--out', out, '--no-progress', '--extra-body', '{"top_k": 20}']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(server.bodies[0]!['top_k'], 20);
    assert.equal(server.bodies[0]!['model'], 'r1');
    assert.deepEqual([...server.perQuestion.keys()].sort(), ['q0', 'q3']);
    const s = JSON.parse(readFileSync(`${out}.summary.json`, 'utf8')) as { over_budget: number; trace_length: { unit: string } };
    assert.equal(s.over_budget, 2);
    assert.equal(s.trace_length.unit, 'tokens');
    assert.ok(existsSync(`${data}.lengths.json`), 'prompt lengths cached beside the data (src/data/lengths.ts)');
    const bad = await longrl(['distill', '--teacher', `openai:${server.url}#r1`, '--data', data, '--max-input-tokens', '1000', '--out', join(dir, 'x.jsonl')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--max-input-tokens needs a tokenizer.*--tokenizer DIR/);
  } finally {
    await server.close();
  }
});

test('a local teacher folder runs the same flow (the tiny model answers garbage: nothing kept)', async () => {
  const data = join(dir, 'local.jsonl');
  writeData(data, 3, () => 5);
  const out = join(dir, 'local-out', 'sft.jsonl');
  const args = ['distill', '--teacher', tiny, '--data', data, '-n', '2', '--max-output-tokens', '8', '--out', out, '--no-progress'];
  const r = await longrl(args);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(readFileSync(`${out}.summary.json`, 'utf8')) as {
    total: { tried: number; responses: number; kept: number }; tokens: { prompt: number; completion: number }; counters: Record<string, number>; teacher: string;
  };
  assert.equal(s.total.tried, 3);
  assert.equal(s.total.responses, 6);
  assert.equal(s.counters['teacher/sample_calls'], 3);
  assert.equal(s.teacher, 'tiny');
  assert.ok(s.tokens.prompt > 0 && s.tokens.completion > 0 && s.tokens.completion <= 6 * 8);
  assert.equal(readFileSync(out, 'utf8').split('\n').filter(Boolean).length, s.total.kept);
  // a rerun finds everything done: no sampling at all
  const again = await longrl(args);
  assert.equal(again.code, 0, again.stderr);
  const s2 = JSON.parse(readFileSync(`${out}.summary.json`, 'utf8')) as { counters: Record<string, number>; resumed: number };
  assert.equal(s2.counters['teacher/sample_calls'], 0);
  assert.equal(s2.resumed, 3);
});

test('bad flags are user errors that say what to do', async () => {
  const data = join(dir, 'flags.jsonl');
  writeData(data, 1);
  const r1 = await longrl(['distill', '--teacher', 'openai:http://127.0.0.1:1', '--data', data, '--out', join(dir, 'f.jsonl')]);
  assert.equal(r1.code, 2);
  assert.match(r1.stderr, /expected openai:URL#MODEL/);
  const r2 = await longrl(['distill', '--teacher', join(dir, 'nope'), '--data', data, '--out', join(dir, 'f.jsonl')]);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /not a model folder/);
  const r3 = await longrl(['distill', '--teacher', 'openai:http://127.0.0.1:1#m', '--data', data, '--out', join(dir, 'f.jsonl'), '-n', '0']);
  assert.equal(r3.code, 2);
  assert.match(r3.stderr, /-n must be an integer >= 1/);
});
