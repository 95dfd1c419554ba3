/**
 * Fault injection for crash tests. `SLUICE_FAULT=<point>` (or `<point>:<n>` for the n-th time the point
 * is reached) kills this process with SIGKILL at that point; `SLUICE_FAULT=pause-<point>[:<n>]` stops it
 * with SIGSTOP instead (a zombie for another process to SIGCONT). Honoured only when `NODE_ENV=test`.
 */
export type FaultPoint = 'after-send' | 'after-offsets' | 'before-commit' | 'during-restore' | 'mid-batch';

/**
 * Safety rules a test may switch off with `SLUICE_UNSAFE=<rule>[,<rule>]` (only when `NODE_ENV=test`),
 * to prove that the tests notice when the rule is missing.
 */
export type SafetyRule = 'no-barrier' | 'no-overlay' | 'no-dedup' | 'no-read-committed-patch';

const reached = new Map<FaultPoint, number>();

/** Kills (or stops) the process here when the environment asks for it at this point; otherwise does nothing. */
export function faultPoint(point: FaultPoint): void {
  if (process.env.NODE_ENV !== 'test') return;
  const spec = process.env.SLUICE_FAULT;
  if (!spec) return;
  const [name = '', nth] = spec.split(':');
  const pause = name.startsWith('pause-');
  if ((pause ? name.slice('pause-'.length) : name) !== point) return;
  const count = (reached.get(point) ?? 0) + 1;
  reached.set(point, count);
  if (count !== Number(nth ?? 1)) return;
  // Writes to a pipe are synchronous on Linux: the line is out before the signal lands.
  process.stderr.write(`sluice: injected fault at ${point} (${pause ? 'SIGSTOP' : 'SIGKILL'})\n`);
  process.kill(process.pid, pause ? 'SIGSTOP' : 'SIGKILL');
}

/** Whether a test switched this safety rule off. Always false unless `NODE_ENV=test`. */
export function unsafe(rule: SafetyRule): boolean {
  if (process.env.NODE_ENV !== 'test') return false;
  return (process.env.SLUICE_UNSAFE ?? '').split(',').includes(rule);
}
