/** `longrl score` end to end: real files in a temp dir, the real CLI in a child process. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scoreFile } from '../../src/eval/score-file.ts';
import { UserError } from '../../src/util/errors.ts';
import { pyRound } from '../../src/eval/index.ts';

const BIN = fileURLToPath(new URL('../../bin/longrl.js', import.meta.url));
const LB = new URL('../../../shared/data/longbench/', import.meta.url);

function cli(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, 'score', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'longrl-score-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, lines: unknown[]): string {
  const p = join(dir, name);
  writeFileSync(p, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return p;
}

/** MiniLongBench items of some tasks as JSONL, with the reference's per-task score. */
function miniLongBench(tasks: string[]): { path: string; want: Record<string, number>; overall: number; n: number } {
  const expected = JSON.parse(readFileSync(new URL('expected_scores.json', LB), 'utf8')) as { scores: Record<string, Record<string, number>> };
  const lines: unknown[] = [];
  const want: Record<string, number> = {};
  let total = 0;
  let n = 0;
  for (const t of tasks) {
    const file = JSON.parse(readFileSync(new URL(`minilongbench_example/MiniLongBench_${t}.json`, LB), 'utf8')) as Record<string, { prediction: string; gold: unknown }>;
    for (const e of Object.values(file)) lines.push({ dataset: t, prediction: e.prediction, gold: e.gold });
    const s = Object.values(expected.scores[t] as Record<string, number>);
    let sum = 0;
    for (const x of s) sum += x;
    want[t] = pyRound((100 * sum) / s.length, 2);
    total += sum;
    n += s.length;
  }
  return { path: write('mini.jsonl', lines), want, overall: pyRound((100 * total) / n, 2), n };
}

test('--metric longbench --by-field dataset --json reproduces the MiniLongBench task scores', () => {
  const m = miniLongBench(['hotpotqa', 'trec', 'lcc', 'passage_count']);
  const r = cli(['--metric', 'longbench', '--input', m.path, '--by-field', 'dataset', '--no-first-line-cut', '--json']);
  assert.equal(r.code, 0, r.err);
  const got = JSON.parse(r.out) as { overall: number; groups: Record<string, number>; count: number };
  assert.deepEqual(Object.keys(got), ['overall', 'groups', 'count']);
  assert.deepEqual(got, { overall: m.overall, groups: m.want, count: m.n });
  // Known values (Python: round(100 * mean, 2) over expected_scores.json).
  assert.equal(got.groups['lcc'], 70.92);
  assert.equal(got.groups['trec'], 31.25);
});

test('table output lists groups with counts and the overall row', () => {
  const p = write('t.jsonl', [
    { pred: 'Paris', answer: 'Paris', task: 'x' },
    { pred: 'Rome', answer: ['Milan', 'Rome'], task: 'y' },
    { pred: 'no', answer: 'yes', task: 'y' },
  ]);
  const r = cli(['--metric', 'em', '--input', p, '--by-field', 'task']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, ['group    n  em', 'x        1  100.00', 'y        2  50.00', 'overall  3  66.67', ''].join('\n'));
});

test('bad input is a UserError naming file:line and the field (exit 2)', () => {
  const p = write('bad.jsonl', [{ prediction: 'a', gold: 'a' }, '{not json', { prediction: 'b', gold: 'b' }]);
  const r = cli(['--metric', 'qa_f1', '--input', p]);
  assert.equal(r.code, 2);
  assert.match(r.err, /bad\.jsonl:2: malformed JSON line/);
  const q = write('nogold.jsonl', [{ prediction: 'a', gold: 'a' }, { prediction: 'b' }]);
  const r2 = cli(['--metric', 'qa_f1', '--input', q]);
  assert.equal(r2.code, 2);
  assert.match(r2.err, /nogold\.jsonl:2: no gold field "answers" or "gold" or "answer" or "ground_truth"/);
  const r3 = cli(['--metric', 'qa_f1_zh', '--input', q]);
  assert.equal(r3.code, 2);
  assert.match(r3.err, /jieba/);
});

test('scoreFile: field defaults, explicit fields, object gold, judge field, errors', () => {
  const p = write('f.jsonl', [
    { prediction: 'Animal', pred: 'ignored', gold: { answers: ['Animal'], all_classes: ['Animal', 'Food'] } },
    { prediction: 'Food or Animal', gold: { answers: ['Animal'], all_classes: ['Animal', 'Food'] } },
  ]);
  const t = scoreFile({ metric: 'classification', input: p });
  assert.deepEqual(t.scores, [1, 0.5]);
  assert.equal(t.overall, 75);
  const q = write('g.jsonl', [
    { out: 'Therefore, the answer is Paris.', ref: 'Paris', verdict: 'no' },
    { out: 'Therefore, the answer is Lyon.', ref: 'Paris', verdict: '[[YES]]' },
    { out: 'Therefore, the answer is Lyon.', ref: 'Paris', verdict: 0 },
  ]);
  const j = scoreFile({ metric: 'qwenlong_qa', input: q, predField: 'out', goldField: 'ref', judgeField: 'verdict' });
  assert.deepEqual(j.scores, [1, 1, 0]);
  assert.equal(j.overall, 66.67);
  assert.throws(() => scoreFile({ metric: 'em', input: q, predField: 'out', goldField: 'ref', judgeField: 'verdict' }), /does not combine with a judge/);
  assert.throws(() => scoreFile({ metric: 'em', input: q, predField: 'nope' }), (e: unknown) => e instanceof UserError && /g\.jsonl:1: no prediction field "nope"/.test(e.message));
  assert.throws(() => scoreFile({ metric: 'em', input: q, predField: 'out', goldField: 'ref', byField: 'task' }), /g\.jsonl:1: no field "task"/);
  const c = write('c.jsonl', [{ prediction: 'x', gold: ['a', 'b'] }]);
  assert.throws(() => scoreFile({ metric: 'classification', input: c }), /c\.jsonl:1: .*all_classes/);
  const n = write('n.jsonl', [{ prediction: 'The correct answer is (B)', answer: 'B' }, { prediction: 'Decision', answer: 'C' }]);
  assert.equal(scoreFile({ metric: 'choice', input: n }).overall, 50);
  const d = write('d.jsonl', [{ prediction: 'Therefore, the answer is 12.5%', ground_truth: 0.125 }, { prediction: 'Therefore, the answer is 3', ground_truth: 4 }]);
  assert.equal(scoreFile({ metric: 'docmath', input: d }).overall, 50);
  assert.throws(() => scoreFile({ metric: 'em', input: write('e.jsonl', []) }), /empty/);
});

test('scoreFile: LongBench-E length buckets, nested under --by-field', () => {
  const p = write('e.jsonl', [
    { prediction: 'x', answers: ['x'], length: 100, dataset: 'hotpotqa' },
    { prediction: 'y', answers: ['x'], length: 5000, dataset: 'hotpotqa' },
    { prediction: 'x', answers: ['x'], length: 9000, dataset: 'musique' },
    { prediction: 'x y', answers: ['x'], length: 3999, dataset: 'musique' },
  ]);
  const t = scoreFile({ metric: 'qa_f1', input: p, lengthBuckets: true });
  assert.deepEqual(t.groups, { '0-4k': 83.33, '4-8k': 0, '8k+': 100 });
  const u = scoreFile({ metric: 'qa_f1', input: p, lengthBuckets: true, byField: 'dataset' });
  assert.deepEqual(Object.keys(u.groups), ['hotpotqa/0-4k', 'hotpotqa/4-8k', 'musique/0-4k', 'musique/8k+']);
  assert.equal(u.groups['musique/0-4k'], 66.67);
  assert.throws(() => scoreFile({ metric: 'qa_f1', input: write('nolen.jsonl', [{ prediction: 'x', answers: ['x'] }]), lengthBuckets: true }), /nolen\.jsonl:1: field "length"/);
});
