/**
 * Fault injection for crash tests. `SLUICE_FAULT=<point>` (or `<point>:<n>` for the n-th time the point
 * is reached) kills this process with SIGKILL at that point. Honoured only when `NODE_ENV=test`.
 */
export type FaultPoint = 'after-send' | 'after-offsets' | 'before-commit' | 'during-restore' | 'mid-batch';

const reached = new Map<FaultPoint, number>();

/** Kills the process here when the environment asks for a crash at this point; otherwise does nothing. */
export function faultPoint(point: FaultPoint): void {
  if (process.env.NODE_ENV !== 'test') return;
  const spec = process.env.SLUICE_FAULT;
  if (!spec) return;
  const [name, nth] = spec.split(':');
  if (name !== point) return;
  const count = (reached.get(point) ?? 0) + 1;
  reached.set(point, count);
  if (count >= Number(nth ?? 1)) {
    process.stderr.write(`sluice: injected fault at ${point} (SIGKILL)\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}
