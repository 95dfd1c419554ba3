// The patched `createRecord` writes each record into one buffer sized up front (PATCHES.md). It must
// produce exactly the bytes of the library's field-by-field encoding, which the broker and the Java
// consumer accept; the end-to-end proof is every other contract test, this one pins the bytes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRecord, type MessageRecord, Writer } from '@platformatic/kafka';
import fc from 'fast-check';

type Bytes = Buffer | null;

function byFields(message: MessageRecord, offsetDelta: number, firstTimestamp: bigint): Buffer {
  return Writer.create()
    .appendInt8(0)
    .appendVarInt64((message.timestamp as bigint) - firstTimestamp)
    .appendVarInt(offsetDelta)
    .appendVarIntBytes(message.key as Bytes)
    .appendVarIntBytes(message.value as Bytes)
    .appendVarIntMap(message.headers as Map<Buffer, Bytes>, (w, [key, value]) => {
      w.appendVarIntBytes(key).appendVarIntBytes(value);
    })
    .prependVarIntLength().buffer;
}

const bytes = (maxLength: number) =>
  fc.option(
    fc.uint8Array({ maxLength }).map((array) => Buffer.from(array)),
    { freq: 8 },
  );
const text = (maxLength: number) => fc.option(fc.string({ unit: 'binary', maxLength }), { freq: 8 });

/**
 * Random records whose key, value and header values come from `field`: `createRecord` of them must
 * give the bytes of the field-by-field encoding of the same record with every field `asBytes`.
 */
function encodesLikeByFields<T>(
  field: (maxLength: number) => fc.Arbitrary<T | null>,
  asBytes: (value: T | null) => Bytes,
): void {
  fc.assert(
    fc.property(
      field(64),
      field(2_000),
      fc.array(fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 24 }), field(300)), { maxLength: 9 }),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }),
      (key, value, headers, offsetDelta, timestampDelta) => {
        const firstTimestamp = 1_800_000_000_000n;
        const message = <V>(convert: (value: T | null) => V) =>
          ({
            key: convert(key),
            value: convert(value),
            headers: new Map(headers.map(([name, headerValue]) => [Buffer.from(name), convert(headerValue)])),
            timestamp: firstTimestamp + timestampDelta,
          }) as unknown as MessageRecord;
        const written = (
          createRecord(
            message((v) => v),
            offsetDelta,
            firstTimestamp,
          ) as Writer
        ).buffer;
        assert.deepEqual(written, byFields(message(asBytes), offsetDelta, firstTimestamp));
      },
    ),
    { numRuns: 3_000 },
  );
}

test('a record written in one buffer equals the field-by-field encoding, byte for byte', () => {
  encodesLikeByFields(bytes, (value) => value);
});

test('strings as keys, values and header values are written as their UTF-8 bytes', () => {
  encodesLikeByFields(text, (value) => (value === null ? null : Buffer.from(value)));
});
