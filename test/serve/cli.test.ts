/** `longrl serve` as a user starts it: the real CLI in a child process. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tinyModel } from './helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/longrl.js', import.meta.url));
const { root, modelDir } = tinyModel('longrl-serve-cli-');
after(() => rmSync(root, { recursive: true, force: true }));

test('serve --port 0 prints its URL, answers, and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, [BIN, 'serve', '--model', modelDir, '--port', '0', '--served-model-name', 'tiny-cli'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const m = / at (http:\/\/\S+)\/v1/.exec(buf);
      if (m) resolve(m[1]!);
    });
    child.on('exit', () => reject(new Error(`serve exited early: ${buf}`)));
  });
  const health = await fetch(`${url}/health`);
  assert.equal(health.status, 200);
  const models = (await (await fetch(`${url}/v1/models`)).json()) as { data: { id: string }[] };
  assert.deepEqual(models.data.map((m) => m.id), ['tiny-cli']);
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});

test('a non-loopback host without --api-key is refused with a message', () => {
  const r = spawnSync(process.execPath, [BIN, 'serve', '--model', modelDir, '--host', '0.0.0.0', '--port', '0'], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /needs --api-key/);
});

test('--tinker says when the Tinker API is not in this build', { skip: existsSync(fileURLToPath(new URL('../../src/serve/tinker/index.ts', import.meta.url))) }, () => {
  const r = spawnSync(process.execPath, [BIN, 'serve', '--model', modelDir, '--port', '0', '--tinker'], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /not available in this build/);
});
