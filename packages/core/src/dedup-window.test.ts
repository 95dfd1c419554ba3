import assert from 'node:assert/strict';
import { test } from 'node:test';
import { payloadHash } from './canonical-json.ts';
import { type DedupEntry, DedupWindow } from './dedup-window.ts';

const entry = (n: number, hash = `h${n}`): DedupEntry => ({
  commandId: `c${n}`,
  payloadHash: hash,
  code: 'OK',
  version: n,
});

test('a new id is new; the same id and payload is a duplicate with the stored result; another payload conflicts', () => {
  const window = DedupWindow.remember(DedupWindow.empty, { ...entry(1), code: 'INVALID_NAME' });
  assert.deepEqual(DedupWindow.check(window, 'c2', 'h2'), { kind: 'new' });
  assert.deepEqual(DedupWindow.check(window, 'c1', 'h1'), {
    kind: 'duplicate',
    result: { ...entry(1), code: 'INVALID_NAME' },
  });
  const conflict = DedupWindow.check(window, 'c1', 'other');
  assert.equal(conflict.kind, 'conflict');
  assert.equal(conflict.kind === 'conflict' && conflict.code, 'IDEMPOTENCY_CONFLICT');
});

test('an empty id is found like any other', () => {
  const window = DedupWindow.remember(DedupWindow.empty, { ...entry(1), commandId: '' });
  assert.equal(DedupWindow.check(window, '', 'h1').kind, 'duplicate');
  assert.equal(DedupWindow.check(window, 'c1', 'h1').kind, 'new');
});

test('the window keeps the newest K ids and never mutates the old window', () => {
  let window = DedupWindow.empty;
  const snapshots: DedupWindow[] = [];
  for (let n = 1; n <= 40; n++) {
    snapshots.push(window);
    window = DedupWindow.remember(window, entry(n));
  }
  assert.equal(window.length, 32);
  assert.equal(DedupWindow.check(window, 'c8', 'h8').kind, 'new');
  assert.equal(DedupWindow.check(window, 'c9', 'h9').kind, 'duplicate');
  assert.equal(snapshots[5]?.length, 5);
  assert.equal(DedupWindow.remember(DedupWindow.empty, entry(1), 1).length, 1);
  assert.deepEqual(DedupWindow.remember([entry(1), entry(2)], entry(3), 2), [entry(2), entry(3)]);
  assert.throws(() => DedupWindow.remember(window, entry(99), 0), RangeError);
});

test('payload hashes ignore key order but not values or type', () => {
  assert.equal(payloadHash('T', { a: 1, b: { c: 2, d: 3 } }), payloadHash('T', { b: { d: 3, c: 2 }, a: 1 }));
  assert.notEqual(payloadHash('T', { a: 1 }), payloadHash('T', { a: 2 }));
  assert.notEqual(payloadHash('T', { a: 1 }), payloadHash('U', { a: 1 }));
  assert.match(payloadHash('T', {}), /^[A-Za-z0-9_-]{22}$/);
});
