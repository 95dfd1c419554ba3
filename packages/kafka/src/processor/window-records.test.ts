import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type AggregateEntry, rememberedCommand } from './aggregate-state.ts';
import {
  aggregateOfWindowKey,
  decodeWindowRecord,
  encodeWindowRecord,
  windowOfRecords,
  windowRecordKey,
} from './window-records.ts';
import { rememberInWindow, windowEntries } from './window-tags.ts';

test('window record keys never meet aggregate keys, and name their aggregate', () => {
  assert.equal(windowRecordKey('user', '7', 33, 32), 'user#1/7');
  assert.equal(aggregateOfWindowKey('user#1/7'), 'user/7');
  // An aggregate id may hold any character, a type only topic-name ones.
  assert.equal(aggregateOfWindowKey(windowRecordKey('user', 'a#3/b#4', 5, 32)), 'user/a#3/b#4');
  assert.equal(aggregateOfWindowKey('user/a#3'), undefined);
  assert.equal(aggregateOfWindowKey('user/#3/x'), undefined);
  assert.equal(aggregateOfWindowKey('__checkpoint'), undefined);
});

test('a window record decodes to its entry; anything else is refused', () => {
  const entry = rememberedCommand({
    commandId: 'c1',
    payloadHash: 'h',
    code: 'BAD',
    version: 3,
    message: 'no "quotes"',
  });
  entry.seq = 9;
  assert.deepEqual(decodeWindowRecord(encodeWindowRecord(entry)), entry);
  const accepted = rememberedCommand({ commandId: 'c2', payloadHash: 'h', code: 'OK', version: 4 });
  accepted.seq = 10;
  accepted.eventOffset = '41';
  assert.deepEqual(decodeWindowRecord(encodeWindowRecord(accepted)), accepted);
  assert.throws(() => decodeWindowRecord('{"type":"user"}'), /not a window entry/);
  assert.throws(() => decodeWindowRecord('[1,"c"]'), /not a window entry/);
});

// Few ids, so that an id is remembered again (its older entry leaves the window).
const ids = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h');

test('the window restored from its compacted records is the newest entries of the one in memory', () => {
  fc.assert(
    fc.property(
      fc.array(ids, { maxLength: 80 }),
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 1, max: 8 }),
      (commands, size, sizeAfter) => {
        let entry: AggregateEntry = { state: null, version: 0, window: [], count: 0 };
        // Compaction keeps the newest record of each key.
        const compacted = new Map<string, string>();
        for (const [version, commandId] of commands.entries()) {
          const remembered = rememberedCommand({ commandId, payloadHash: 'h', code: 'OK', version });
          entry = rememberInWindow(entry, remembered, size);
          compacted.set(
            windowRecordKey('user', '7', remembered.seq ?? 0, size),
            encodeWindowRecord(remembered),
          );
        }
        const count = entry.count ?? 0;
        const records = [...compacted.values()].map(decodeWindowRecord);
        // What memory holds of the last `size` remembered; all of it unless an id came twice in them.
        const window = windowEntries(entry);
        const newest = window.filter((e) => (e.seq ?? 0) > count - size);
        assert.deepEqual(windowOfRecords(records, count, size), newest);
        if (new Set(commands.slice(-size)).size === Math.min(size, commands.length))
          assert.deepEqual(windowOfRecords(records, count, size), window);
        // Restored with another window size: never more than it, never an entry memory had dropped.
        const other = windowOfRecords(records, count, sizeAfter);
        assert.ok(other.length <= sizeAfter);
        for (const kept of other)
          assert.ok(window.some((e) => e.seq === kept.seq && e.commandId === kept.commandId));
      },
    ),
    { numRuns: 500 },
  );
});
