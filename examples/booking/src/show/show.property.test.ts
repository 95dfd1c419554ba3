import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeState,
  encodeState,
  evolveAll,
  isDomainError,
  operatorContext,
  userContext,
} from '@sluice/core';
import { checkDeciderAgainstModel, type ModelStep } from '@sluice/testing';
import fc from 'fast-check';
import { type ShowCommand, type ShowEvent, showDecider } from './show.ts';

// The model: seats of one show as a plain map seat → holder, with `undefined` before the show exists.
type Model = { readonly seats: number; readonly holders: Readonly<Record<number, string>> } | undefined;
const SEATS = 6;

function apply(model: Model, { command, context }: ModelStep<ShowCommand>) {
  const no = (code: string) => ({ accepted: false as const, code });
  const operator = context.principal.startsWith('operator:');
  if (command.type === 'CreateShow') {
    if (!operator) return no('FORBIDDEN');
    if (model) return no('SHOW_EXISTS');
    return { accepted: true as const, model: { seats: command.data.seats, holders: {} } };
  }
  if (!model) return no('SHOW_NOT_FOUND');
  const seats = command.data.seats;
  if (seats.length === 0) return no('NO_SEATS');
  for (let i = 0; i < seats.length; i++) {
    const seat = seats[i]!;
    if (seats.indexOf(seat) !== i) return no('DUPLICATE_SEAT');
    if (seat < 1 || seat > model.seats) return no('NO_SUCH_SEAT');
  }
  const holders = { ...model.holders };
  if (command.type === 'BookSeats') {
    if (seats.some((seat) => holders[seat] !== undefined)) return no('SEAT_TAKEN');
    for (const seat of seats) holders[seat] = context.principal;
  } else {
    if (seats.some((seat) => holders[seat] === undefined)) return no('SEAT_NOT_BOOKED');
    if (!operator && seats.some((seat) => holders[seat] !== context.principal)) return no('FORBIDDEN');
    for (const seat of seats) delete holders[seat];
  }
  return { accepted: true as const, model: { ...model, holders } };
}

const seatList = fc.array(fc.integer({ min: 0, max: SEATS + 1 }), { maxLength: 4 });
const steps: fc.Arbitrary<ModelStep<ShowCommand>> = fc.record({
  command: fc.oneof(
    {
      weight: 1,
      arbitrary: fc.constant<ShowCommand>({ type: 'CreateShow', data: { showId: 's', seats: SEATS } }),
    },
    {
      weight: 5,
      arbitrary: seatList.map((seats): ShowCommand => ({ type: 'BookSeats', data: { showId: 's', seats } })),
    },
    {
      weight: 3,
      arbitrary: seatList.map(
        (seats): ShowCommand => ({ type: 'ReleaseSeats', data: { showId: 's', seats } }),
      ),
    },
  ),
  context: fc.constantFrom(
    userContext('alice'),
    userContext('bob'),
    userContext('carol'),
    operatorContext('eve'),
  ),
});

/** Replays the events: no seat may be booked while it is held. */
function assertNoDoubleBooking(events: readonly ShowEvent[], model: Model): void {
  const held = new Map<number, string>();
  for (const event of events) {
    if (event.type === 'SeatsBooked')
      for (const seat of event.data.seats) {
        assert.equal(
          held.has(seat),
          false,
          `seat ${seat} booked by ${event.data.holder} while held by ${held.get(seat)}`,
        );
        held.set(seat, event.data.holder);
      }
    if (event.type === 'SeatsReleased') for (const seat of event.data.seats) held.delete(seat);
  }
  assert.deepEqual(Object.fromEntries(held), model?.holders ?? {});
}

test('random booking sequences: the decider agrees with a plain seat → holder map, and never double-books', () => {
  checkDeciderAgainstModel({
    decider: showDecider,
    model: { initial: (): Model => undefined, apply },
    steps,
    numRuns: 500,
    maxSteps: 60,
    invariant: assertNoDoubleBooking,
  });
});

test('show states survive the state codec (Map of holders included)', () => {
  fc.assert(
    fc.property(fc.array(steps, { maxLength: 30 }), (run) => {
      const events: ShowEvent[] = [];
      let state = showDecider.initialState();
      for (const { command, context } of run) {
        try {
          const produced = showDecider.decide(command, state, context);
          events.push(...produced);
          state = evolveAll(showDecider, produced, state);
        } catch (error) {
          if (!isDomainError(error)) throw error;
        }
      }
      const decoded = decodeState(encodeState(state, 1), 1);
      assert.deepStrictEqual(decoded, { ok: true, state });
    }),
    { numRuns: 100 },
  );
});
