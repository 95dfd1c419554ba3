import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { BrokerExitedError, BrokerStartTimeoutError, PortInUseError } from './errors.ts';
import { fetchMetadata } from './kafka-wire.ts';
import {
  type ClusterLayout,
  type NodeLayout,
  nodeFiles,
  QUIET_LOG4J2,
  serverProperties,
} from './node-config.ts';
import { lastLines, runKafkaTool } from './process-run.ts';

/** One Kafka node (broker and controller) of a local cluster. */
export interface LocalKafkaNode {
  id: number;
  port: number;
  bootstrap: string;
  /** Pid of the running node, or undefined when it is not running. */
  pid(): number | undefined;
  isRunning(): boolean;
  /** Graceful stop: SIGTERM, then waits (SIGKILL after 30 s). */
  stop(): Promise<void>;
  /** Hard crash: SIGKILL, then waits until the process is gone. */
  kill(): Promise<void>;
  /** Stops the node if it runs, starts it and waits until it serves metadata with every broker. */
  restart(): Promise<void>;
}

const STOP_GRACE_MS = 30_000;
const START_TIMEOUT_MS = 90_000;

/** A node's process, found through its pid file, so any process can stop what another started. */
export class LocalNode implements LocalKafkaNode {
  readonly id: number;
  readonly port: number;
  readonly bootstrap: string;
  readonly #layout: ClusterLayout;
  readonly #node: NodeLayout;
  readonly #all: NodeLayout[];
  readonly #jarsDir: string;
  readonly #files: ReturnType<typeof nodeFiles>;
  #child: ChildProcess | undefined;

  constructor(layout: ClusterLayout, node: NodeLayout, all: NodeLayout[], jarsDir: string) {
    this.id = node.id;
    this.port = node.port;
    this.bootstrap = `localhost:${node.port}`;
    this.#layout = layout;
    this.#node = node;
    this.#all = all;
    this.#jarsDir = jarsDir;
    this.#files = nodeFiles(node);
  }

  get dir(): string {
    return this.#node.dir;
  }

  get logFile(): string {
    return this.#files.log;
  }

  pid(): number | undefined {
    const pid = this.#pidFromFile();
    return pid !== undefined && isNodeProcess(pid, this.#files.properties) ? pid : undefined;
  }

  isRunning(): boolean {
    return this.pid() !== undefined;
  }

  /** Launches the node unless it already runs; resolves to true when it launched a process. */
  async launch(onProgress: (message: string) => void): Promise<boolean> {
    if (this.isRunning()) return false;
    await this.prepare(onProgress);
    await this.#spawn(onProgress);
    return true;
  }

  /** Checks the ports are free, writes the configuration and formats the storage on first use. */
  async prepare(onProgress: (message: string) => void): Promise<void> {
    for (const port of [this.#node.port, this.#node.controllerPort]) {
      if (!(await isPortFree(port))) throw new PortInUseError(port, this.id);
    }
    await mkdir(this.#files.logDir, { recursive: true });
    await writeFile(this.#files.properties, serverProperties(this.#layout, this.#node, this.#all));
    await writeFile(this.#files.log4j, QUIET_LOG4J2);
    if (!existsSync(this.#files.meta)) {
      onProgress(`Formatting storage of node ${this.id}`);
      await runKafkaTool(
        this.#jarsDir,
        'kafka.tools.StorageTool',
        ['format', '-t', this.#layout.clusterId, '-c', this.#files.properties],
        { jvmOptions: [`-Dlog4j2.configurationFile=${this.#files.log4j}`] },
      );
    }
  }

  async #spawn(onProgress: (message: string) => void): Promise<void> {
    if (existsSync(this.#files.log)) renameSync(this.#files.log, `${this.#files.log}.1`);
    const log = openSync(this.#files.log, 'a');
    try {
      // Own process group and no pipes back to us: the broker outlives the command that started it.
      this.#child = spawn(
        'java',
        [
          '-Xmx512m',
          '-Djava.awt.headless=true',
          `-Dlog4j2.configurationFile=${this.#files.log4j}`,
          '-cp',
          `${this.#jarsDir}/*`,
          'kafka.Kafka',
          this.#files.properties,
        ],
        { cwd: this.#node.dir, detached: true, stdio: ['ignore', log, log] },
      );
    } finally {
      closeSync(log);
    }
    const child = this.#child;
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.unref();
    await writeFile(this.#files.pid, `${child.pid}\n`);
    onProgress(`Started node ${this.id} (pid ${child.pid}) on port ${this.port}`);
  }

  /** True once this node answers a metadata request listing itself and `brokerCount` brokers. */
  async answers(brokerCount: number): Promise<boolean> {
    try {
      const metadata = await fetchMetadata('127.0.0.1', this.port, { topics: [], timeoutMs: 1000 });
      return metadata.brokers.length >= brokerCount && metadata.brokers.some((b) => b.nodeId === this.id);
    } catch {
      return false;
    }
  }

  /** Throws BrokerExitedError (with the end of the log) when the node is no longer running. */
  assertAlive(): void {
    const exited = this.#child !== undefined && this.#child.exitCode !== null;
    if (exited || !this.isRunning()) throw new BrokerExitedError(this.id, this.#files.log, this.logTail());
  }

  /** The last 30 lines of the node's log file. */
  logTail(): string {
    const text = existsSync(this.#files.log) ? lastLines(readFileSync(this.#files.log, 'utf8'), 30) : '';
    return text || '(the log is empty)';
  }

  async stop(): Promise<void> {
    await this.#signal('SIGTERM', STOP_GRACE_MS);
  }

  async kill(): Promise<void> {
    await this.#signal('SIGKILL', 10_000);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.launch(() => {});
    await waitUntilReady([this], this.#all.length);
  }

  async #signal(signal: NodeJS.Signals, graceMs: number): Promise<void> {
    const pid = this.pid();
    if (pid !== undefined) {
      sendSignal(pid, signal);
      const deadline = Date.now() + graceMs;
      while (isNodeProcess(pid, this.#files.properties)) {
        if (Date.now() > deadline) {
          if (signal === 'SIGKILL') throw new Error(`Kafka node ${this.id} (pid ${pid}) survived SIGKILL`);
          sendSignal(pid, 'SIGKILL');
          signal = 'SIGKILL';
        }
        await sleep(100);
      }
      // The JVM's main thread can be a zombie while its other threads still hold the ports: a restart
      // right away met PORT_IN_USE. Wait (bounded) until both ports are free.
      const portsDeadline = Date.now() + graceMs;
      for (const port of [this.#node.port, this.#node.controllerPort])
        while (!(await isPortFree(port)) && Date.now() < portsDeadline) await sleep(100);
    }
    rmSync(this.#files.pid, { force: true });
  }

  #pidFromFile(): number | undefined {
    try {
      const pid = Number.parseInt(readFileSync(this.#files.pid, 'utf8'), 10);
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }
}

/** Waits until every node answers metadata listing `brokerCount` brokers; fails fast if one exits. */
export async function waitUntilReady(
  nodes: LocalNode[],
  brokerCount: number,
  timeoutMs = START_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let waiting = nodes;
  while (waiting.length > 0) {
    for (const node of waiting) node.assertAlive();
    const answers = await Promise.all(waiting.map((node) => node.answers(brokerCount)));
    waiting = waiting.filter((_, index) => !answers[index]);
    if (waiting.length === 0) return;
    if (Date.now() > deadline) {
      const tails = waiting.map((node) => `--- ${node.logFile}\n${node.logTail()}`).join('\n');
      throw new BrokerStartTimeoutError(
        waiting.map((node) => node.id),
        timeoutMs,
        tails,
      );
    }
    await sleep(200);
  }
}

// The process may end between the liveness check and the signal: that is what we wanted anyway.
function sendSignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if (!(error instanceof Error && 'code' in error && error.code === 'ESRCH')) throw error;
  }
}

// A pid file may outlive its process and the pid be reused: only a live (not zombie) java
// process running this node's server.properties counts.
function isNodeProcess(pid: number, propertiesFile: string): boolean {
  if (!existsSync('/proc/self')) {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (!cmdline.includes('kafka.Kafka') || !cmdline.includes(propertiesFile)) return false;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
