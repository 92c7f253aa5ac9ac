import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createRewarder, parseRewardConfig, JUDGE_CACHE_FILE } from '../../src/reward/index.ts';
import { startJudgeServer } from './judge-server.ts';

test('reward config: defaults, and unknown keys or bad values name the field', () => {
  const d = parseRewardConfig(undefined);
  assert.deepEqual(d, { compat: 'default', mode: 'rl', judge: null, overlong: null, verifiers: {} });
  const c = parseRewardConfig({ judge: { url: 'http://x/v1', model: 'm' }, overlong: { maxLen: 10000, buffer: 1000 } });
  assert.deepEqual([c.judge?.concurrency, c.judge?.timeoutS, c.judge?.cache, c.overlong?.factor], [8, 60, true, 1]);
  assert.throws(() => parseRewardConfig({ judge: { url: 'u', model: 'm', temprature: 0 } }), /reward\.judge: .*temprature/);
  assert.throws(() => parseRewardConfig({ overlong: { maxLen: 0, buffer: 1 } }), /reward\.overlong\.maxLen/);
  assert.throws(() => parseRewardConfig({ compat: 'parity' }), /reward\.compat/);
});

test('createRewarder: verifiers from modules, judge with its cache in the run folder, shaping', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'longrl-rewarder-'));
  const server = await startJudgeServer();
  try {
    writeFileSync(join(dir, 'exact.ts'), 'export default (i: { answerText: string | null; groundTruth: unknown }) => (i.answerText === i.groundTruth ? 1 : 0);\n');
    const cfg = parseRewardConfig({
      judge: { url: server.url, model: 'rewarder-judge', maxRetries: 0 },
      overlong: { maxLen: 100, buffer: 10 },
      verifiers: { exact_task: { module: './exact.ts', judge: false } },
    });
    const rw = await createRewarder(cfg, { runDir: join(dir, 'run'), baseDir: dir });
    const { results } = await rw.score([
      { dataSource: 'exact_task_1', response: '<think>.</think>42', groundTruth: '42', responseLength: 95 },
      { dataSource: 'exact_task_1', response: '<think>.</think>41', groundTruth: '42', responseLength: 10 },
      { dataSource: 'synth_docqa_kv', response: '<think>.</think>Therefore, the answer is 7', groundTruth: 'seven', question: 'q', responseLength: 10 },
    ]);
    assert.deepEqual(results.map((r) => [r.rule, r.judge, r.shaping, r.reward]), [[1, null, -0.5, 0.5], [0, null, 0, 0], [0, 0, 0, 0]]);
    assert.equal(rw.counters()['reward/judge_calls'], 1);
    rw.close();
    assert.ok(existsSync(join(dir, 'run', JUDGE_CACHE_FILE)));
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
