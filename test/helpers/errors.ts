import assert from 'node:assert/strict';
import { UserError } from '../../src/util/errors.ts';

/** Runs `fn`, asserts it throws a UserError, and returns the message (for matching its wording). */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    return err.message;
  }
  assert.fail('expected an error');
}
