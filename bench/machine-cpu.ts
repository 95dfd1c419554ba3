/**
 * The whole machine's CPU time over a phase: this process, the broker and anything else. On two cores
 * with the broker beside the processor, a drain and a null loop both end up bound by the machine's
 * cores once the broker is fast; their ratio then tends to the ratio of the CPU each spends per command,
 * whatever runs on which thread (decision 0007).
 */
import { cpus } from 'node:os';

/** The machine's busy and total CPU milliseconds since boot, over all cores. */
interface CpuTimes {
  readonly busyMs: number;
  readonly totalMs: number;
}

/** The CPU times now. */
export function machineCpu(): CpuTimes {
  let busyMs = 0;
  let totalMs = 0;
  for (const { times } of cpus()) {
    const busy = times.user + times.nice + times.sys + times.irq;
    busyMs += busy;
    totalMs += busy + times.idle;
  }
  return { busyMs, totalMs };
}

/** What the machine spent since `before` on `commands`: microseconds per command, and its busy share. */
export function machineCpuSince(
  before: CpuTimes,
  commands: number,
): { readonly machineCpuUsPerCommand: number; readonly machineBusy: number } {
  const now = machineCpu();
  const busyMs = now.busyMs - before.busyMs;
  const totalMs = now.totalMs - before.totalMs;
  return {
    machineCpuUsPerCommand: Number(((busyMs * 1000) / commands).toFixed(1)),
    machineBusy: Number((totalMs > 0 ? busyMs / totalMs : 0).toFixed(3)),
  };
}
