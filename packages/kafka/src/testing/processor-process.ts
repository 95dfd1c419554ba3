import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { PROCESSOR_NODE_FLAGS } from '../processor/processor-options.ts';

const MAIN = fileURLToPath(new URL('./processor-main.ts', import.meta.url));

/** How a processor child is started. */
export interface ProcessorProcessOptions {
  readonly brokers: readonly string[];
  readonly prefix: string;
  readonly partitions: number;
  readonly instanceId: string;
  /** `SLUICE_FAULT`, e.g. `after-send:3` or `pause-after-offsets:2`. */
  readonly fault?: string;
  /** `SLUICE_UNSAFE`, e.g. `no-dedup`. */
  readonly unsafe?: string;
  readonly maxBatch?: number;
  readonly lingerMs?: number;
  readonly sessionTimeoutMs?: number;
}

/** One line the child printed on stdout. */
export interface ProcessorLine {
  readonly event: string;
  readonly [field: string]: unknown;
}

/** How a child ended. */
export interface ProcessorExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A command processor running in a child process (see processor-main.ts). */
export class ProcessorProcess {
  readonly instanceId: string;
  readonly lines: ProcessorLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<ProcessorExit>;
  readonly #child: ChildProcess;
  #watchers: (() => void)[] = [];
  #exit: ProcessorExit | undefined;

  constructor(options: ProcessorProcessOptions) {
    this.instanceId = options.instanceId;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'test',
      KAFKA_BROKERS: options.brokers.join(','),
      SLUICE_TOPIC_PREFIX: options.prefix,
      SLUICE_PARTITIONS: String(options.partitions),
      SLUICE_INSTANCE_ID: options.instanceId,
      SLUICE_FAULT: options.fault ?? '',
      SLUICE_UNSAFE: options.unsafe ?? '',
      SLUICE_MAX_BATCH: options.maxBatch === undefined ? '' : String(options.maxBatch),
      SLUICE_LINGER_MS: options.lingerMs === undefined ? '' : String(options.lingerMs),
      SLUICE_SESSION_TIMEOUT_MS: String(options.sessionTimeoutMs ?? 6_000),
    };
    // process.execPath is the Node 24 that runs the tests (node_modules/.bin/node).
    this.#child = spawn(process.execPath, [...PROCESSOR_NODE_FLAGS, MAIN], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    createInterface({ input: this.#child.stdout! }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line) as ProcessorLine);
      } catch {
        this.lines.push({ event: 'output', line });
      }
      this.#wake();
    });
    createInterface({ input: this.#child.stderr! }).on('line', (line) => {
      this.stderr.push(line);
      this.#wake();
    });
    this.exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        this.#wake();
        resolve(this.#exit);
      });
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** True once the child has ended. */
  get ended(): boolean {
    return this.#exit !== undefined;
  }

  /** Sends a signal (SIGKILL, SIGTERM, SIGSTOP, SIGCONT). Does nothing once the child ended. */
  signal(signal: NodeJS.Signals): void {
    if (!this.ended) this.#child.kill(signal);
  }

  /** The partitions of the last assignment the child reported, if any. */
  get partitions(): number[] | undefined {
    const assigned = this.lines.findLast((line) => line.event === 'assigned');
    return assigned ? (assigned.partitions as number[]) : undefined;
  }

  /** Commands the child reported committed. */
  get committedCommands(): number {
    return this.lines.reduce((n, line) => n + (line.event === 'batch' ? Number(line.commands) : 0), 0);
  }

  /** Waits until `predicate` holds, or fails after `timeoutMs` (and when the child ends first). */
  async waitFor(what: string, predicate: () => boolean, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (this.ended)
        throw new Error(`${this.instanceId} ended (${JSON.stringify(this.#exit)}) ${this.#tail()}`);
      if (Date.now() > deadline)
        throw new Error(`${this.instanceId}: no ${what} in ${timeoutMs} ms ${this.#tail()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.#watchers.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for an assignment report whose partitions satisfy `accept` (default: any). */
  waitForAssignment(accept: (partitions: number[]) => boolean = () => true, timeoutMs?: number) {
    return this.waitFor(
      'assignment',
      () => this.partitions !== undefined && accept(this.partitions),
      timeoutMs,
    );
  }

  /** Sends SIGKILL and waits for the end. */
  async kill(): Promise<ProcessorExit> {
    this.signal('SIGCONT');
    this.signal('SIGKILL');
    return this.exited;
  }

  /** Sends SIGTERM and waits for a graceful end. */
  async terminate(): Promise<ProcessorExit> {
    this.signal('SIGCONT');
    this.signal('SIGTERM');
    return this.exited;
  }

  #tail(): string {
    const last = this.lines.slice(-5).map((line) => JSON.stringify(line));
    return `\nstdout: ${last.join('\n')}\nstderr: ${this.stderr.slice(-10).join('\n')}`;
  }

  #wake(): void {
    const watchers = this.#watchers;
    this.#watchers = [];
    for (const watcher of watchers) watcher();
  }
}

/** Starts a processor child; call `kill()` or `terminate()` (or let the test's `after` do it). */
export function startProcessorProcess(options: ProcessorProcessOptions): ProcessorProcess {
  return new ProcessorProcess(options);
}
