/**
 * `longrl serve --tinker` end to end: the serve command's server (startServer) dispatches
 * /api/v1/* to the Tinker service; RemotePolicy trains through it with an API key from the
 * environment, and one RL step equals LocalPolicy bit for bit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { startServer } from '../../src/serve/server.ts';
import { LocalPolicy } from '../../src/policy/local.ts';
import { RemotePolicy } from '../../src/remote/index.ts';
import { makeModelFolder, rlLoop } from '../remote/helpers.ts';

test('longrl serve --tinker: RemotePolicy through the serve command equals LocalPolicy', async () => {
  const dir = makeModelFolder();
  const server = await startServer({ model: dir, tinker: true, apiKey: 'tml-serve-test', port: 0 });
  try {
    const adam = { learningRate: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0, gradClipNorm: 1 };
    const want = await rlLoop(LocalPolicy.fromFolder(dir), adam, 1);
    process.env['LONGRL_TEST_SERVE_KEY'] = 'tml-serve-test';
    const base = new URL(server.url).origin;
    const remote = await RemotePolicy.create({ url: base, baseModel: 'tiny', loraRank: 0, apiKeyEnv: 'LONGRL_TEST_SERVE_KEY', backoffBaseMs: 1 });
    const got = await rlLoop(remote, adam, 1);
    assert.deepEqual(got, want);
    remote.close();
    const h = await fetch(`${base}/api/v1/healthz`);
    assert.deepEqual(await h.json(), { status: 'ok' });
    assert.equal((await fetch(`${base}/api/v1/get_server_capabilities`)).status, 401, 'the key guards the Tinker routes');
  } finally {
    delete process.env['LONGRL_TEST_SERVE_KEY'];
    await server.close();
    rmSync(dirname(dir), { recursive: true, force: true });
  }
});
