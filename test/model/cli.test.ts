/** `longrl logprobs` and `longrl generate` run as real processes on the oracle folder. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ORACLES, maxAbsDiff, oracleCases } from './helpers.ts';

const bin = fileURLToPath(new URL('../../bin/longrl.js', import.meta.url));

function run(args: string[]): string {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, LONGRL_QUIET_BACKEND: '1' } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('logprobs --tokens-file --out --logits matches the oracle; generate --json greedy', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'longrl-cli-'));
  try {
    const c = oracleCases('qwen2-tiny').find((x) => x.name === 'len64')!;
    writeFileSync(join(tmp, 'ids.json'), JSON.stringify(c.input_ids));
    run(['logprobs', '--model', ORACLES + 'qwen2-tiny', '--tokens-file', join(tmp, 'ids.json'), '--out', join(tmp, 'o.json'), '--logits']);
    const o = JSON.parse(readFileSync(join(tmp, 'o.json'), 'utf8')) as { tokens: number[]; logprobs: number[]; last_logits: number[] };
    assert.deepEqual(o.tokens, c.input_ids);
    assert.equal(o.logprobs.length, c.length - 1);
    assert.ok(maxAbsDiff(o.logprobs, c.next_token_logprobs) <= 1e-4);
    assert.ok(maxAbsDiff(o.last_logits, c.last_logits) <= 1e-4);
    const lines = run(['generate', '--model', ORACLES + 'qwen2-tiny', '--tokens-file', join(tmp, 'ids.json'), '-n', '2', '--max-tokens', '5', '--temperature', '0', '--json'])
      .trim().split('\n').map((l) => JSON.parse(l) as { tokens: number[]; finish_reason: string });
    assert.equal(lines.length, 2);
    assert.equal(lines[0]!.tokens[0], c.last_argmax);
    assert.deepEqual(lines[0]!.tokens, lines[1]!.tokens);
    const bad = spawnSync(process.execPath, [bin, 'logprobs', '--model', ORACLES + 'qwen2-tiny'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--text and --tokens-file/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
