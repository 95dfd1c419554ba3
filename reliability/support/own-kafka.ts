import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FindCoordinatorKeyTypes } from '@platformatic/kafka';
import { createAdmin, type KafkaConnection } from '@sluice/kafka';
import { fetchMetadata, type LocalKafka, type LocalKafkaNode, startLocalKafka } from '@sluice/local-kafka';
import { uniqueName } from '@sluice/testing';
import { CHILD_AGGREGATES } from '../../packages/kafka/src/testing/command-fixture.ts';
import { type TestDeployment, testDeployment } from '../../packages/kafka/src/testing/deployment.ts';

/**
 * Brokers of a scenario's own (ports 28000–28199, below the kernel's ephemeral range so that no
 * client connection holds them; never the shared ones) with a fresh deployment on
 * them. The brokers stop, and their data directory goes, after everything else of the test.
 */
export async function ownKafkaDeployment(
  t: TestContext,
  options: { brokers: 1 | 3; port: number },
): Promise<{ kafka: LocalKafka; deployment: TestDeployment }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-reliability-'));
  const stop = async () => {
    await kafka?.stop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  };
  let kafka: LocalKafka | undefined;
  try {
    kafka = await startLocalKafka({ dataDir, brokers: options.brokers, port: options.port });
    const deployment = await testDeployment(t, {
      brokers: kafka.brokers,
      prefix: `${uniqueName('rel')}.`,
      aggregateTypes: CHILD_AGGREGATES,
      partitions: 4,
    });
    // Registered after the deployment's teardown, so clients close and topics go first.
    t.after(stop);
    return { kafka, deployment };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The node that coordinates a transactional id now (FindCoordinator). */
export async function transactionCoordinator(
  kafka: LocalKafka,
  connection: KafkaConnection,
  transactionalId: string,
): Promise<LocalKafkaNode> {
  const admin = createAdmin(connection);
  try {
    const [found] = await admin.findCoordinator({
      keyType: FindCoordinatorKeyTypes.TRANSACTION,
      keys: [transactionalId],
    });
    const node = kafka.nodes.find((candidate) => candidate.id === found?.nodeId);
    if (!node) throw new Error(`no coordinator for ${transactionalId}: ${JSON.stringify(found)}`);
    return node;
  } finally {
    await admin.close();
  }
}

/** Waits until every partition of `topics` has all brokers of the cluster in sync again. */
export async function waitForFullIsr(kafka: LocalKafka, topics: readonly string[], timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  const everyone = kafka.nodes.length;
  for (;;) {
    const node = kafka.nodes.find((candidate) => candidate.isRunning());
    const metadata = node
      ? await fetchMetadata('127.0.0.1', node.port, { topics: [...topics] }).catch(() => undefined)
      : undefined;
    const partitions = metadata?.topics.flatMap((topic) => topic.partitions) ?? [];
    if (partitions.length > 0 && partitions.every((p) => p.isr.length === everyone)) return;
    if (Date.now() > deadline) throw new Error(`ISR not full again within ${timeoutMs} ms`);
    await sleep(500);
  }
}
