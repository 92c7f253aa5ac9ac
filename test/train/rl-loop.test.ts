import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initModelFolder } from '../../src/model/io/preset-model.ts';
import { LocalPolicy } from '../../src/policy/local.ts';
import { rlLoop, type RlProblem } from '../../src/train/rl_loop.ts';

test('rl_loop raises a simple reward (first token even) on the tiny model, deterministically', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'longrl-rlloop-'));
  try {
    initModelFolder(join(dir, 'm'), 'tiny', { seed: 3 });
    const problems: RlProblem[] = Array.from({ length: 8 }, (_, i) => ({
      prompt_P: [10 + i, 20 + i, 30 + i],
      reward: (r) => ((r[0] ?? 1) % 2 === 0 ? 1 : 0),
    }));
    const cfg = { steps: 24, promptsPerStep: 4, groupSize: 8, learningRate: 1e-2, temperature: 1, topP: 1, maxTokens: 2, stopTokenIds: [], clipLow: 0.2, clipHigh: 0.28, seed: 5 };
    const runOnce = async () => rlLoop(LocalPolicy.fromFolder(join(dir, 'm'), { threads: 1 }), problems, cfg);
    const h = await runOnce();
    const first = h.slice(0, 4).reduce((a, m) => a + m.reward, 0) / 4;
    const last = h.slice(-4).reduce((a, m) => a + m.reward, 0) / 4;
    assert.ok(last > first + 0.2 && last > 0.8, `reward ${first.toFixed(3)} -> ${last.toFixed(3)}`);
    assert.ok(h.every((m) => m.groupsKept <= m.groupsSampled));
    const again = await runOnce();
    assert.deepEqual(again, h, 'same seed, same metrics');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
