// CPU priorities for the HTTP scenario. On two cores the broker, the processor, the projector, the
// read store, the API and the load all share the CPUs; without priorities a query waits behind
// whichever batch of work is running (measured: the API's event loop runnable but not running for
// 20-30 ms at a time). A deployment that co-locates them gives the throughput parts the lower priority,
// as the bench does while it times queries: every thread of the processor, the projector and a broker
// this run started gets nice 10 and, where Linux groups CPU time by session (autogroup), so does the
// broker's session group (the roles share the bench's group with the API, which must keep its share). The API keeps the default priority. So does the thread that sends and times the
// queries; the bench's main thread, which sends the background commands (clients that would be on
// other machines), runs at nice 10 too. The command throughput is measured before, at equal
// priorities. `SLUICE_BENCH_NICE=0` turns this off.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** The nice value of the throughput parts; 0 means the scenario runs without priorities. */
export const BACKGROUND_NICE = process.env.SLUICE_BENCH_NICE === '0' || process.platform === 'win32' ? 0 : 10;

/**
 * Gives every thread of the processes (and their autogroups) the background priority; returns
 * a function that puts back what it changed (raising a priority again needs CAP_SYS_NICE: a refusal
 * is reported, not thrown).
 */
export function lowerPriority(pids: readonly number[], log: (line: string) => void): () => void {
  const undo: Array<() => void> = [];
  if (BACKGROUND_NICE === 0) return () => {};
  for (const pid of pids) {
    const tasks = existsSync(`/proc/${pid}/task`) ? readdirSync(`/proc/${pid}/task`).map(Number) : [pid];
    for (const tid of tasks) {
      try {
        undo.push(lowerThread(tid));
      } catch {
        // The thread ended meanwhile.
      }
    }
    const group = `/proc/${pid}/autogroup`;
    // Only a session of its own (the broker's): the roles share this process's group with the API.
    if (existsSync(group) && autogroupOf(group) !== autogroupOf('/proc/self/autogroup')) {
      const was = /nice (-?\d+)/.exec(readFileSync(group, 'utf8'))?.[1];
      writeFileSync(group, String(BACKGROUND_NICE));
      if (was !== undefined) undo.push(() => writeFileSync(group, was));
    }
  }
  return undoAll(undo, log);
}

/**
 * Gives the calling thread alone the background priority (on Linux a thread's nice value is its own;
 * threads it starts afterwards inherit it, ones already running keep theirs); returns the undo.
 */
export function lowerThisThread(log: (line: string) => void): () => void {
  if (BACKGROUND_NICE === 0 || process.platform !== 'linux') return () => {};
  return undoAll([lowerThread(process.pid)], log);
}

/** Sets one thread to the background priority; returns the step that puts its priority back. */
function lowerThread(tid: number): () => void {
  const was = getPriority(tid);
  setPriority(tid, BACKGROUND_NICE);
  return () => setPriority(tid, was);
}

/** Runs the undo steps, newest first; raising a priority again needs CAP_SYS_NICE: refusals are reported. */
function undoAll(undo: Array<() => void>, log: (line: string) => void): () => void {
  return () => {
    let refused = 0;
    for (const step of undo.reverse()) {
      try {
        step();
      } catch {
        refused++;
      }
    }
    if (refused > 0) log(`could not restore the priority of ${refused} threads (needs CAP_SYS_NICE)`);
  };
}

/** `/autogroup-123` of a `/proc/<pid>/autogroup` file. */
function autogroupOf(file: string): string | undefined {
  return readFileSync(file, 'utf8').split(' ')[0];
}
