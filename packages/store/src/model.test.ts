import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deleteChange, foldByKey, rowKeyOf, upsertChange } from './model/row-changes.ts';
import { versionedTableName } from './model/table-definition.ts';
import { parseTopicPartitionKey, topicPartitionKey } from './model/topic-partition.ts';

describe('foldByKey', () => {
  const table = { key: ['id'] };
  it('keeps the last change per key, in first-seen key order', () => {
    const folded = foldByKey([
      upsertChange(table, { id: 'a', n: 1 }),
      upsertChange(table, { id: 'b', n: 1 }),
      upsertChange(table, { id: 'a', n: 2 }),
      deleteChange(table, { id: 'b' }),
      deleteChange(table, { id: 'c' }),
      upsertChange(table, { id: 'c', n: 3 }),
    ]);
    assert.deepEqual(folded, [
      { key: 'a', op: 'upsert', row: { id: 'a', n: 2 } },
      { key: 'b', op: 'delete', row: { id: 'b' } },
      { key: 'c', op: 'upsert', row: { id: 'c', n: 3 } },
    ]);
  });
});

describe('row keys and table names', () => {
  it('keys one column by its value and several by a JSON array', () => {
    assert.equal(rowKeyOf(['id'], { id: 42 }), '42');
    assert.equal(rowKeyOf(['owner', 'item'], { owner: 'ann', item: 7n }), '["ann","7"]');
  });

  it('names a projection table by version and refuses what is not an identifier', () => {
    assert.equal(versionedTableName('order_status', 2), 'p_order_status_v2');
    assert.throws(() => versionedTableName('Order-Status', 1), { code: 'INVALID_IDENTIFIER' });
    assert.throws(() => versionedTableName('x"; drop table y; --', 1), { code: 'INVALID_IDENTIFIER' });
    assert.throws(() => versionedTableName('orders', 0), RangeError);
  });

  it('round-trips topic/partition keys', () => {
    assert.deepEqual(parseTopicPartitionKey(topicPartitionKey('order-events', 11)), {
      topic: 'order-events',
      partition: 11,
    });
    assert.throws(() => parseTopicPartitionKey('order-events'), TypeError);
  });
});
