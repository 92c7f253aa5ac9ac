/**
 * `longrl ablate --size tiny --variants phased,single-stage --seeds 1`: the real program at
 * smoke scale: one shared SFT, two RL runs at equal counted FLOPs, the table's shape, the
 * files of the folder, and a resume that redoes nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'bin', 'longrl.js');

interface Row { variant: string; length: number; mean: number; std: number | null; seeds: number; n: number }

test('ablate tiny: phased vs single-stage, one seed', { timeout: 300_000 }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'longrl-ablate-'));
  try {
    const out = join(tmp, 'abl');
    const res = spawnSync(process.execPath, [cli, 'ablate', join(root, 'recipes', 'demo-tiny.yaml'), '--size', 'tiny', '--variants', 'phased,single-stage', '--seeds', '1', '--out', out], { cwd: root, encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr + res.stdout);
    assert.equal(res.stdout.trim().split('\n').at(-1), `Run folder: ${out}`);
    assert.match(res.stdout, /estimate: .* about /, 'prints a time estimate at the start');

    const rows = JSON.parse(readFileSync(join(out, 'ablation.json'), 'utf8')) as Row[];
    // demo-tiny evaluates at its stage bounds 96 and 192: 2 variants × 2 lengths.
    assert.deepEqual(rows.map((r) => [r.variant, r.length]), [['phased', 96], ['phased', 192], ['single-stage', 96], ['single-stage', 192]]);
    for (const r of rows) {
      assert.deepEqual(Object.keys(r).sort(), ['length', 'mean', 'n', 'seeds', 'std', 'variant']);
      assert.equal(r.seeds, 1);
      assert.equal(r.std, null, 'no spread from one seed');
      assert.equal(r.n, 4);
      assert.ok(r.mean >= 0 && r.mean <= 100);
    }
    for (const f of ['ablation.md', 'ablation.svg', 'report.html', 'config.yaml', 'shared/models/final/config.json', 'runs/phased-seed1/results.json', 'runs/single-stage-seed1/results.json']) {
      assert.ok(existsSync(join(out, f)), f);
    }
    assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /id="ablation"/);
    const md = readFileSync(join(out, 'ablation.md'), 'utf8');
    assert.match(md, /\| variant \| 96 \| 192 \| seeds \| n \|/);
    assert.match(md, /\| phased \| /);

    // Equal compute: single-stage is one stage holding the sum of phased's FLOP budgets,
    // with retrospective sampling off; both start from the shared SFT model.
    const cfg = (name: string) => parse(readFileSync(join(out, 'runs', name, 'config.yaml'), 'utf8')) as { model: { path: string }; rl: { stages: { flops: number; maxInputTokens: number }[]; retrospective: { mode: string } } };
    const ph = cfg('phased-seed1');
    const ss = cfg('single-stage-seed1');
    assert.equal(ph.rl.stages.length, 2);
    assert.equal(ss.rl.stages.length, 1);
    assert.equal(ss.rl.stages[0]!.flops, ph.rl.stages[0]!.flops + ph.rl.stages[1]!.flops);
    assert.equal(ss.rl.stages[0]!.maxInputTokens, 192);
    assert.equal(ss.rl.retrospective.mode, 'off');
    assert.equal(ph.model.path, ss.model.path);
    assert.ok(ph.model.path.endsWith(join('shared', 'models', 'final')));

    // --resume on a finished ablation redoes no run and writes the same rows.
    const again = spawnSync(process.execPath, [cli, 'ablate', '--resume', out], { cwd: root, encoding: 'utf8' });
    assert.equal(again.status, 0, again.stderr + again.stdout);
    assert.doesNotMatch(again.stdout, /^run /m);
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'ablation.json'), 'utf8')), rows);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
