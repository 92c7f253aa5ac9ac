/**
 * Resume: a run killed with SIGKILL in the middle of a step and continued with
 * `--resume` writes the same metrics.jsonl as an uninterrupted run with the same seed
 * (wall-clock fields aside, contracts §4), and the same results.json.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMetrics, withoutWallClock } from '../../src/observe/metrics-log.ts';
import { writeModelFolder } from '../../src/model/folder.ts';
import { buildInitModel } from '../../src/train/recipe.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin', 'longrl.js');
const recipe = join(root, 'recipes', 'demo-tiny.yaml');
// Smaller than the smoke scale, checkpoints every step, the RL stages long enough to be killed in.
const SETS = [
  'pretrain.steps=2', 'sft.steps=3', 'sft.evalEvery=2', 'eval.itemsPerLength=2', 'checkpoint.every=1',
  'rl.stages=[{maxInputTokens: 96, maxOutputTokens: 16, steps: 3}, {maxInputTokens: 192, maxOutputTokens: 16, steps: 3}]',
  'rl.dynamicSampling.enabled=false',
].flatMap((s) => ['--set', s]);

function run(args: string[], killAtLines?: { file: string; lines: number }): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    let timer: NodeJS.Timeout | undefined;
    if (killAtLines) {
      timer = setInterval(() => {
        const f = killAtLines.file;
        if (!existsSync(f)) return;
        const n = readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '').length;
        if (n >= killAtLines.lines) child.kill('SIGKILL');
      }, 5);
    }
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearInterval(timer);
      resolve({ code, signal, out });
    });
  });
}

function metricsLines(dir: string): Record<string, unknown>[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => withoutWallClock(JSON.parse(l) as Record<string, unknown>));
}

test('kill -9 mid-RL and --resume reproduce the uninterrupted metrics line for line', { timeout: 600_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'longrl-resume-'));
  try {
    const a = join(tmp, 'a');
    const b = join(tmp, 'b');
    // One from-scratch base model for both runs (the smoke test covers model.init).
    const base = join(tmp, 'base');
    writeModelFolder(base, buildInitModel('tiny', {}, 0));
    SETS.push('--set', `model={path: "${base}"}`);
    // The uninterrupted run and the one to kill run side by side.
    const [full, killed] = await Promise.all([
      run(['train', recipe, '--out', a, ...SETS]),
      // pretrain 2 + sft 3 lines, then RL: kill once the 7th line (2nd RL step) is written.
      run(['train', recipe, '--out', b, ...SETS], { file: join(b, 'metrics.jsonl'), lines: 7 }),
    ]);
    assert.equal(full.code, 0, full.out);
    assert.equal(killed.signal, 'SIGKILL', `the run was not killed:\n${killed.out}`);
    // The kill may have torn the last line; count the complete ones.
    const partial = readMetrics(join(b, 'metrics.jsonl')).length;
    assert.ok(partial >= 7 && partial < metricsLines(a).length, `killed run has ${partial} lines`);

    const resumed = await run(['train', '--resume', b]);
    assert.equal(resumed.code, 0, resumed.out);
    assert.match(resumed.out, /resumed .* at (rl|sft|eval)/, resumed.out);
    assert.match(resumed.out.trim().split('\n').at(-1) ?? '', /^Run folder: /);

    const la = metricsLines(a);
    const lb = metricsLines(b);
    assert.equal(lb.length, la.length, `line counts differ; resumed output:\n${resumed.out}`);
    assert.ok(la.some((l) => l['phase'] === 'rl' && l['stage'] === 2), 'the run reached stage 2');
    la.forEach((line, i) => assert.deepEqual(lb[i], line, `metrics line ${i + 1} differs after resume`));
    assert.deepEqual(JSON.parse(readFileSync(join(b, 'results.json'), 'utf8')), JSON.parse(readFileSync(join(a, 'results.json'), 'utf8')));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
