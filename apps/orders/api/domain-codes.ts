import type { DomainCodeEntry } from '@sluice/http';

/** The shop's and the booking example's rejection codes with their kinds, for the error catalogue. */
export const shopDomainCodes: Readonly<Record<string, DomainCodeEntry>> = {
  ORDER_NOT_FOUND: { kind: 'not-found', title: 'No such order' },
  ORDER_EXISTS: { kind: 'conflict', title: 'The order already exists' },
  INVALID_TRANSITION: { kind: 'conflict', title: 'The order is not in a status that allows this' },
  EMPTY_ORDER: { kind: 'invalid', title: 'An order needs at least one item' },
  INVALID_ITEM: { kind: 'invalid', title: 'An order line is not valid' },
  INVALID_NAME: { kind: 'invalid', title: 'A name must have 1 to 100 characters' },
  USER_NOT_FOUND: { kind: 'not-found', title: 'The user has no profile' },
  SHOW_NOT_FOUND: { kind: 'not-found', title: 'No such show' },
  SHOW_EXISTS: { kind: 'conflict', title: 'The show already exists' },
  INVALID_SEAT_COUNT: { kind: 'invalid', title: 'A show has 1 to 10,000 seats' },
  NO_SEATS: { kind: 'invalid', title: 'Name 1 to 100 seats' },
  DUPLICATE_SEAT: { kind: 'invalid', title: 'A seat is named twice' },
  NO_SUCH_SEAT: { kind: 'invalid', title: 'The show has no such seat' },
  SEAT_TAKEN: { kind: 'conflict', title: 'A seat is already taken' },
  SEAT_NOT_BOOKED: { kind: 'conflict', title: 'A seat is not booked' },
  UNKNOWN_PROJECTION: { kind: 'not-found', title: 'No such projection' },
  REBUILD_RUNNING: { kind: 'conflict', title: 'A rebuild of this projection is already running' },
  REBUILD_NOT_CANCELLABLE: {
    kind: 'conflict',
    title: "The version under way is the code's own, which its projectors build",
  },
};
