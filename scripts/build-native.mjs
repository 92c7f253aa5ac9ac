#!/usr/bin/env node
// Builds the native addon with node-gyp and the machine's g++ (no downloads). When the
// build is impossible the install still succeeds: longrl then runs on its TypeScript
// fallback and says so once at start-up. `--force` makes a failed build an error.
// LONGRL_SKIP_NATIVE=1 skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const force = process.argv.includes('--force');
if (process.env.LONGRL_SKIP_NATIVE === '1' && !force) {
  console.log('longrl: LONGRL_SKIP_NATIVE=1, native addon not built (TypeScript fallback)');
  process.exit(0);
}
if (!existsSync(join(root, 'binding.gyp'))) process.exit(0);

function findNodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  const candidates = [];
  try {
    const req = createRequire(import.meta.url);
    candidates.push(req.resolve('node-gyp/bin/node-gyp.js'));
  } catch {}
  const npmDir = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm');
  candidates.push(join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((c) => existsSync(c));
}

const gyp = findNodeGyp();
if (!gyp) {
  const msg = 'longrl: node-gyp not found; native addon not built (TypeScript fallback)';
  if (force) { console.error(msg); process.exit(1); }
  console.warn(msg);
  process.exit(0);
}
const jobs = String(Math.max(1, (await import('node:os')).availableParallelism()));
const args = [gyp, 'rebuild', '--jobs', jobs];
// node-gyp downloads Node's headers unless told where they are; offline that fails.
// When npm has no nodedir set, point it at the headers installed beside this node binary.
const configuredNodedir = process.env.npm_config_nodedir;
const localPrefix = join(dirname(process.execPath), '..');
const env = { ...process.env };
if (!configuredNodedir && existsSync(join(localPrefix, 'include', 'node', 'node_api.h'))) {
  args.push(`--nodedir=${localPrefix}`);
  delete env.npm_config_nodedir; // an empty value would override the flag
}
const res = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env });
if (res.status !== 0) {
  const msg = 'longrl: native addon build failed; longrl will run on the slow TypeScript path';
  if (force) { console.error(msg); process.exit(1); }
  console.warn(msg);
}
process.exit(0);
