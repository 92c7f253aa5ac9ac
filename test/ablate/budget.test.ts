/**
 * `--budget`: the sizer cuts FLOPs, then seeds, then variants (pure), and a job with a
 * budget far below what it needs stops with partial rows and says so rather than overrun.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rlRunSeconds, rlStepFlops, rlStepParts, sizePlan, stageFlopBudgets } from '../../src/ablate/budget.ts';
import { loadRecipe } from '../../src/train/config.ts';
import { trainSecondsPerFlop } from '../../src/ablate/run.ts';
import { flopModel } from '../../src/train/flops.ts';
import { readModelConfig } from '../../src/model/config.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('sizePlan: fits as written, then scales FLOPs, then seeds, then variants', () => {
  const inp = { sharedS: 100, rlRunS: 50, evalS: 10, seeds: 3, variants: ['a', 'b', 'c'] };
  const full = sizePlan({ ...inp, budgetS: null });
  assert.deepEqual([full.flopScale, full.seeds, full.variants, full.totalS, full.cuts], [1, 3, ['a', 'b', 'c'], 100 + 9 * 60, []]);
  assert.equal(sizePlan({ ...inp, budgetS: 640 }).cuts.length, 0);
  // 460 s: per run (460-100)/9 - 10 = 30 s of RL = 60% of the FLOPs.
  const scaled = sizePlan({ ...inp, budgetS: 460 });
  assert.equal(scaled.flopScale, 0.6);
  assert.equal(scaled.seeds, 3);
  assert.ok(Math.abs(scaled.totalS - 460) < 1e-9);
  // 250 s: FLOPs at the 25% floor (9 × 22.5 = 202.5 + 100 > 250), seeds 3 → 2 (6 × 22.5 + 100 = 235).
  const fewer = sizePlan({ ...inp, budgetS: 250 });
  assert.deepEqual([fewer.flopScale, fewer.seeds, fewer.variants], [0.25, 2, ['a', 'b', 'c']]);
  assert.match(fewer.cuts.join('; '), /seeds 3 → 2/);
  // 160 s: two seeds of one variant (2 × 22.5 + 100 = 145).
  const one = sizePlan({ ...inp, budgetS: 160 });
  assert.deepEqual([one.seeds, one.variants], [2, ['a']]);
  assert.match(one.cuts.join('; '), /variants dropped: b, c/);
  assert.match(sizePlan({ ...inp, budgetS: 50 }).cuts.join('; '), /still over budget/);
});

test('ablate with a budget far too small writes partial rows and says so', { timeout: 300_000 }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'longrl-ablate-budget-'));
  try {
    const out = join(tmp, 'abl');
    // 0.005 min = 0.3 s: less than the start-up probe alone on any machine, so the plan must
    // cut and the job must stop partial (3 s fitted the tiny recipe on an idle machine).
    const res = spawnSync(process.execPath, [join(root, 'bin', 'longrl.js'), 'ablate', join(root, 'recipes', 'demo-tiny.yaml'), '--size', 'tiny', '--variants', 'phased,single-stage', '--seeds', '3', '--budget', '0.005', '--out', out], { cwd: root, encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr + res.stdout);
    assert.equal(res.stdout.trim().split('\n').at(-1), `Run folder: ${out}`);
    assert.match(res.stdout, /to fit the budget: /);
    assert.match(res.stdout, /^partial: /m);
    assert.ok(existsSync(join(out, 'ablation.json')));
    const rows = JSON.parse(readFileSync(join(out, 'ablation.json'), 'utf8')) as { seeds: number }[];
    assert.ok(rows.length < 4 || rows.some((r) => r.seeds < 3), 'fewer rows or seeds than asked for');
    assert.match(readFileSync(join(out, 'ablation.md'), 'utf8'), /stopped (before|during) |deadline came during the shared/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('rlRunSeconds: each stage\'s FLOPs at the sampling and training rates in the share its steps have', () => {
  const recipe = loadRecipe(join(root, 'recipes', 'demo.yaml'));
  const fm = flopModel(readModelConfig(join(root, 'models', 'demo-base')));
  const budgets_K = stageFlopBudgets(recipe, fm);
  const rates = { train_s: 1e-11, sample_s: 3e-11, rlTrain_s: 2e-11 };
  let expected = 0;
  budgets_K.forEach((f, k) => {
    const { sample, train } = rlStepParts(recipe, k, fm);
    assert.ok(sample > 0 && train > 0);
    assert.ok(Math.abs(sample + train - rlStepFlops(recipe, k, fm)) < 1e-6 * (sample + train));
    expected += f * (sample * 3e-11 + train * 2e-11) / (sample + train);
  });
  const got = rlRunSeconds(recipe, fm, budgets_K, rates);
  assert.ok(Math.abs(got - expected) < 1e-9 * expected);
  const total = budgets_K.reduce((a, b) => a + b, 0);
  assert.ok(got > total * 2e-11 && got < total * 3e-11, 'between all-training and all-sampling');
  // Without an RL-shape probe (older state files) training runs at the SFT-shape rate.
  const old = rlRunSeconds(recipe, fm, budgets_K, { train_s: 1e-11, sample_s: 3e-11 });
  assert.ok(old < got);
});

test('trainSecondsPerFlop: the shared phase\'s own training steps, not its data synthesis or evaluation, nor sft-continued', () => {
  const dir = mkdtempSync(join(tmpdir(), 'longrl-ablate-rate-'));
  try {
    const lines = [
      { phase: 'pretrain', 'perf/flops': 1e9, 'time/step_s': 0.01 },
      { phase: 'sft', 'perf/flops': 3e9, 'time/step_s': 0.03 },
      { phase: 'sft', baseline: 'sft-continued', 'perf/flops': 1e12, 'time/step_s': 99 },
      { phase: 'rl', 'perf/flops': 1e12, 'time/step_s': 99 },
      { phase: 'sft', 'eval/heldout_loss': 1.5 },
    ];
    writeFileSync(join(dir, 'metrics.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    assert.equal(trainSecondsPerFlop(dir), 0.04 / 4e9);
    writeFileSync(join(dir, 'metrics.jsonl'), JSON.stringify(lines[3]) + '\n');
    assert.equal(trainSecondsPerFlop(dir), null);
    assert.equal(trainSecondsPerFlop(join(dir, 'missing')), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
