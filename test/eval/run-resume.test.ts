/**
 * `longrl eval` interrupted and resumed: the real CLI in a child process is killed
 * (SIGKILL) after a few items, a torn half line is left at the end of the items file,
 * and the rerun finishes with the same table as an uninterrupted run and no duplicated
 * items.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initModelFolder } from '../../src/model/io/preset-model.ts';
import { localModel, runEval } from '../../src/eval/index.ts';

const BIN = fileURLToPath(new URL('../../bin/longrl.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'longrl-eval-resume-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const N = 8;
const MAX_NEW = 64;

function countLines(p: string): number {
  if (!existsSync(p)) return 0;
  return readFileSync(p, 'utf8').split('\n').filter((l) => l.trim() !== '').length;
}

test('killed mid-run, resumed: same final table, every item once', async () => {
  const modelDir = join(dir, 'tiny');
  initModelFolder(modelDir, 'tiny', { seed: 5 });
  const data = join(dir, 'synth.jsonl');
  writeFileSync(data, Array.from({ length: N }, (_, k) => JSON.stringify({
    id: `r${k}`, data_source: 'synth_docqa_kv', task: k % 2 ? 'kv' : 'chain', document: `the key${k} is val${k}. `.repeat(10), question: `value of key${k}?`, answer: `val${k}`,
  })).join('\n') + '\n');
  const out = join(dir, 'out');
  const args = [BIN, 'eval', '--model', modelDir, '--bench', 'synth', '--data', data, '--max-new-tokens', String(MAX_NEW), '--max-input-tokens', '4000', '--out', out, '--quiet', '--json'];
  const items = join(out, 'synth.jsonl');

  // Run 1: kill as soon as two items are written.
  const child = spawn(process.execPath, args, { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  let atKill = 0;
  for (;;) {
    atKill = countLines(items);
    if (atKill >= 2 || child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  child.kill('SIGKILL');
  await exited;
  atKill = countLines(items);
  assert.ok(atKill >= 2 && atKill < N, `interrupted after ${atKill} of ${N} items`);
  assert.ok(!existsSync(join(out, 'results.json')));
  appendFileSync(items, '{"id": "r7", "bench": "synth", "samp'); // a torn write

  // Run 2: resume to the end.
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const resumed = JSON.parse(r.stdout.split('\n')[0]!) as unknown;
  const ids = readFileSync(items, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);
  assert.equal(ids.length, N);
  assert.equal(new Set(ids).size, N);

  // The uninterrupted run, in process, with the same settings.
  const whole = await runEval({
    model: localModel(modelDir), data: { synth: data }, outDir: join(dir, 'whole'), n: 1, temperature: 0.7, topP: 0.95, maxNewTokens: MAX_NEW, maxInputTokens: 4000, seed: 0,
  });
  assert.deepEqual(resumed, JSON.parse(JSON.stringify(whole)));
  const perItem = (p: string) => Object.fromEntries(readFileSync(p, 'utf8').trim().split('\n').map((l) => { const o = JSON.parse(l) as { id: string; prediction: string }; return [o.id, o.prediction]; }));
  assert.deepEqual(perItem(items), perItem(join(dir, 'whole', 'synth.jsonl')));
});

test('an endpoint that never answers: the run ends, says which items failed, exits 1', () => {
  const data = join(dir, 'one.jsonl');
  writeFileSync(data, JSON.stringify({ id: 'x', data_source: 'synth_docqa_kv', document: 'd', question: 'q?', answer: 'a' }) + '\n');
  const out = join(dir, 'dead');
  const r = spawnSync(process.execPath, [BIN, 'eval', '--model', 'openai:http://127.0.0.1:9/v1#m', '--bench', 'synth', '--data', data, '--retries', '0', '--out', out, '--quiet'], { encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /synth: 1 items failed/);
  assert.match(r.stdout, /scored 0 of 1 items, 1 failed/);
  assert.equal(countLines(join(out, 'synth.errors.jsonl')), 1);
});
