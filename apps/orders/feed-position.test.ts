import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatFeedPosition, parseFeedPosition } from './read-model.ts';

const projections = ['order_status', 'user_items'];

test('a merged feed position names each log, and reads back the same', () => {
  const positions = new Map([
    ['order_status', 12n],
    ['user_items', 9007199254740993n],
  ]);
  const text = formatFeedPosition(positions);
  assert.equal(text, 'order_status=12.user_items=9007199254740993');
  assert.deepEqual(parseFeedPosition(text, projections), positions);
});

test('a bare number resumes every log there; unknown names and garbage start at the present', () => {
  assert.deepEqual(
    parseFeedPosition('7', projections),
    new Map([
      ['order_status', 7n],
      ['user_items', 7n],
    ]),
  );
  assert.deepEqual(parseFeedPosition('ghost=3.order_status=5', projections), new Map([['order_status', 5n]]));
  assert.deepEqual(parseFeedPosition('nonsense', projections), new Map());
  assert.deepEqual(parseFeedPosition(undefined, projections), new Map());
});
