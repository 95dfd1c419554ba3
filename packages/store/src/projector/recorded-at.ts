import type { ProjectionEvent } from './projection.ts';

// The last conversion: the events of one record batch share their record's time.
let lastMs = Number.NaN;
let lastText = '';

/**
 * When an event was recorded, as ISO-8601 text (what a `timestamptz` column takes), the epoch when
 * its record carried no time. The events of a record batch share their time, so the last conversion
 * is kept: a `Date#toISOString` per event was the largest single cost of the shop's order-status
 * projection in a rebuild.
 */
export function recordedAtText(event: ProjectionEvent): string {
  const ms = event.metadata.recordedAt ?? 0;
  if (ms !== lastMs) {
    lastText = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastText;
}
