import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BATCHES_AFTER_MISS, OffsetForecast, OffsetForecastMissedError } from './offset-forecast.ts';

const event = (topic: string, partition: number) => ({ topic, partition, value: '{}' });

test('nothing is forecast for a partition no committed batch wrote', () => {
  const forecast = new OffsetForecast();
  assert.equal(forecast.predict([event('user-events', 0)]), undefined);
  forecast.learn([event('user-events', 0)], [7n]);
  assert.equal(forecast.predict([event('user-events', 0), event('user-events', 1)]), undefined);
  assert.equal(forecast.predict([event('order-events', 0)]), undefined);
});

test('offsets follow the commit marker and run on per partition, in order', () => {
  const forecast = new OffsetForecast();
  forecast.learn(
    [event('user-events', 0), event('user-events', 1), event('user-events', 0), event('order-events', 1)],
    [10n, 3n, 11n, 40n],
  );
  const next = [
    event('user-events', 1),
    event('user-events', 0),
    event('order-events', 1),
    event('user-events', 0),
    event('user-events', 1),
  ];
  // The last event at 11 and the marker at 12: the next event goes to 13.
  assert.deepEqual(forecast.predict(next), [5n, 13n, 42n, 14n, 6n]);
  assert.deepEqual(forecast.predict([]), []);
});

test('a batch without events of a partition leaves its forecast as it was', () => {
  const forecast = new OffsetForecast();
  forecast.learn([event('user-events', 0), event('user-events', 1)], [10n, 3n]);
  forecast.learn([event('user-events', 1)], [5n]);
  assert.deepEqual(forecast.predict([event('user-events', 0), event('user-events', 1)]), [12n, 7n]);
});

test('a forecast that differs from the offsets written is a miss; a miss forgets and pauses forecasting', () => {
  const forecast = new OffsetForecast();
  const events = [event('user-events', 0), event('user-events', 0)];
  forecast.learn(events, [0n, 1n]);
  const predicted = forecast.predict(events);
  assert.deepEqual(predicted, [3n, 4n]);
  forecast.check(events, [3n, 4n], [3n, 4n]);
  assert.throws(
    () => forecast.check(events, [3n, 4n], [3n, 6n]),
    (error: unknown) => {
      assert.ok(error instanceof OffsetForecastMissedError);
      assert.equal(error.code, 'OFFSET_FORECAST_MISSED');
      assert.match(error.message, /user-events\/0 was forecast at offset 4 but got 6/);
      return true;
    },
  );
  forecast.missed();
  forecast.learn(events, [5n, 6n]);
  for (let i = 0; i < BATCHES_AFTER_MISS; i++) assert.equal(forecast.predict(events), undefined);
  assert.deepEqual(forecast.predict(events), [8n, 9n]);
});

test('forget drops every forecast', () => {
  const forecast = new OffsetForecast();
  forecast.learn([event('user-events', 0)], [1n]);
  forecast.forget();
  assert.equal(forecast.predict([event('user-events', 0)]), undefined);
});
