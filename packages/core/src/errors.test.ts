import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError, isDomainError, reject } from './errors.ts';

test('a rejection carries its code and kind but no stack frames, and leaves stack traces on for the rest', () => {
  const before = Error.stackTraceLimit;
  assert.throws(
    () => reject('OUT_OF_STOCK', 'only 2 left', { details: { left: 2 } }),
    (error: unknown) => {
      assert.ok(isDomainError(error) && error instanceof DomainError && error instanceof Error);
      assert.equal(error.code, 'OUT_OF_STOCK');
      assert.equal(error.kind, 'rejected');
      assert.deepEqual(error.details, { left: 2 });
      assert.equal(error.stack, 'DomainError: only 2 left');
      return true;
    },
  );
  assert.equal(Error.stackTraceLimit, before);
  assert.match(new Error('a fault').stack ?? '', /\n\s+at /);
});
