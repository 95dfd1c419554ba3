import { defineProjection } from '@sluice/store';

/** One row per show: its seats, who holds each booked seat, and how many are still free. */
export const seatAvailabilityProjection = defineProjection({
  name: 'seat_availability',
  version: 1,
  topics: ['show-events'],
  tables: {
    shows: {
      name: 'seat_availability',
      columns: { show_id: 'text', seats: 'integer', booked: 'jsonb', available: 'integer' },
      key: ['show_id'],
    },
  },
  async apply(events, { shows }) {
    await shows.load(events.map((e) => ({ show_id: e.metadata.aggregateId })));
    for (const event of events) {
      const data = event.data as { showId: string; seats: number | readonly number[]; holder?: string };
      if (event.type === 'ShowCreated') {
        const seats = data.seats as number;
        shows.upsert({ show_id: data.showId, seats, booked: {}, available: seats });
        continue;
      }
      shows.update({ show_id: data.showId }, (row) => {
        // Seat number → holder, as a JSON object: a seat map the UI can draw directly.
        const booked = { ...(row.booked as Record<string, string>) };
        for (const seat of data.seats as readonly number[]) {
          if (event.type === 'SeatsBooked') booked[String(seat)] = data.holder ?? '';
          else if (event.type === 'SeatsReleased') delete booked[String(seat)];
        }
        return { ...row, booked, available: (row.seats as number) - Object.keys(booked).length };
      });
    }
  },
});
