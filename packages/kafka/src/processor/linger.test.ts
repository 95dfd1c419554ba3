// The processor's linger is the broker's: a fetch waits for a batch's worth of commands or `lingerMs`,
// so commands that trickle in within it share one transaction, and without a linger they do not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createProducer } from '../client.ts';
import { partitionForKey } from '../partitioning.ts';
import {
  commandSide,
  renameUser,
  sendAndAwaitResults,
  startShopProcessor,
  updateUserCommands,
  waitForResults,
} from '../testing/command-fixture.ts';
import type { TestDeployment } from '../testing/deployment.ts';

/** Sends ten commands 30 ms apart, one produce request each; returns the batches they all went in. */
async function trickle(deployment: TestDeployment, lingerMs: number): Promise<number[]> {
  const batches: number[] = [];
  startShopProcessor(deployment, { lingerMs, onBatch: (stats) => batches.push(stats.commands) });
  // Once the first result is back the processor is assigned and fetching.
  await sendAndAwaitResults(deployment, [renameUser('1', 'warm')]);
  batches.length = 0;
  const commands = updateUserCommands(10, 5);
  const producer = createProducer(deployment.connection);
  try {
    for (const command of commands) {
      await producer.send({
        messages: [
          {
            topic: deployment.topics.commands,
            partition: partitionForKey(command.key!, deployment.partitions),
            key: Buffer.from(command.key!),
            value: Buffer.from(command.value),
          },
        ],
      });
      await sleep(30);
    }
  } finally {
    await producer.close();
  }
  const { connection, topics } = deployment;
  await waitForResults(connection, topics.commandResults, [commands.at(-1)!.commandId]);
  assert.equal(
    batches.reduce((sum, n) => sum + n, 0),
    10,
    `batches ${batches}`,
  );
  return batches;
}

test('commands that trickle in within the linger share a transaction', async (t) => {
  const batches = await trickle(await commandSide(t, 2), 3_000);
  // The ten sends take ~0.3 s: all in one fetch's wait, or two when one wait ends among them.
  assert.ok(batches.length <= 2, `ten commands in ${batches.length} batches: ${batches}`);
});

test('without a linger each fetch is a batch: commands 30 ms apart go one by one', async (t) => {
  const batches = await trickle(await commandSide(t, 2), 0);
  assert.ok(batches.length >= 5, `ten commands in ${batches.length} batches: ${batches}`);
});
