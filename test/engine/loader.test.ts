import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const root = new URL('../../', import.meta.url).pathname;

function run(env: Record<string, string>, code: string): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: root, encoding: 'utf8', env: { ...process.env, LONGRL_QUIET_BACKEND: '', ...env },
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

test('LONGRL_BACKEND=js forces the fallback, silently, and getKernels is cached', () => {
  const r = run({ LONGRL_BACKEND: 'js' }, `
    import { getKernels } from './src/engine/index.ts';
    const a = getKernels(); const b = getKernels();
    console.log(JSON.stringify({ backend: a.backend, same: a === b }));`);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { backend: 'js', same: true });
  assert.equal(r.stderr, '');
});

test('the default backend is native when the addon is built; otherwise one notice line on stderr', () => {
  const r = run({}, `
    import { getKernels, nativeKernels } from './src/engine/index.ts';
    getKernels(); getKernels();
    console.log(JSON.stringify({ backend: getKernels().backend, native: nativeKernels() !== null }));`);
  assert.equal(r.status, 0, r.stderr);
  const o = JSON.parse(r.stdout) as { backend: string; native: boolean };
  if (o.native) {
    assert.equal(o.backend, 'native');
    assert.equal(r.stderr, '');
  } else {
    assert.equal(o.backend, 'js');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^longrl: native addon unavailable \(.+\); running on the slow TypeScript path$/);
    const q = run({ LONGRL_QUIET_BACKEND: '1' }, `import { getKernels } from './src/engine/index.ts'; getKernels();`);
    assert.equal(q.stderr, '');
  }
});
