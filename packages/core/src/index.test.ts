import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SLUICE_CORE } from './index.ts';

test('core entry point loads under type stripping', () => {
  assert.equal(SLUICE_CORE, 'sluice-core');
});
