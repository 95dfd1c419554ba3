import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ClusterLayoutMismatchError, NoLocalKafkaError } from './errors.ts';
import { KAFKA_VERSION, kafkaCacheDir, kafkaJars, seconds } from './jars.ts';
import { type LocalKafkaNode, LocalNode, waitUntilReady } from './local-node.ts';
import { type ClusterLayout, DEFAULT_PORT, nodeLayouts } from './node-config.ts';
import { requireJava } from './process-run.ts';

/** A local Kafka cluster of one or three KRaft nodes. */
export interface LocalKafka {
  /** Bootstrap addresses, e.g. `['localhost:9092']`. */
  brokers: string[];
  nodes: LocalKafkaNode[];
  dataDir: string;
  jarsDir: string;
  /** True when this call launched at least one node; false when every node was already running. */
  started: boolean;
  /** Stops every node (gracefully, in parallel). */
  stop(): Promise<void>;
}

export interface StartLocalKafkaOptions {
  brokers?: 1 | 3;
  /** Default: `.sluice/kafka` under the current directory. */
  dataDir?: string;
  /** Client port of node 1 (default 9092). */
  port?: number;
  onProgress?: (message: string) => void;
}

/** The data directory used when none is given: `.sluice/kafka` of the current directory. */
export function defaultDataDir(): string {
  return resolve('.sluice', 'kafka');
}

/** Starts (or reuses) a local Kafka cluster and resolves once every broker answers metadata. */
export async function startLocalKafka(options: StartLocalKafkaOptions = {}): Promise<LocalKafka> {
  const began = Date.now();
  const onProgress = options.onProgress ?? (() => {});
  const dataDir = resolve(options.dataDir ?? defaultDataDir());
  await requireJava();
  const jarsDir = await kafkaJars({ onProgress });
  const layout = await loadOrCreateLayout(dataDir, options);
  const nodes = nodeLayouts(layout, dataDir).map((node, _, all) => new LocalNode(layout, node, all, jarsDir));
  const launched: LocalNode[] = [];
  try {
    // Formatting runs a JVM per node: do all nodes at once, then launch them.
    const stopped = nodes.filter((node) => !node.isRunning());
    await Promise.all(stopped.map((node) => node.prepare(onProgress)));
    for (const node of stopped) if (await node.launch(onProgress)) launched.push(node);
    if (launched.length < nodes.length) {
      const reused = nodes.filter((node) => !launched.includes(node)).map((node) => node.id);
      onProgress(`Reusing running node(s) ${reused.join(', ')}`);
    }
    onProgress(
      `Waiting for ${layout.brokers === 1 ? 'the broker' : `all ${layout.brokers} brokers`} to answer`,
    );
    await waitUntilReady(nodes, layout.brokers);
  } catch (error) {
    // Leave nothing half-started behind; nodes that were already running stay as they were.
    await Promise.allSettled(launched.map((node) => node.kill()));
    throw error;
  }
  const kafka = localKafka(dataDir, jarsDir, nodes, launched.length > 0);
  onProgress(`Kafka ${KAFKA_VERSION} ready on ${kafka.brokers.join(',')} in ${seconds(Date.now() - began)}`);
  return kafka;
}

/** The cluster kept in `dataDir` (running or not), without starting anything; for stop and status. */
export function openLocalKafka(options: { dataDir?: string } = {}): LocalKafka {
  const dataDir = resolve(options.dataDir ?? defaultDataDir());
  const layout = readLayout(dataDir);
  if (layout === undefined) throw new NoLocalKafkaError(dataDir);
  const jarsDir = join(kafkaCacheDir(), 'libs');
  const nodes = nodeLayouts(layout, dataDir).map((node, _, all) => new LocalNode(layout, node, all, jarsDir));
  return localKafka(dataDir, jarsDir, nodes, false);
}

function localKafka(dataDir: string, jarsDir: string, nodes: LocalNode[], started: boolean): LocalKafka {
  return {
    brokers: nodes.map((node) => node.bootstrap),
    nodes,
    dataDir,
    jarsDir,
    started,
    async stop() {
      await Promise.all(nodes.map((node) => node.stop()));
    },
  };
}

function layoutFile(dataDir: string): string {
  return join(dataDir, 'cluster.json');
}

function readLayout(dataDir: string): ClusterLayout | undefined {
  if (!existsSync(layoutFile(dataDir))) return undefined;
  return JSON.parse(readFileSync(layoutFile(dataDir), 'utf8')) as ClusterLayout;
}

async function loadOrCreateLayout(dataDir: string, options: StartLocalKafkaOptions): Promise<ClusterLayout> {
  const existing = readLayout(dataDir);
  if (existing !== undefined) {
    const brokers = options.brokers ?? existing.brokers;
    const port = options.port ?? existing.port;
    if (brokers !== existing.brokers || port !== existing.port) {
      throw new ClusterLayoutMismatchError(
        dataDir,
        `${existing.brokers} broker(s) from port ${existing.port}`,
        `${brokers} broker(s) from port ${port}`,
      );
    }
    return existing;
  }
  const layout: ClusterLayout = {
    clusterId: newClusterId(),
    brokers: options.brokers ?? 1,
    port: options.port ?? DEFAULT_PORT,
  };
  await mkdir(dataDir, { recursive: true });
  await writeFile(layoutFile(dataDir), `${JSON.stringify(layout, null, 2)}\n`);
  return layout;
}

// Kafka's Uuid text form: 16 random bytes, base64url. One starting with '-' would read as an option.
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
