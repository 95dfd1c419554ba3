import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { consoleConsume, consoleProduce, createTopic } from './console-tools.ts';
import { BrokerExitedError, PortInUseError } from './errors.ts';
import { fetchMetadata } from './kafka-wire.ts';
import { openLocalKafka, startLocalKafka } from './local-kafka.ts';

// Ports of their own: not the dev broker (9092), the test broker (19092) or the shared one (39092).
const LIFECYCLE_PORT = 29192;
const EXIT_PORT = 29196;
const TAKEN_PORT = 29200;

async function temporaryDataDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-local-kafka-'));
  t.after(async () => {
    await openLocalKafka({ dataDir: dir })
      .stop()
      .catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

test('a single node answers metadata, keeps its data across a restart and is reused while it runs', async (t) => {
  const dataDir = await temporaryDataDir(t);
  const progress: string[] = [];
  const kafka = await startLocalKafka({ dataDir, port: LIFECYCLE_PORT, onProgress: (m) => progress.push(m) });
  assert.deepEqual(kafka.brokers, [`localhost:${LIFECYCLE_PORT}`]);
  assert.equal(kafka.started, true);
  assert.ok(progress.some((m) => m.startsWith('Formatting storage of node 1')));
  assert.ok(progress.at(-1)?.includes('ready on'));
  const node = kafka.nodes[0]!;
  assert.ok(node.isRunning());
  const pid = node.pid();
  assert.ok(pid !== undefined && pid > 0);

  const metadata = await fetchMetadata('127.0.0.1', LIFECYCLE_PORT);
  assert.deepEqual(metadata.brokers, [{ nodeId: 1, host: 'localhost', port: LIFECYCLE_PORT }]);

  const topic = 'local-kafka-kept';
  await createTopic({ brokers: kafka.brokers, topic, partitions: 2 });
  const records = [
    {
      key: 'order-1',
      value: '{"type":"OrderPlaced","price":499}',
      headers: { 'sluice-type': 'OrderPlaced' },
    },
    { key: null, value: 'plain text, no key' },
  ];
  await consoleProduce({ brokers: kafka.brokers, topic, records });
  const written = await consoleConsume({ brokers: kafka.brokers, topic, maxMessages: 2 });
  assert.deepEqual(
    written.map((r) => [r.key, r.value, r.headers]).sort(),
    records.map((r) => [r.key, r.value, r.headers ?? {}]).sort(),
  );
  assert.ok(written.every((r) => r.offset === 0n || r.offset === 1n));

  await kafka.stop();
  assert.equal(node.isRunning(), false);
  assert.equal(node.pid(), undefined);
  await assert.rejects(fetchMetadata('127.0.0.1', LIFECYCLE_PORT));

  progress.length = 0;
  const again = await startLocalKafka({ dataDir, port: LIFECYCLE_PORT, onProgress: (m) => progress.push(m) });
  assert.equal(again.started, true);
  assert.ok(!progress.some((m) => m.startsWith('Formatting')), 'storage is formatted only once');
  const after = await fetchMetadata('127.0.0.1', LIFECYCLE_PORT, { topics: [topic] });
  assert.equal(after.topics[0]?.errorCode, 0);
  assert.equal(after.topics[0]?.partitions.length, 2);
  const reread = await consoleConsume({ brokers: again.brokers, topic, maxMessages: 2 });
  assert.deepEqual(reread, written);

  const reused = await startLocalKafka({ dataDir });
  assert.equal(reused.started, false);
  assert.equal(reused.nodes[0]?.pid(), again.nodes[0]?.pid());
  assert.deepEqual(reused.brokers, again.brokers);
});

test('a broker that exits while starting fails with BrokerExitedError and the end of its log', async (t) => {
  const dataDir = await temporaryDataDir(t);
  const kafka = await startLocalKafka({ dataDir, port: EXIT_PORT });
  await kafka.stop();
  // A node id that no longer matches the storage makes Kafka refuse to start.
  const meta = join(dataDir, 'node-1', 'data', 'meta.properties');
  await writeFile(meta, (await readFile(meta, 'utf8')).replace(/node\.id=1/, 'node.id=7'));

  const error = await startLocalKafka({ dataDir }).then(
    () => assert.fail('start should fail'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof BrokerExitedError, String(error));
  assert.equal(error.code, 'BROKER_EXITED');
  assert.match(error.logTail, /Stored node id 7 doesn't match previous node id 1/);
  assert.equal(kafka.nodes[0]?.isRunning(), false);
});

test('a port held by another process fails with PortInUseError before anything starts', async (t) => {
  const dataDir = await temporaryDataDir(t);
  for (const taken of [TAKEN_PORT, TAKEN_PORT + 1]) {
    const server = await listen(taken);
    try {
      const error = await startLocalKafka({ dataDir, port: TAKEN_PORT }).then(
        () => assert.fail('start should fail'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof PortInUseError, String(error));
      assert.equal(error.code, 'PORT_IN_USE');
      assert.equal(error.port, taken);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }
  assert.equal(openLocalKafka({ dataDir }).nodes[0]?.isRunning(), false);
});

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
