import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { initModelFolder } from '../../src/model/io/preset-model.ts';
import { LocalPolicy } from '../../src/policy/local.ts';
import { loadTokenizer } from '../../src/tokenizer/load.ts';
import { mineDifficulties, difficultyRow, readDifficultyRows } from '../../src/data/mine.ts';
import { synthDataset } from '../../src/data/synth/generate.ts';
import { whitespaceCounter } from '../../src/data/tokens.ts';
import { promptMessages } from '../../src/data/prompt.ts';
import { writeJsonlRecords } from '../../src/data/io/index.ts';
import { ruleReward } from '../../src/reward/index.ts';
import { goldAnswers, type DocQARecord } from '../../src/data/record.ts';
import { Curriculum } from '../../src/curriculum/index.ts';
import { tempDir } from '../temp-dir.ts';

const dir = tempDir('longrl-mine-');
const model = join(dir, 'm');
initModelFolder(model, 'tiny');
const tok = loadTokenizer(model);
const { train } = synthDataset({ tasks: ['kv', 'chain'], lengths: [96], count: 4, testCount: 0, seed: 2 }, whitespaceCounter);

test('difficultyRow: mean reward and 1/mean, null when never solved', () => {
  assert.deepEqual(difficultyRow('a', [1, 0, 0, 1]), { id: 'a', mean_reward: 0.5, difficulty: 2, rewards: [1, 0, 0, 1] });
  assert.deepEqual(difficultyRow('b', [0, 0]), { id: 'b', mean_reward: 0, difficulty: null, rewards: [0, 0] });
});

test('mineDifficulties: real tiny policy; rows independent of order and subset; seeds the curriculum', async () => {
  const policy = LocalPolicy.fromFolder(model);
  const render = (r: DocQARecord) => tok.encode(tok.applyChatTemplate(promptMessages(r), { addGenerationPrompt: true }));
  // Reward: the real rule reward, raised by a deterministic function of the sampled tokens
  // (first token's parity) on kv records so an untrained model's rows carry signal; chain
  // records keep the rule score alone (0 for an untrained model), so they are "hard".
  const reward = (r: DocQARecord, samples: readonly { tokens: number[] }[]) =>
    samples.map((s) => {
      const rule = ruleReward({ dataSource: r.data_source, response: tok.decode(s.tokens), groundTruth: goldAnswers(r) }).score;
      return r.task === 'chain' ? rule : Math.max(rule, (s.tokens[0] ?? 0) % 2);
    });
  const sp = { temperature: 1, topP: 1, topK: -1, maxTokens: 4, seed: 5 };
  const rows = await mineDifficulties({ policy, records: train, n: 3, sampleParams: sp, render, reward });
  assert.equal(rows.length, 4);
  for (const r of rows) {
    assert.equal(r.rewards.length, 3);
    assert.equal(r.mean_reward, r.rewards.reduce((a, b) => a + b, 0) / 3);
  }
  const rev = await mineDifficulties({ policy, records: [...train].reverse().slice(0, 2), n: 3, sampleParams: sp, render, reward });
  assert.deepEqual(rev, [rows[3], rows[2]]);
  const skipped = await mineDifficulties({ policy, records: train, n: 3, sampleParams: sp, render, reward, skip: new Set([train[0]!.id]) });
  assert.deepEqual(skipped, rows.slice(1));
  const c = new Curriculum({ stages: [{ maxInputTokens: 100, maxOutputTokens: 8, steps: 1 }, { maxInputTokens: 200, maxOutputTokens: 8, steps: 1 }], batchSize: 2, seed: 1 }, [
    ...train.map((r) => ({ id: r.id, length: 96 })),
    { id: 'long', length: 150 },
  ]);
  c.seedDifficulties(rows);
  c.nextBatch();
  const carried = c.advance().map((x) => x.id);
  assert.ok(rows.some((r) => r.mean_reward === 0), JSON.stringify(rows));
  assert.deepEqual(carried, rows.filter((r) => r.mean_reward === 0).map((r) => r.id));
});

test('cli: longrl mine writes one row per record and resumes', () => {
  const data = join(dir, 'd.jsonl');
  writeJsonlRecords(data, train.slice(0, 2));
  const out = join(dir, 'diff.jsonl');
  const bin = fileURLToPath(new URL('../../bin/longrl.js', import.meta.url));
  const args = [bin, 'mine', '--model', model, '--data', data, '-n', '2', '--max-tokens', '3', '--out', out];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const rows = readDifficultyRows(out);
  assert.deepEqual(rows.map((x) => x.id), train.slice(0, 2).map((x) => x.id));
  // Drop the last row (as if interrupted) and rerun: the same row comes back.
  const lines = readFileSync(out, 'utf8').split('\n');
  writeFileSync(out, `${lines[0]}\n`);
  const r2 = spawnSync(process.execPath, args, { encoding: 'utf8' });
  assert.equal(r2.status, 0, r2.stderr);
  assert.deepEqual(readDifficultyRows(out), rows);
  assert.match(r2.stdout, /"mined":1/);
});
