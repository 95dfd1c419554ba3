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

test('a record written in one buffer equals the field-by-field encoding, byte for byte', () => {
  fc.assert(
    fc.property(
      bytes(64),
      bytes(2_000),
      fc.array(fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 24 }), bytes(300)), { maxLength: 9 }),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }),
      (key, value, headers, offsetDelta, timestampDelta) => {
        const firstTimestamp = 1_800_000_000_000n;
        const message = {
          key,
          value,
          headers: new Map(headers.map(([name, headerValue]) => [Buffer.from(name), headerValue])),
          timestamp: firstTimestamp + timestampDelta,
        } as unknown as MessageRecord;
        const written = (createRecord(message, offsetDelta, firstTimestamp) as Writer).buffer;
        assert.deepEqual(written, byFields(message, offsetDelta, firstTimestamp));
      },
    ),
    { numRuns: 3_000 },
  );
});

const utf8 = (value: string | null) => (value === null ? null : Buffer.from(value));

test('strings as keys, values and header values are written as their UTF-8 bytes', () => {
  const text = (maxLength: number) => fc.option(fc.string({ unit: 'binary', maxLength }), { freq: 8 });
  fc.assert(
    fc.property(
      text(64),
      text(2_000),
      fc.array(fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 24 }), text(300)), { maxLength: 9 }),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }),
      (key, value, headers, offsetDelta, timestampDelta) => {
        const firstTimestamp = 1_800_000_000_000n;
        const message = (convert: (value: string | null) => string | Buffer | null) =>
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
        assert.deepEqual(written, byFields(message(utf8), offsetDelta, firstTimestamp));
      },
    ),
    { numRuns: 3_000 },
  );
});
