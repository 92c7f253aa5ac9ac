/**
 * `longrl train` with `policy: {kind: tinker}`: the tiny recipe trains through a Tinker
 * service (longrl's own, over the same tiny model folder, on 127.0.0.1) in a child process.
 * The service injects one 429 on the first `forward_backward`, so the client's retry
 * counter must show up in the metrics lines as `remote/retry_429`; the run's checkpoint
 * names a `tinker://` path, and the service did the optimizer steps the metrics report.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeModelFolder } from '../../src/model/folder.ts';
import { createTinkerService } from '../../src/serve/tinker/index.ts';
import { buildInitModel } from '../../src/train/recipe.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin', 'longrl.js');

function runCli(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

test('longrl train with policy.kind tinker runs RL steps through a Tinker service and logs remote/ counters', { timeout: 120_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'longrl-remote-train-'));
  // The served model and the run's model folder are the same folder (the run reads its tokenizer).
  const base = join(tmp, 'tiny-base');
  writeModelFolder(base, buildInitModel('tiny', {}, 0));
  const service = createTinkerService({ modelDir: base, threads: 1, stateDir: join(tmp, 'tinker-state'), faults: { forward_backward: ['http429'] } });
  const server = createServer((req, res) => service.handleTinkerRequest(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const out = join(tmp, 'run');
    const sets = [
      `model={path: ${base}}`,
      `policy={kind: tinker, url: '${url}', baseModel: tiny-base, loraRank: 0}`,
      'pretrain=null', 'sft=null',
      'rl.promptsPerStep=2', 'rl.groupSize=4', 'rl.miniBatches=2', 'rl.dynamicSampling.enabled=false',
      'rl.stages=[{maxInputTokens: 192, maxOutputTokens: 8, steps: 2}]',
      'eval.models=[rl-final]', 'eval.itemsPerLength=2', 'checkpoint.every=1',
    ].flatMap((s) => ['--set', s]);
    const res = await runCli(['train', join(root, 'recipes', 'demo-tiny.yaml'), '--out', out, ...sets]);
    assert.equal(res.code, 0, res.out);
    assert.match(res.out, /remote policy: http:\/\/127\.0\.0\.1:\d+\/ as backend tinker/);
    assert.match(res.out, /final model: .*tinker:\/\//);
    assert.equal(res.out.trim().split('\n').at(-1), `Run folder: ${out}`);

    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const rl = lines.filter((m) => m['phase'] === 'rl');
    assert.equal(rl.length, 2, 'two RL steps');
    assert.equal(lines.length, 2, 'no pretrain or SFT lines');
    for (const m of rl) {
      assert.equal(m['train/optimizer_steps'], 2, 'two mini-batches per RL step');
      assert.equal(typeof m['actor/pg_loss'], 'number');
      assert.ok(Number.isFinite(m['actor/grad_norm'] as number));
      assert.equal(m['actor/entropy'], undefined, 'the Tinker API returns no entropy');
      // The injected 429 was retried once, before the first line was written; counters are cumulative.
      assert.equal(m['remote/retry_429'], 1);
    }
    assert.deepEqual(Object.keys(rl[0]!).filter((k) => k.startsWith('remote/') && k !== 'remote/heartbeat').sort(), ['remote/retry_429']);

    // The last checkpoint names the service's checkpoint, after 2 RL steps × 2 optimizer steps.
    const latest = JSON.parse(readFileSync(join(out, 'checkpoints', 'latest.json'), 'utf8')) as Record<string, unknown>;
    const ckDir = join(out, 'checkpoints', String(latest['dir']));
    const ckFile = join(ckDir, 'policy', 'remote_checkpoint.json');
    assert.ok(existsSync(ckFile), `no ${ckFile} (latest.json: ${JSON.stringify(latest)})`);
    const ck = JSON.parse(readFileSync(ckFile, 'utf8')) as Record<string, unknown>;
    assert.match(String(ck['tinker_path']), /^tinker:\/\//);
    assert.equal(ck['step'], 4);
    assert.ok(!existsSync(join(out, 'models', 'final')), 'nothing is exported locally for a remote policy');
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { model: string }[];
    assert.ok(results.length > 0 && results.every((r) => r.model === 'rl-final'));
  } finally {
    service.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(tmp, { recursive: true, force: true });
  }
});
