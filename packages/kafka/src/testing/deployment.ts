import type { TestContext } from 'node:test';
import { createAdmin, type KafkaConnection } from '../client.ts';
import { ensureTopics, sluiceTopics, type TopicNames, topicNames } from '../topics.ts';

/** A deployment's topics under a prefix of its own, deleted when the test ends. */
export interface TestDeployment {
  readonly prefix: string;
  readonly topics: TopicNames;
  readonly connection: KafkaConnection;
  readonly partitions: number;
  /** Runs `close` at teardown before the topics are deleted (last registered, first run). */
  defer(close: () => Promise<unknown> | unknown): void;
}

/** Creates the topics of a fresh deployment for one test. */
export async function testDeployment(
  t: TestContext,
  options: { brokers: string[]; prefix: string; aggregateTypes: readonly string[]; partitions?: number },
): Promise<TestDeployment> {
  const connection: KafkaConnection = { brokers: options.brokers, clientId: `${options.prefix}test` };
  const partitions = options.partitions ?? 4;
  const specs = sluiceTopics({ prefix: options.prefix, aggregateTypes: options.aggregateTypes, partitions });
  const admin = createAdmin(connection);
  await ensureTopics(admin, specs);
  // node:test runs after-hooks in registration order; clients made later must close before deletion.
  const closers: (() => Promise<unknown> | unknown)[] = [];
  t.after(async () => {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
    await admin.deleteTopics({ topics: specs.map((spec) => spec.name) }).catch(() => undefined);
    await admin.close();
  });
  return {
    prefix: options.prefix,
    topics: topicNames(options.prefix),
    connection,
    partitions,
    defer: (close) => closers.push(close),
  };
}
