#!/usr/bin/env node
// Runs every test/**/*.test.ts with node:test (Node 20 expands no globs and ignores .ts,
// so the files are listed here), prints the spec report and a closing
// "N passed, N failed" line. Arguments filter test files by substring.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tmpdir } from 'node:os';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const files = walk(join(root, 'test'))
  .map((p) => relative(root, p))
  .filter((p) => filters.length === 0 || filters.some((f) => p.includes(f)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

const countsFile = join(tmpdir(), `longrl-test-counts-${process.pid}.json`);
const res = spawnSync(
  process.execPath,
  [
    '--import', 'tsx',
    '--test',
    `--test-concurrency=${process.env.LONGRL_TEST_CONCURRENCY ?? '2'}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    `--test-reporter=${join(root, 'scripts/count-reporter.mjs')}`, `--test-reporter-destination=${countsFile}`,
    ...files,
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, LONGRL_QUIET_BACKEND: process.env.LONGRL_QUIET_BACKEND ?? '1' } },
);
let counts = { passed: 0, failed: 0, skipped: 0 };
try {
  counts = JSON.parse(readFileSync(countsFile, 'utf8'));
  rmSync(countsFile, { force: true });
} catch {
  counts.failed = Math.max(1, counts.failed);
}
console.log(`\n${files.length} test files`);
console.log(`${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
process.exit(res.status === 0 && counts.failed === 0 ? 0 : 1);
