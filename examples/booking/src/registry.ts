import {
  type Command,
  createCommandRegistry,
  type Decider,
  defineCommand,
  type Event,
  s,
} from '@sluice/core';
import { MAX_SEATS_PER_REQUEST, showDecider } from './show/show.ts';

const seats = s.array(s.integer(), { maxItems: MAX_SEATS_PER_REQUEST * 10 });

/** The booking example's command types: all act on the `show` aggregate, keyed by `showId`. */
export const bookingCommands = createCommandRegistry([
  defineCommand({
    type: 'CreateShow',
    aggregate: 'show',
    idField: 'showId',
    schema: s.object({ showId: s.id(), seats: s.integer() }),
  }),
  defineCommand({
    type: 'BookSeats',
    aggregate: 'show',
    idField: 'showId',
    schema: s.object({ showId: s.id(), seats }),
  }),
  defineCommand({
    type: 'ReleaseSeats',
    aggregate: 'show',
    idField: 'showId',
    schema: s.object({ showId: s.id(), seats }),
  }),
]);

/** The booking example's deciders by aggregate type. */
export const bookingDeciders: Readonly<Record<string, Decider<unknown, Command, Event>>> = {
  show: showDecider,
};
