/**
 * Fault injection for crash tests. `SLUICE_FAULT=<point>` (or `<point>:<n>` for the n-th time the point
 * is reached, read when the process starts) kills this process with SIGKILL at that point; `SLUICE_FAULT=pause-<point>[:<n>]` stops it
 * with SIGSTOP instead (a zombie for another process to SIGCONT). Honoured only when `NODE_ENV=test`.
 */
export type FaultPoint = 'after-send' | 'after-offsets' | 'before-commit' | 'during-restore' | 'mid-batch';

/**
 * Safety rules a test may switch off with `SLUICE_UNSAFE=<rule>[,<rule>]` (only when `NODE_ENV=test`),
 * to prove that the tests notice when the rule is missing.
 */
export type SafetyRule =
  | 'no-barrier'
  | 'no-overlay'
  | 'no-dedup'
  | 'no-read-committed-patch'
  | 'no-forecast-check';

const reached = new Map<FaultPoint, number>();
// Read once: these run per command on the hot path, and process.env lookups are not free.
const testing = process.env.NODE_ENV === 'test';
const faultSpec = testing ? (process.env.SLUICE_FAULT ?? '') : '';
const unsafeRules = new Set(testing ? (process.env.SLUICE_UNSAFE ?? '').split(',') : []);

/** Kills (or stops) the process here when the environment asks for it at this point; otherwise does nothing. */
export function faultPoint(point: FaultPoint): void {
  if (!faultSpec) return;
  const [name = '', nth] = faultSpec.split(':');
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
  return unsafeRules.has(rule);
}
