/**
 * Smoke test: the real demo recipe at tiny size (`longrl demo --size tiny`), end to end
 * in a child process: the run folder's files (contracts §4), results.json's shape, the
 * last stdout line, and the plain statement that the reward is rule-only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { parseRecipe } from '../../src/train/config.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('longrl demo --size tiny writes a complete run folder', { timeout: 300_000 }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'longrl-demo-'));
  try {
    const out = join(tmp, 'run');
    const res = spawnSync(process.execPath, [join(root, 'bin', 'longrl.js'), 'demo', '--size', 'tiny', '--out', out, '--seed', '7'], { cwd: root, encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr + res.stdout);
    const lines = res.stdout.trim().split('\n');
    assert.equal(lines.at(-1), `Run folder: ${out}`);
    assert.match(res.stdout, /reward: rule-only/);

    for (const f of ['config.yaml', 'metrics.jsonl', 'results.json', 'report.html', 'samples.jsonl', 'checkpoints/latest.json']) {
      assert.ok(existsSync(join(out, f)), `${f} is missing`);
    }
    assert.ok(readdirSync(out).some((n) => n.startsWith('events.out.tfevents.')), 'no TensorBoard event file');
    // config.yaml is the resolved recipe, with the --seed override.
    const cfg = parseRecipe(parseYaml(readFileSync(join(out, 'config.yaml'), 'utf8')));
    assert.equal(cfg.seed, 7);

    const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const phases = new Set(metrics.map((m) => m['phase']));
    assert.deepEqual([...phases].sort(), ['pretrain', 'rl', 'sft']);
    metrics.forEach((m, i) => assert.equal(m['step'], i + 1));
    const rl = metrics.filter((m) => m['phase'] === 'rl');
    assert.deepEqual([...new Set(rl.map((m) => m['stage']))], [1, 2]);
    for (const k of ['critic/rewards/mean', 'reward/acc', 'response_length/mean', 'timing_s/gen', 'perf/flops']) assert.equal(typeof rl[0]![k], 'number', k);

    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Record<string, unknown>[];
    const mixed = results.filter((r) => r['task'] === undefined);
    const models = [...new Set(mixed.map((r) => r['model']))];
    assert.deepEqual(models, ['base', 'sft', 'rl-stage1', 'rl-final', 'sft-continued']);
    for (const r of results) {
      assert.equal(typeof r['length'], 'number');
      assert.ok(typeof r['accuracy'] === 'number' && r['accuracy'] >= 0 && r['accuracy'] <= 100);
      assert.ok(Number.isInteger(r['n']) && (r['n'] as number) > 0);
    }
    assert.deepEqual([...new Set(mixed.map((r) => r['length']))], [96, 192]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
