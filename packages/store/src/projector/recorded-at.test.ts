import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { ProjectionEvent } from './projection.ts';
import { recordedAtText } from './recorded-at.ts';

const eventAt = (recordedAt: number | undefined) =>
  ({ metadata: { recordedAt } }) as unknown as ProjectionEvent;

test("an event's record time is Date#toISOString of it, whatever came before, and the epoch without one", () => {
  // Runs of equal times (a record batch's events) between others, as a projector meets them.
  const time = fc.oneof(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.constant(undefined));
  fc.assert(
    fc.property(fc.array(fc.tuple(time, fc.integer({ min: 1, max: 3 })), { maxLength: 30 }), (runs) => {
      for (const [ms, count] of runs)
        for (let i = 0; i < count; i++)
          assert.equal(recordedAtText(eventAt(ms)), new Date(ms ?? 0).toISOString());
    }),
  );
});
