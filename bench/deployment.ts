/** What every benchmark scenario is given, and a deployment of topics of its own. */
import { randomBytes } from 'node:crypto';
import {
  createAdmin,
  createProducer,
  ensureTopics,
  type KafkaConnection,
  sluiceTopics,
  type TopicNames,
  topicNames,
} from '@sluice/kafka';
import { shopCommands } from '@sluice/orders/domain';
import type { JobCommand } from './job.ts';

/** Settings and services shared by the scenarios. */
export interface BenchContext {
  readonly brokers: readonly string[];
  /** Process ids of the brokers this run started (empty with `--brokers`). */
  readonly brokerPids: readonly number[];
  readonly partitions: number;
  readonly sizes: Readonly<Record<string, number>>;
  readonly databaseUrl: string;
  /** A progress line on stderr. */
  log(line: string): void;
}

/** A deployment's topics under a prefix of its own. */
export interface BenchDeployment {
  readonly prefix: string;
  readonly topics: TopicNames;
  readonly connection: KafkaConnection;
  /** Deletes the topics. */
  remove(): Promise<void>;
}

/** Creates the topics of a fresh deployment named after the scenario. */
export async function benchDeployment(context: BenchContext, name: string): Promise<BenchDeployment> {
  const prefix = `bench-${name}-${randomBytes(3).toString('hex')}.`;
  const connection: KafkaConnection = { brokers: context.brokers, clientId: `${prefix}bench` };
  const specs = sluiceTopics({
    prefix,
    aggregateTypes: shopCommands.aggregateTypes(),
    partitions: context.partitions,
  });
  const admin = createAdmin(connection);
  await ensureTopics(admin, specs);
  await admin.close();
  return {
    prefix,
    topics: topicNames(prefix),
    connection,
    remove: () =>
      deleteTopics(
        connection,
        specs.map((spec) => spec.name),
      ),
  };
}

/** Deletes topics, ignoring those already gone. */
export async function deleteTopics(connection: KafkaConnection, topics: readonly string[]): Promise<void> {
  const admin = createAdmin(connection);
  await admin.deleteTopics({ topics: [...topics] }).catch(() => undefined);
  await admin.close();
}

/** Writes job commands to `commands` in produce requests of 5,000 (no reply-to: results go to partition 0). */
export async function preload(deployment: BenchDeployment, commands: readonly JobCommand[]): Promise<void> {
  const producer = createProducer(deployment.connection);
  try {
    for (let i = 0; i < commands.length; i += 5_000) {
      await producer.send({
        messages: commands.slice(i, i + 5_000).map((command) => ({
          topic: deployment.topics.commands,
          partition: command.partition,
          key: command.key,
          value: command.value,
        })),
      });
    }
  } finally {
    await producer.close();
  }
}

/** Latency percentiles (ms) of a list of samples. */
export function percentiles(samples: readonly number[]): { p50: number; p99: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return { p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted.at(-1) ?? Number.NaN) };
}
