/**
 * The CPU time of the brokers this run started, from /proc: all of it, and the part their JVMs' JIT
 * compiler threads (C1 and C2) spent. A freshly started broker keeps compiling through its first
 * minute or so of load, at a quarter to a third of a core on this machine's two: whatever scenario
 * ran then shared the machine with the compilers, and the figures of a run depended on what had run
 * before. The processor scenario's warm-up lasts until the compilers go quiet (`processor-drain.ts`),
 * and each drain and null loop reports the compilers' share beside its own figures.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Linux reports CPU times in ticks of USER_HZ, which is 100 on every architecture Node runs on. */
const TICK_MS = 10;

/** A reading of the brokers' CPU: totals per process and per compiler thread, in ms. */
export interface BrokerCpuReading {
  readonly at: number;
  readonly processes: ReadonlyMap<number, number>;
  readonly compilers: ReadonlyMap<string, number>;
}

/** What the brokers spent between two readings. */
export interface BrokerCpuUse {
  /** Their CPU time in ms. */
  readonly cpuMs: number;
  /** The part of it their JIT compiler threads spent, in ms. */
  readonly jitMs: number;
  /** The compilers' CPU as a share of one core over the interval. */
  readonly jitShare: number;
}

/** User plus system time of a /proc stat file, in ms; undefined once the process or thread is gone. */
function cpuMsOf(statPath: string): number | undefined {
  try {
    const text = readFileSync(statPath, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces: state is the first,
    // utime the 12th and stime the 13th.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

function threadName(pid: number, tid: string): string {
  try {
    return readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** The brokers' CPU now; undefined without brokers of this run's own (`--brokers`) or without /proc. */
export function readBrokerCpu(pids: readonly number[]): BrokerCpuReading | undefined {
  if (pids.length === 0) return undefined;
  const processes = new Map<number, number>();
  const compilers = new Map<string, number>();
  for (const pid of pids) {
    const total = cpuMsOf(`/proc/${pid}/stat`);
    if (total === undefined) return undefined;
    processes.set(pid, total);
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      return undefined;
    }
    for (const tid of tids) {
      // HotSpot names them "C2 CompilerThread0", cut by the kernel to 15 characters.
      if (!/^C[12] Compiler/.test(threadName(pid, tid))) continue;
      const ms = cpuMsOf(`/proc/${pid}/task/${tid}/stat`);
      if (ms !== undefined) compilers.set(`${pid}/${tid}`, ms);
    }
  }
  return { at: performance.now(), processes, compilers };
}

/**
 * What the brokers spent since `before`. A compiler thread that started since counts from zero; one
 * that ended (HotSpot stops idle ones) counts for nothing, so `jitMs` can only be an underestimate.
 */
export function brokerCpuSince(
  before: BrokerCpuReading | undefined,
  pids: readonly number[],
): BrokerCpuUse | undefined {
  const now = readBrokerCpu(pids);
  if (before === undefined || now === undefined) return undefined;
  let cpuMs = 0;
  for (const [pid, ms] of now.processes) cpuMs += ms - (before.processes.get(pid) ?? ms);
  let jitMs = 0;
  for (const [thread, ms] of now.compilers) jitMs += ms - (before.compilers.get(thread) ?? 0);
  const wallMs = now.at - before.at;
  return { cpuMs, jitMs, jitShare: Number((wallMs > 0 ? jitMs / wallMs : 0).toFixed(3)) };
}

/** A phase's broker figures for its details: CPU per command and the compilers' share; none without. */
export function brokerDetails(use: BrokerCpuUse | undefined, commands: number): Record<string, number> {
  if (use === undefined) return {};
  return {
    brokerCpuUsPerCommand: Number(((use.cpuMs * 1000) / commands).toFixed(1)),
    brokerJitShare: use.jitShare,
  };
}
