import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { LocalKafkaNode } from '@sluice/local-kafka';
import { requireKafka, requirePostgres } from '@sluice/testing';
import type { UserLoad } from './support/load.ts';
import { ownKafkaDeployment, transactionCoordinator, waitForFullIsr } from './support/own-kafka.ts';
import { writeRow } from './support/results.ts';
import { startLoadRig } from './support/rig.ts';
import { SupervisedProcessor } from './support/supervisor.ts';

const RATE = 300;

/** Waits until both the load and the processor made `count` more commands of progress. */
async function progressed(load: UserLoad, processor: SupervisedProcessor, count: number): Promise<void> {
  const committed = processor.committedCommands;
  await load.until(load.sent + count, 240_000);
  await processor.waitForCommitted(committed + count);
}

/** A fault on a node while load runs, then the node back; producer and projector are never restarted. */
async function outage(
  load: UserLoad,
  processor: SupervisedProcessor,
  node: LocalKafkaNode,
  how: 'stop' | 'kill',
): Promise<void> {
  await progressed(load, processor, 500);
  await (how === 'stop' ? node.stop() : node.kill());
  await node.restart();
  await progressed(load, processor, 1_000);
}

/** The processor rides out the outage itself: a failed fetch stream or barrier is retried, never fatal. */
async function processorSurvived(t: TestContext, processor: SupervisedProcessor): Promise<void> {
  await t.test('the processor recovered without a restart of its own', () => {
    assert.deepEqual(processor.exits, []);
  });
}

test('the single broker restarted during load: nothing lost, nothing applied twice', async (t) => {
  if (!requireKafka(t) || !requirePostgres(t)) return;
  const started = Date.now();
  const { kafka, deployment } = await ownKafkaDeployment(t, { brokers: 1, port: 28000 });
  const rig = await startLoadRig(t, deployment, { scenario: 'broker', rate: RATE, users: 500 });
  const processor = new SupervisedProcessor(t, deployment);
  const node = kafka.nodes[0]!;
  await outage(rig.load, processor, node, 'stop');
  await outage(rig.load, processor, node, 'kill');
  const verdict = await rig.finish();
  await processor.terminate();
  await processorSurvived(t, processor);
  writeRow({
    id: '3-single-broker-restart',
    scenario: 'single broker restarted',
    load: `UpdateUser at ${RATE}/s over 500 users, 4 partitions`,
    faults: 'broker stopped (SIGTERM) and restarted, then killed (SIGKILL) and restarted',
    accepted: verdict.accepted,
    lost: verdict.lost,
    duplicated: verdict.duplicated,
    seconds: Math.round((Date.now() - started) / 1000),
    notes: `producer and projector kept running (${rig.producer.retries} produce retries); processor exits restarted by the supervisor: ${processor.exits.length}`,
  });
});

// Once a stall (#15): the group coordinator died and the client kept sending TxnOffsetCommit to it
// (packages/kafka/PATCHES.md, "TxnOffsetCommit goes to a group coordinator that moved").
test('three brokers (RF 3, min ISR 2): a broker, then the transaction coordinator, killed during load', async (t) => {
  if (!requireKafka(t) || !requirePostgres(t)) return;
  const started = Date.now();
  const { kafka, deployment } = await ownKafkaDeployment(t, { brokers: 3, port: 28100 });
  const rig = await startLoadRig(t, deployment, { scenario: 'cluster', rate: RATE, users: 500 });
  const processor = new SupervisedProcessor(t, deployment);
  await processor.current.waitForAssignment(undefined, 120_000);
  const transactionalId = `${deployment.prefix}processor-${processor.current.instanceId}`;
  const first = await transactionCoordinator(kafka, deployment.connection, transactionalId);
  const bystander = kafka.nodes.find((node) => node.id !== first.id)!;
  const topics = [deployment.topics.commands, deployment.topics.events('user')];

  await outage(rig.load, processor, bystander, 'kill');
  await waitForFullIsr(kafka, topics);
  // Ask again: the coordinator may have moved while the first node was away.
  const coordinator = await transactionCoordinator(kafka, deployment.connection, transactionalId);
  await outage(rig.load, processor, coordinator, 'kill');
  await waitForFullIsr(kafka, topics);
  const verdict = await rig.finish();
  await processor.terminate();
  await processorSurvived(t, processor);
  writeRow({
    id: '4-three-brokers',
    scenario: 'three brokers: one killed, then the transaction coordinator killed',
    load: `UpdateUser at ${RATE}/s over 500 users, 4 partitions, RF 3, min ISR 2, acks all`,
    faults: `SIGKILL of broker ${bystander.id} and restart; SIGKILL of the coordinator (broker ${coordinator.id}) and restart`,
    accepted: verdict.accepted,
    lost: verdict.lost,
    duplicated: verdict.duplicated,
    seconds: Math.round((Date.now() - started) / 1000),
    notes: `${rig.producer.retries} produce retries; processor exits restarted by the supervisor: ${processor.exits.length}`,
  });
});
