import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { produceChunks } from './txn-records.ts';
import type { OutgoingRecord } from './txn-session.ts';

const bytesOf = (value: Buffer | string | undefined) =>
  value === undefined ? 0 : typeof value === 'string' ? Buffer.byteLength(value) : value.length;

function headerPairs(headers: OutgoingRecord['headers']): [string | Buffer, string | Buffer | undefined][] {
  if (headers === undefined) return [];
  if (headers instanceof Map) return [...headers];
  if (Array.isArray(headers)) {
    const flat = headers as readonly (string | Buffer)[];
    return flat.flatMap((name, i) =>
      i % 2 === 0 ? [[name, flat[i + 1]] as [string | Buffer, string | Buffer | undefined]] : [],
    );
  }
  return Object.entries(headers);
}

/** A record's size as produceChunks reckons it, every string measured exactly. */
function exactBytes(record: OutgoingRecord): number {
  const headers = headerPairs(record.headers);
  let bytes = 24 + bytesOf(record.key) + bytesOf(record.value);
  for (const [name, value] of headers) bytes += 4 + bytesOf(name) + bytesOf(value);
  return bytes;
}

const text = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 150 }));
const bytes = fc.oneof(
  text,
  fc.uint8Array({ maxLength: 300 }).map((array) => Buffer.from(array)),
);
const record: fc.Arbitrary<OutgoingRecord> = fc.record(
  {
    topic: fc.constantFrom('a', 'b'),
    partition: fc.integer({ min: 0, max: 3 }),
    key: bytes,
    value: bytes,
    headers: fc.oneof(
      fc.dictionary(fc.string({ maxLength: 8 }), bytes, { maxKeys: 3 }),
      fc.array(fc.tuple(fc.string({ maxLength: 8 }), bytes), { maxLength: 3 }).map((pairs) => new Map(pairs)),
      fc.array(fc.tuple(fc.string({ maxLength: 8 }), bytes), { maxLength: 3 }).map((pairs) => pairs.flat()),
    ),
  },
  { requiredKeys: ['topic', 'partition', 'value'] },
);

test('produceChunks keeps the order, never exceeds a budget with two records, and splits only where the next record does not fit', () => {
  fc.assert(
    fc.property(fc.array(record, { maxLength: 60 }), fc.integer({ min: 1, max: 4_000 }), (records, limit) => {
      const chunks = produceChunks(records, () => limit);
      assert.deepEqual(chunks.flat(), records, 'every record once, in order');
      let next = 0;
      for (const [i, chunk] of chunks.entries()) {
        assert.ok(chunk.length > 0, 'no empty chunk');
        const used = new Map<string, { bytes: number; records: number }>();
        for (const r of chunk) {
          const key = `${r.topic}/${r.partition}`;
          const sum = used.get(key) ?? { bytes: 0, records: 0 };
          used.set(key, { bytes: sum.bytes + exactBytes(r), records: sum.records + 1 });
        }
        for (const [key, sum] of used)
          assert.ok(sum.records === 1 || sum.bytes <= limit, `${key} holds ${sum.bytes} bytes in chunk ${i}`);
        next += chunk.length;
        const first = records[next];
        if (i < chunks.length - 1 && first) {
          // The record that opened the next chunk did not fit by its exact size.
          const held = used.get(`${first.topic}/${first.partition}`)?.bytes ?? 0;
          assert.ok(held + exactBytes(first) > limit, `chunk ${i} ended early: ${held} bytes held`);
        }
      }
    }),
    { numRuns: 2_000 },
  );
});
