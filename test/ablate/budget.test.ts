/**
 * `--budget`: the sizer cuts FLOPs, then seeds, then variants (pure), and a job with a
 * budget far below what it needs stops with partial rows and says so rather than overrun.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sizePlan } from '../../src/ablate/budget.ts';

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
