import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { type LocalKafka, startLocalKafka } from '@sluice/local-kafka';
import type { KafkaConnection } from '../client.ts';

/**
 * A three-node cluster of the test's own on `port` (and the ports above it), in a temporary directory;
 * stopped and removed when the test ends. For tests that kill brokers.
 */
export async function ownCluster(
  t: TestContext,
  name: string,
  port: number,
): Promise<{ kafka: LocalKafka; connection: KafkaConnection }> {
  const dataDir = await mkdtemp(join(tmpdir(), `sluice-${name}-`));
  const kafka = await startLocalKafka({ dataDir, brokers: 3, port }).catch(async (error: unknown) => {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  });
  t.after(async () => {
    await kafka.stop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  });
  return { kafka, connection: { brokers: kafka.brokers, clientId: `sluice-${name}` } };
}
