/** Seat booking: shows with numbered seats, booked all-or-nothing and never twice. */
export * from './registry.ts';
export * from './show/show.ts';
