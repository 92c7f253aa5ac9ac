import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsKernels } from '../../src/engine/index.ts';
import { kernelSuite } from './suite.ts';

kernelSuite('js', jsKernels());

test('js: backend reports itself', () => {
  const k = jsKernels();
  assert.equal(k.backend, 'js');
  assert.equal(k.threads, 1);
  assert.equal(k.isa, 'js');
});
