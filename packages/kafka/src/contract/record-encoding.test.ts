// The patched `createRecord` writes each record into one buffer sized up front (PATCHES.md). It must
// produce exactly the bytes of the library's field-by-field encoding, which the broker and the Java
// consumer accept; the end-to-end proof is every other contract test, this one pins the bytes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type CreateRecordsBatchOptions,
  crc32c,
  createRecord,
  createRecordsBatch,
  jsCRC32C,
  type KafkaRecord,
  type MessageRecord,
  Reader,
  readRecord,
  readRecordsBatches,
  Writer,
} from '@platformatic/kafka';
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
  name: fc.Arbitrary<T> = fc
    .uint8Array({ minLength: 1, maxLength: 24 })
    .map((array) => Buffer.from(array) as T),
): void {
  fc.assert(
    fc.property(
      field(64),
      // Past 2,730 UTF-16 units a string's UTF-8 may need a third byte of length: sized before written.
      field(3_000),
      // Names unique as text: a Map keyed by strings would merge equal ones, one keyed by buffers not.
      fc.uniqueArray(fc.tuple(name, field(300)), {
        maxLength: 9,
        selector: ([headerName]) => String(headerName),
      }),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }),
      fc.boolean(),
      (key, value, headers, offsetDelta, timestampDelta, flat) => {
        const firstTimestamp = 1_800_000_000_000n;
        const message = <V>(convert: (value: T | null) => V, flatHeaders = false) => {
          const pairs = headers.map(([headerName, headerValue]) => [
            convert(headerName),
            convert(headerValue),
          ]);
          return {
            key: convert(key),
            value: convert(value),
            // The patched encoder also takes headers as one flat array of names and values.
            headers: flatHeaders ? pairs.flat() : new Map(pairs as [V, V][]),
            timestamp: firstTimestamp + timestampDelta,
          } as unknown as MessageRecord;
        };
        const written = (
          createRecord(
            message((v) => v, flat),
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

test('strings as keys, values, header names and header values are written as their UTF-8 bytes', () => {
  encodesLikeByFields(
    text,
    (value) => (value === null ? null : Buffer.from(value)),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 24 }),
  );
});

// Strings under 16 UTF-16 units are copied by a loop of the encoder's own, which falls back to
// Buffer#utf8Write at the first non-ASCII character; longer ones go to utf8Write after a one-byte length,
// moved on when their UTF-8 needs two. Lengths around 16 and 64 and a late non-ASCII character are
// where it could slip.
const asciiOfLength = (length: fc.Arbitrary<number>) =>
  length.chain((n) => fc.string({ unit: 'binary-ascii', minLength: n, maxLength: n }));
const asciiText = () =>
  fc.option(
    fc.oneof(
      asciiOfLength(fc.integer({ min: 0, max: 70 })),
      asciiOfLength(fc.integer({ min: 14, max: 18 })),
      asciiOfLength(fc.integer({ min: 60, max: 66 })),
      fc
        .tuple(
          asciiOfLength(fc.integer({ min: 0, max: 66 })),
          fc.string({ unit: 'binary', minLength: 1, maxLength: 2 }),
        )
        .map(([ascii, rest]) => ascii + rest),
    ),
    { freq: 8 },
  );

test('short ASCII strings, and ones that turn non-ASCII late, are written as their UTF-8 bytes', () => {
  encodesLikeByFields(
    asciiText,
    (value) => (value === null ? null : Buffer.from(value)),
    asciiOfLength(fc.integer({ min: 1, max: 66 })),
  );
});

// A batch's records are written one after another into one buffer (PATCHES.md), which grows as it
// fills: the records must be those of the field-by-field encoding, in order, under the right checksum.
test("a batch's records equal the field-by-field encoding of each, under the batch's checksum", () => {
  const field = (maxLength: number) =>
    fc.oneof(bytes(maxLength), text(maxLength), asciiText()) as fc.Arbitrary<Buffer | string | null>;
  const asBytes = (value: Buffer | string | null | undefined) =>
    typeof value === 'string' ? Buffer.from(value) : (value ?? null);
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          key: field(40),
          value: fc.oneof(field(300), field(3_000)),
          headers: fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 20 }), field(100)), {
            maxLength: 9,
            selector: ([name]) => name,
          }),
          flat: fc.boolean(),
          // None (the batch's time), a few ms either way, or past what a record's one-buffer path takes.
          timestamp: fc.option(fc.oneof(fc.bigInt({ min: -50n, max: 50n }), fc.constant(2n ** 31n)), {
            freq: 2,
          }),
        }),
        { minLength: 1, maxLength: 120 },
      ),
      (drafts) => {
        const base = BigInt(Date.now());
        const messages = drafts.map((draft) => ({
          key: draft.key,
          value: draft.value,
          headers: draft.flat ? draft.headers.flat() : new Map(draft.headers),
          timestamp: draft.timestamp === null ? undefined : base + draft.timestamp,
        })) as unknown as MessageRecord[];
        const batch = createRecordsBatch(messages, {
          firstSequence: 0,
        } as Partial<CreateRecordsBatchOptions>).buffer;
        // Every message now carries the timestamp it was written with (the batch's when it had none).
        const firstTimestamp = messages[0]!.timestamp as bigint;
        const expected = messages.map((message, i) =>
          byFields(
            {
              key: asBytes(message.key as Buffer | string | null),
              value: asBytes(message.value as Buffer | string | null),
              headers: new Map(
                (drafts[i]!.headers as [string, Buffer | string | null][]).map(([name, value]) => [
                  Buffer.from(name),
                  asBytes(value),
                ]),
              ),
              timestamp: message.timestamp,
            } as unknown as MessageRecord,
            i,
            firstTimestamp,
          ),
        );
        // The batch header is 61 bytes; its checksum (at 17) covers everything from the attributes (21).
        assert.deepEqual(batch.subarray(61), Buffer.concat(expected));
        assert.equal(batch.readUInt32BE(17), jsCRC32C(batch.subarray(21)));
        assert.equal(batch.readInt32BE(57), messages.length);
        const timestamps = messages.map((message) => message.timestamp as bigint);
        assert.equal(
          batch.readBigInt64BE(35),
          timestamps.reduce((a, b) => (b > a ? b : a)),
        );
      },
    ),
    { numRuns: 500 },
  );
});

// The batch checksum is taken chunk by chunk (PATCHES.md): it must be the CRC32C of the bytes joined.
test("a batch's CRC32C over its chunks equals the CRC32C of the chunks joined", () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 }), (chunks) => {
      const writer = Writer.create();
      for (const chunk of chunks) writer.append(Buffer.from(chunk));
      const joined = Buffer.concat(chunks.map((chunk) => Buffer.from(chunk)));
      assert.equal(crc32c(writer.dynamicBuffer), jsCRC32C(joined));
    }),
    { numRuns: 1_000 },
  );
});

// Records of a response in one buffer are read in place, headers on demand (PATCHES.md); a response
// in chunks goes through the library's own reader. Both must give the same records. Header names read
// as strings are compared with the last ones seen, not decoded again: names come from a small pool
// too, with some of one length that differ in one byte, and bytes that are not UTF-8.
const namePool = ['sluice-type', 'sluice-typf', 'sluice-tYpe', 'content-type', 'ab', 'ac', ''].map((name) =>
  Uint8Array.from(Buffer.from(name)),
);
const headerName = fc.oneof(
  fc.uint8Array({ maxLength: 20 }),
  fc.constantFrom(...namePool, Uint8Array.of(0xff, 0xfe), Uint8Array.of(0xff, 0xfd)),
);
test('records read in place equal those the chunked reader gives, headers as views and as strings', () => {
  const plain = (record: KafkaRecord) => ({
    length: record.length,
    attributes: record.attributes,
    timestampDelta: record.timestampDelta,
    offsetDelta: record.offsetDelta,
    key: record.key,
    value: record.value,
    headers: record.headers,
  });
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          key: bytes(40),
          value: bytes(3_000),
          headers: fc.array(fc.tuple(headerName, bytes(200)), { maxLength: 9 }),
          // A delta past 48 bits (either way) the in-place reader hands to the library's.
          timestamp: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 40n }), fc.bigInt({ min: 0n, max: 2n ** 52n })),
        }),
        { minLength: 1, maxLength: 30 },
      ),
      fc.integer({ min: 1, max: 500 }),
      (drafts, chunkSize) => {
        const firstTimestamp = 1_800_000_000_000n;
        const messages = drafts.map((draft) => ({
          key: draft.key,
          value: draft.value,
          headers: new Map(draft.headers.map(([name, value]) => [Buffer.from(name), value])),
          timestamp: firstTimestamp + draft.timestamp,
        })) as unknown as MessageRecord[];
        const whole = createRecordsBatch(messages, {
          firstSequence: 0,
        } as Partial<CreateRecordsBatchOptions>).buffer;
        const chunks = Writer.create();
        for (let at = 0; at < whole.length; at += chunkSize)
          chunks.append(whole.subarray(at, at + chunkSize));
        const [inPlace] = readRecordsBatches(Reader.from(whole));
        const [byReader] = readRecordsBatches(Reader.from(chunks));
        assert.equal(inPlace?.records.length, drafts.length);
        for (const [i, record] of (inPlace?.records ?? []).entries()) {
          const expected = byReader?.records[i] as KafkaRecord;
          // Strings first: once `headers` has been read, they are taken from its views.
          const strings = record.headerStrings?.();
          assert.deepEqual(plain(record), plain(expected));
          if (strings === undefined) {
            const delta = record.timestampDelta;
            // Zigzag doubles it: past 48 bits either way it is read by the library's reader.
            assert.ok(
              delta >= 2n ** 48n || delta < -(2n ** 48n),
              'only a long timestamp delta leaves the in-place reader',
            );
            continue;
          }
          assert.deepEqual(
            strings,
            expected.headers.flatMap(([name, value]) => [
              name?.toString() ?? null,
              value?.toString() ?? null,
            ]),
          );
        }
      },
    ),
    { numRuns: 1_000 },
  );
});

test('a record read in place stops its headers at its own end, whatever its counts and lengths say', () => {
  const body = Buffer.from([
    0x00, // attributes
    0x00, // timestamp delta 0
    0x00, // offset delta 0
    0x01, // key: null (-1)
    0x01, // value: null (-1)
    0x80,
    0x80,
    0x80,
    0x80,
    0x02, // 2^28 headers, says the count
    0x04,
    0x61,
    0x62, // name "ab"
    0xc8,
    0x01,
    0x78,
    0x79, // a value of 100 bytes, says its length; two are there
  ]);
  const record = readRecord(
    Reader.from(Buffer.concat([Buffer.from([body.length * 2]), body, Buffer.from('next')])),
  );
  assert.deepEqual(record.headerStrings?.(), ['ab', 'xy']);
  assert.deepEqual(
    record.headers.map(([name, value]) => [name?.toString(), value?.toString()]),
    [['ab', 'xy']],
  );
});
