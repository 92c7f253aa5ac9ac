/** `startServer({tinker: true})` mounts the Tinker-compatible API under /api/v1/ beside the OpenAI routes. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startServer } from '../../src/serve/index.ts';
import { tinyModel } from './helpers.ts';

const present = existsSync(fileURLToPath(new URL('../../src/serve/tinker/index.ts', import.meta.url)));
const { root, modelDir } = tinyModel('longrl-serve-tinker-');
after(() => rmSync(root, { recursive: true, force: true }));

test('--tinker: /api/v1/ goes to the Tinker service, /v1/ stays OpenAI', { skip: !present && 'src/serve/tinker/ not in this build' }, async () => {
  const s = await startServer({ model: modelDir, name: 'tiny', tinker: true });
  try {
    const h = await fetch(`${s.url}/api/v1/healthz`);
    assert.equal(h.status, 200);
    const caps = await fetch(`${s.url}/api/v1/get_server_capabilities`);
    assert.equal(caps.status, 200);
    const unknown = await fetch(`${s.url}/api/v1/no_such_route`, { method: 'POST', body: '{}' });
    assert.equal(unknown.status, 404);
    assert.ok('detail' in ((await unknown.json()) as object), 'Tinker-style error body, not the OpenAI one');
    const m = (await (await fetch(`${s.url}/v1/models`)).json()) as { data: { id: string }[] };
    assert.equal(m.data[0]!.id, 'tiny');
  } finally {
    await s.close();
  }
});
