import assert from 'node:assert/strict';
import { test } from 'node:test';

test('global setup runs before test files and its environment reaches them', () => {
  assert.equal(process.env.SLUICE_TEST_SETUP, '1');
});
