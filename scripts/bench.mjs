#!/usr/bin/env node
// `npm run bench` -> bench/kernels.ts; `npm run bench:model` (first argument `model`) ->
// bench/model.ts when it exists. Benchmarks never run inside `npm test`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
let script = 'bench/kernels.ts';
if (args[0] === 'model') {
  args.shift();
  script = 'bench/model.ts';
  if (!existsSync(`${root}${script}`)) {
    console.error('bench:model: bench/model.ts is not there yet (the model engine benchmark lands with the model engine)');
    process.exit(0);
  }
}
const r = spawnSync(process.execPath, ['--import', 'tsx', `${root}${script}`, ...args], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
