// Time helpers shared by the bench's threads. Worker threads have a `performance.timeOrigin` of their
// own, so times that cross a thread are epoch milliseconds. This module imports nothing: a worker that
// needs only these loads fast.

/** Now, in epoch milliseconds with sub-millisecond precision. */
export const epochNow = (): number => performance.timeOrigin + performance.now();

/** Resolves after `ms` milliseconds (at once when `ms` is not positive). */
export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
