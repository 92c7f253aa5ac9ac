import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadTokenizer } from '../../src/tokenizer/index.ts';
import { startJudgeServer, type JudgeServer } from './judge-server.ts';
import { runCliInProcess as longrlInProcess } from '../helpers/cli.ts';

const bin = fileURLToPath(new URL('../../bin/longrl.js', import.meta.url));
let dir: string;
let server: JudgeServer;

/** Runs the real CLI asynchronously (the judge server lives in this process). */
function longrl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
const lines = (s: string): Record<string, unknown>[] => s.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'longrl-reward-cli-'));
  server = await startJudgeServer();
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('one response: rule, judge null, shaping, reward', async () => {
  const r = await longrl(['reward', '--data-source', 'musique_v1', '--ground-truth', 'Paris', '--response', '<think>hm</think>Therefore, the answer is Paris.']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r.stdout), [{ rule: 1, judge: null, shaping: 0, reward: 1, acc: true, extracted: 'Paris' }]);
  const ref = await longrlInProcess(['reward', '--data-source', 'musique_v1', '--ground-truth', 'Paris', '--response', '<think>hm</think>Therefore, the answer is the.', '--compat', 'reference']);
  assert.equal(lines(ref.stdout)[0]?.rule, 1);
});

test('responses file with the judge and a persistent cache', async () => {
  const file = join(dir, 'responses.jsonl');
  writeFileSync(file, [
    JSON.stringify('<think>a</think>Therefore, the answer is Paris.'),
    JSON.stringify({ response: '<think>a</think>Therefore, the answer is paris' }),
    JSON.stringify({ response: '<think>a</think>Therefore, the answer is Lyon.' }),
    JSON.stringify({ response: 'Therefore, the answer is Paris.' }),
  ].join('\n') + '\n');
  const cache = join(dir, 'run', 'judge-cache.jsonl');
  const args = ['reward', '--data-source', 'multihoprag_v1', '--ground-truth', 'Therefore, the answer is Paris', '--responses-file', file,
    '--question', 'Capital?', '--judge-url', server.url, '--judge-model', 'cli-judge', '--judge-cache', cache, '--judge-retries', '1'];
  const before = server.requests();
  const r = await longrl(args);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r.stdout).map((l) => [l.rule, l.judge, l.reward]), [[1, null, 1], [1, null, 1], [0, 0, 0], [0, null, 0]]);
  assert.equal(server.requests() - before, 1);
  const counters = (JSON.parse(r.stderr.trim().split('\n').at(-1) as string) as { judge_counters: Record<string, number> }).judge_counters;
  assert.equal(counters['reward/judge_calls'], 1);
  const again = await longrl(args);
  assert.equal(again.stdout, r.stdout);
  assert.equal(server.requests() - before, 1); // served from the cache
  const c2 = (JSON.parse(again.stderr.trim().split('\n').at(-1) as string) as { judge_counters: Record<string, number> }).judge_counters;
  assert.equal(c2['judge/cache_hits'], 1);
});

test('--cases batch form and input errors that name file, line and field', async () => {
  const cases = join(dir, 'cases.jsonl');
  writeFileSync(cases, [
    { id: 'a', data_source: 'long_toc_choices_0_20000', ground_truth: 'B', response: '<think>x</think>The correct answer is (A)' },
    { id: 7, data_source: 'docmath_v1', ground_truth: 'Therefore, the answer is 0.177', response: '<think>x</think>Therefore, the answer is 17.7%' },
    { id: 'c', data_source: 'synth_docqa_kv', ground_truth: ['red', 'blue'], response: '<think>x</think>Therefore, the answer is Blue.', question: 'Colour?' },
  ].map((c) => JSON.stringify(c)).join('\n') + '\n');
  const r = await longrl(['reward', '--cases', cases, '--judge-url', server.url, '--judge-model', 'cli-judge']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r.stdout).map((l) => [l.id, l.rule, l.judge, l.shaping, l.reward]), [['a', 0, null, 0, 0], [7, 1, null, 0, 1], ['c', 1, null, 0, 1]]);

  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, `${JSON.stringify({ id: 1, data_source: 'musique', ground_truth: 'x', response: 'y' })}\n${JSON.stringify({ id: 2, data_source: 'musique', response: 'y' })}\n`);
  const e = await longrlInProcess(['reward', '--cases', bad]);
  assert.equal(e.code, 2);
  assert.match(e.stderr, /bad\.jsonl:2 field "ground_truth"/);
  const e2 = await longrlInProcess(['reward', '--data-source', 'musique', '--ground-truth', 'x']);
  assert.equal(e2.code, 2);
  assert.match(e2.stderr, /exactly one of --response and --responses-file/);
});

test('overlong shaping counts tokens with --tokenizer', async () => {
  const model = join(dir, 'tiny');
  const init = await longrlInProcess(['init-model', '--preset', 'tiny', '--out', model]);
  assert.equal(init.code, 0, init.stderr);
  const response = '<think>\nThe text says the capital is Paris, so that is it.\n</think>\n\nTherefore, the answer is Paris.';
  const n = loadTokenizer(model).encode(response).length;
  const maxLen = n + 2;
  const buffer = 8;
  const r = await longrl(['reward', '--data-source', 'musique', '--ground-truth', 'Paris', '--response', response,
    '--max-response-tokens', String(maxLen), '--overlong-buffer', String(buffer), '--tokenizer', model]);
  assert.equal(r.code, 0, r.stderr);
  const out = lines(r.stdout)[0] as { rule: number; shaping: number; reward: number; acc: boolean };
  const expected = -(n - (maxLen - buffer)) / buffer; // = -6/8
  assert.equal(out.shaping, expected);
  assert.equal(out.reward, 1 + expected);
  assert.equal(out.acc, true);
  const noTok = await longrlInProcess(['reward', '--data-source', 'musique', '--ground-truth', 'Paris', '--response', response, '--max-response-tokens', '100']);
  assert.equal(noTok.code, 2);
  assert.match(noTok.stderr, /--tokenizer/);
});
