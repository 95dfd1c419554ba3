import {
  type Command,
  type Decider,
  type DecisionContext,
  ErrorCodes,
  type Event,
  isPrivileged,
  reject,
} from '@sluice/core';

/** Rejection codes of the show aggregate. */
export const ShowCodes = {
  SHOW_NOT_FOUND: 'SHOW_NOT_FOUND',
  SHOW_EXISTS: 'SHOW_EXISTS',
  INVALID_SEAT_COUNT: 'INVALID_SEAT_COUNT',
  NO_SEATS: 'NO_SEATS',
  DUPLICATE_SEAT: 'DUPLICATE_SEAT',
  NO_SUCH_SEAT: 'NO_SUCH_SEAT',
  SEAT_TAKEN: 'SEAT_TAKEN',
  SEAT_NOT_BOOKED: 'SEAT_NOT_BOOKED',
  FORBIDDEN: ErrorCodes.FORBIDDEN,
} as const;

export const MAX_SEATS = 10_000;
/** Seats one request may book or release. */
export const MAX_SEATS_PER_REQUEST = 100;

/** A show with seats numbered 1..seats. */
export type CreateShow = Command<'CreateShow', { showId: string; seats: number }>;
/** Books all the seats for the principal, or none. */
export type BookSeats = Command<'BookSeats', { showId: string; seats: readonly number[] }>;
/** Releases seats the principal holds (an operator may release anyone's), all or none. */
export type ReleaseSeats = Command<'ReleaseSeats', { showId: string; seats: readonly number[] }>;
export type ShowCommand = CreateShow | BookSeats | ReleaseSeats;

export type ShowCreated = Event<'ShowCreated', { showId: string; seats: number }>;
export type SeatsBooked = Event<'SeatsBooked', { showId: string; seats: readonly number[]; holder: string }>;
export type SeatsReleased = Event<
  'SeatsReleased',
  { showId: string; seats: readonly number[]; holder: string }
>;
export type ShowEvent = ShowCreated | SeatsBooked | SeatsReleased;

export type ShowState =
  | { readonly status: 'absent' }
  | {
      readonly status: 'open';
      readonly showId: string;
      readonly seats: number;
      readonly holders: ReadonlyMap<number, string>;
    };

type OpenShow = Extract<ShowState, { status: 'open' }>;

function open(state: ShowState, showId: string): OpenShow {
  if (state.status === 'absent') reject(ShowCodes.SHOW_NOT_FOUND, `show ${showId} does not exist`);
  return state;
}

/** Checks a request's seat list: non-empty, bounded, no duplicates, every seat exists. */
function requestedSeats(show: OpenShow, seats: readonly number[]): readonly number[] {
  if (seats.length === 0) reject(ShowCodes.NO_SEATS, 'name at least one seat');
  if (seats.length > MAX_SEATS_PER_REQUEST)
    reject(ShowCodes.NO_SEATS, `a request names at most ${MAX_SEATS_PER_REQUEST} seats`);
  const seen = new Set<number>();
  for (const seat of seats) {
    if (seen.has(seat))
      reject(ShowCodes.DUPLICATE_SEAT, `seat ${seat} is named twice`, { details: { seat } });
    seen.add(seat);
    if (!Number.isSafeInteger(seat) || seat < 1 || seat > show.seats)
      reject(ShowCodes.NO_SUCH_SEAT, `show ${show.showId} has seats 1 to ${show.seats}, not ${seat}`, {
        details: { seat },
      });
  }
  return seats;
}

function decide(command: ShowCommand, state: ShowState, context: DecisionContext): ShowEvent[] {
  switch (command.type) {
    case 'CreateShow': {
      const { showId, seats } = command.data;
      if (!isPrivileged(context))
        reject(ShowCodes.FORBIDDEN, 'shows are created by operators and the system');
      if (state.status !== 'absent') reject(ShowCodes.SHOW_EXISTS, `show ${showId} already exists`);
      if (!Number.isSafeInteger(seats) || seats < 1 || seats > MAX_SEATS)
        reject(ShowCodes.INVALID_SEAT_COUNT, `a show has 1 to ${MAX_SEATS} seats`);
      return [{ type: 'ShowCreated', data: { showId, seats } }];
    }
    case 'BookSeats': {
      const show = open(state, command.data.showId);
      const seats = requestedSeats(show, command.data.seats);
      const taken = seats.filter((seat) => show.holders.has(seat));
      if (taken.length > 0)
        reject(ShowCodes.SEAT_TAKEN, `seats ${taken.join(', ')} are taken`, { details: { seats: taken } });
      return [
        { type: 'SeatsBooked', data: { showId: show.showId, seats: [...seats], holder: context.principal } },
      ];
    }
    case 'ReleaseSeats': {
      const show = open(state, command.data.showId);
      const seats = requestedSeats(show, command.data.seats);
      const free = seats.filter((seat) => !show.holders.has(seat));
      if (free.length > 0)
        reject(ShowCodes.SEAT_NOT_BOOKED, `seats ${free.join(', ')} are not booked`, {
          details: { seats: free },
        });
      const holders = new Set(seats.map((seat) => show.holders.get(seat)!));
      const operator = isPrivileged(context);
      if (!operator && (holders.size !== 1 || !holders.has(context.principal)))
        reject(ShowCodes.FORBIDDEN, `${context.principal} may release only seats they hold`);
      // One event per holder, so projections always know whose seats were freed.
      return [...holders].map((holder) => ({
        type: 'SeatsReleased',
        data: {
          showId: show.showId,
          seats: seats.filter((seat) => show.holders.get(seat) === holder),
          holder,
        },
      }));
    }
  }
}

function evolve(state: ShowState, event: ShowEvent): ShowState {
  if (event.type === 'ShowCreated') return { status: 'open', ...event.data, holders: new Map() };
  const show = state as OpenShow;
  const holders = new Map(show.holders);
  for (const seat of event.data.seats) {
    if (event.type === 'SeatsBooked') holders.set(seat, event.data.holder);
    else holders.delete(seat);
  }
  return { ...show, holders };
}

/** A show's seats: a seat is never booked twice, because one partition has one writer. */
export const showDecider: Decider<ShowState, ShowCommand, ShowEvent> = {
  initialState: () => ({ status: 'absent' }),
  decide,
  evolve,
  stateRevision: 1,
};
