import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import { type CommandResult, type Decider, decodeCommandResult } from '@sluice/core';
import { shopCommands, shopDeciders } from '@sluice/orders/domain';
import { testBrokers, uniqueName } from '@sluice/testing';
import { createProducer, type KafkaConnection } from '../client.ts';
import { PartitionReader, tpKey } from '../partition-reader.ts';
import { partitionForKey } from '../partitioning.ts';
import { CommandProcessor } from '../processor/command-processor.ts';
import type { CommandProcessorOptions } from '../processor/processor-options.ts';
import { type TestDeployment, testDeployment } from './deployment.ts';
import { type EventView, eventViews, resultsById } from './exactly-once.ts';
import {
  type ProcessorProcess,
  type ProcessorProcessOptions,
  startProcessorProcess,
} from './processor-process.ts';
import { readBoth } from './topic-oracle.ts';

/** The aggregate types the processor child serves (booking and shop). */
export const CHILD_AGGREGATES = ['show', 'user', 'order'] as const;

/** A command as a plain client writes it to `commands`. */
export interface RawCommand {
  readonly key?: string;
  readonly partition?: number;
  readonly value: string | Buffer;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A fresh deployment (4 partitions unless told) for the booking and shop aggregates. */
export function commandSide(t: TestContext, partitions = 4): Promise<TestDeployment> {
  return testDeployment(t, {
    brokers: testBrokers(),
    prefix: `${uniqueName('eo')}.`,
    aggregateTypes: CHILD_AGGREGATES,
    partitions,
  });
}

/** Starts a processor child on the deployment, killed when the test ends if still running. */
export function startChild(
  t: TestContext,
  deployment: TestDeployment,
  options: Partial<ProcessorProcessOptions> = {},
): ProcessorProcess {
  const child = startProcessorProcess({
    brokers: deployment.connection.brokers,
    prefix: deployment.prefix,
    partitions: deployment.partitions,
    instanceId: uniqueName('instance'),
    ...options,
  });
  t.after(() => child.kill());
  return child;
}

/** `count` UpdateUser commands over `users` users, each with its own command id, keyed by user. */
export function updateUserCommands(count: number, users: number): (RawCommand & { commandId: string })[] {
  return Array.from({ length: count }, (_, i) => {
    const userId = String((i % users) + 1);
    const commandId = randomUUID();
    const value = JSON.stringify({ type: 'UpdateUser', userId, newName: `name-${i}`, commandId });
    return { key: userId, value, commandId };
  });
}

/** An UpdateUser command keyed by its user, as a plain client writes it. */
export function renameUser(
  userId: string,
  newName: string,
  commandId: string = randomUUID(),
): RawCommand & { commandId: string } {
  return {
    key: userId,
    commandId,
    value: JSON.stringify({ type: 'UpdateUser', userId, newName, commandId }),
  };
}

/** Writes commands with {@link produceCommands} and waits for all their results. */
export async function sendAndAwaitResults(
  deployment: TestDeployment,
  commands: readonly (RawCommand & { commandId: string })[],
): Promise<Map<string, CommandResult>> {
  const { connection, topics, partitions } = deployment;
  await produceCommands(connection, topics.commands, commands, partitions);
  return waitForResults(
    connection,
    topics.commandResults,
    commands.map((c) => c.commandId),
  );
}

/** Writes commands as a plain client would (no reply-to: results go to partition 0), in order. */
export async function produceCommands(
  connection: KafkaConnection,
  topic: string,
  commands: readonly RawCommand[],
  partitions: number,
): Promise<void> {
  const producer = createProducer(connection);
  try {
    for (let i = 0; i < commands.length; i += 1_000) {
      await producer.send({
        messages: commands.slice(i, i + 1_000).map((c) => ({
          topic,
          partition: c.partition ?? (c.key === undefined ? 0 : partitionForKey(c.key, partitions)),
          ...(c.key === undefined ? {} : { key: Buffer.from(c.key) }),
          value: Buffer.from(c.value),
          headers: new Map(Object.entries(c.headers ?? {}).map(([k, v]) => [k, Buffer.from(v)])),
        })),
      });
    }
  } finally {
    await producer.close();
  }
}

/** Waits until `command-results` partition 0 holds results for all these ids (read_committed). */
export async function waitForResults(
  connection: KafkaConnection,
  topic: string,
  commandIds: Iterable<string>,
  timeoutMs = 90_000,
): Promise<Map<string, CommandResult>> {
  const missing = new Set(commandIds);
  const seen = new Map<string, CommandResult>();
  const reader = new PartitionReader({ connection, maxWaitMs: 200 });
  const deadline = Date.now() + timeoutMs;
  let offset = 0n;
  try {
    while (missing.size > 0) {
      if (Date.now() > deadline)
        throw new Error(`${missing.size} commands still without a result, e.g. ${[...missing][0]}`);
      const round = await reader.fetch([{ topic, partition: 0, offset }]);
      for (const record of round.records) {
        const result = record.value ? decodeCommandResult(record.value.toString()) : undefined;
        if (!result) continue;
        seen.set(result.commandId, result);
        missing.delete(result.commandId);
      }
      offset = round.next.get(tpKey(topic, 0)) ?? offset;
    }
  } finally {
    await reader.close();
  }
  return seen;
}

/** Results and events as both readers see them (asserting that they agree). */
export async function readOutcome(
  deployment: TestDeployment,
  aggregateTypes: readonly string[],
): Promise<{ results: Map<string, CommandResult[]>; events: Map<string, EventView[]> }> {
  const { connection, topics } = deployment;
  const results = resultsById(await readBoth(connection, topics.commandResults));
  const events = new Map<string, EventView[]>();
  for (const type of aggregateTypes)
    events.set(type, eventViews(await readBoth(connection, topics.events(type))));
  return { results, events };
}

/** A shop CommandProcessor in this process on the deployment, stopped when the test ends. */
export function startShopProcessor(
  deployment: TestDeployment,
  options: Partial<CommandProcessorOptions> = {},
): CommandProcessor {
  const processor = new CommandProcessor({
    connection: deployment.connection,
    registry: shopCommands,
    deciders: new Map(Object.entries(shopDeciders)) as Map<string, Decider<unknown>>,
    instanceId: uniqueName('instance'),
    topicPrefix: deployment.prefix,
    partitions: deployment.partitions,
    ...options,
  });
  processor.start().catch((error: unknown) => assert.fail(`processor stopped: ${String(error)}`));
  deployment.defer(() => processor.stop());
  return processor;
}
