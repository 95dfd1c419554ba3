import assert from 'node:assert/strict';
import { test } from 'node:test';
import { murmur2 as libraryMurmur2 } from '@platformatic/kafka';
import fc from 'fast-check';
import { murmur2, partitionForKey } from './partitioning.ts';

// The Java jars are the oracle of contract/partitioner.test.ts; this pins the port to the client's own.
test("murmur2 equals the client library's for any bytes, and partitions agree for any string key", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 400 }),
      (bytes, key) => {
        assert.equal(murmur2(bytes), libraryMurmur2(Buffer.from(bytes)));
        const expected = (libraryMurmur2(Buffer.from(key)) & 0x7fffffff) % 12;
        assert.equal(partitionForKey(key, 12), expected);
      },
    ),
    { numRuns: 3_000 },
  );
});
