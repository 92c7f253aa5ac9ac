/**
 * `longrl pretrain RECIPE`: the pretrain phase alone, leaving a base model folder that a
 * later run starts from (`model.path`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('longrl pretrain writes only pretrain metrics and an HF base model folder', { timeout: 300_000 }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'longrl-pretrain-'));
  try {
    const out = join(tmp, 'run');
    const res = spawnSync(process.execPath, [join(root, 'bin', 'longrl.js'), 'pretrain', join(root, 'recipes', 'demo-tiny.yaml'), '--out', out, '--set', 'pretrain.steps=2'], { cwd: root, encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr + res.stdout);
    assert.equal(res.stdout.trim().split('\n').at(-1), `Run folder: ${out}`);
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { phase: string; step: number });
    assert.deepEqual(lines.map((l) => [l.phase, l.step]), [['pretrain', 1], ['pretrain', 2]]);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) assert.ok(existsSync(join(out, 'models', 'final', f)), f);
    assert.ok(!existsSync(join(out, 'results.json')), 'no evaluation in a pretrain run');

    const bad = spawnSync(process.execPath, [join(root, 'bin', 'longrl.js'), 'pretrain', join(root, 'recipes', 'demo-tiny.yaml'), '--out', join(tmp, 'x'), '--set', 'pretrain=null'], { cwd: root, encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /no pretrain section/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
