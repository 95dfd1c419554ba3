import assert from 'node:assert/strict';
import { test } from 'node:test';
import { priceBand } from './price-band.ts';

test('bands at the boundaries: 499 cheap, 500 and 5000 affordable, 5001 expensive', () => {
  assert.deepEqual([499, 500, 5000, 5001].map(priceBand), ['cheap', 'affordable', 'affordable', 'expensive']);
  assert.equal(priceBand(0), 'cheap');
  assert.equal(priceBand(10_000_000), 'expensive');
});
