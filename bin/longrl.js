#!/usr/bin/env node
// The longrl command. The package runs from its TypeScript sources through tsx,
// so a fresh clone needs no build step beyond `npm install`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
if (typeof code === 'number') process.exitCode = code;
