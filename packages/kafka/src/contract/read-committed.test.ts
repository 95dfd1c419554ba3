/**
 * Contract: a read_committed consumer of @platformatic/kafka (as patched, see PATCHES.md) delivers
 * exactly what Kafka's Java consumer delivers, whatever the mix of aborted and committed
 * transactions and wherever the fetch responses end.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { Admin } from '@platformatic/kafka';
import { consoleConsume } from '@sluice/local-kafka';
import { requireKafka, testBrokers, uniqueName } from '@sluice/testing';
import {
  awaitStableEnd,
  type DeliveredRecord,
  endsInsideAbortedTransaction,
  PARTITION,
  readCommitted,
  type ScriptStep,
  writeScript,
} from './transactional-log.ts';

/** Creates a one-partition topic for this test and deletes it afterwards; null when there is no broker. */
async function topicFor(t: TestContext, prefix: string): Promise<{ admin: Admin; topic: string } | null> {
  if (!requireKafka(t)) return null;
  const admin = new Admin({ clientId: prefix, bootstrapBrokers: testBrokers() });
  const topic = uniqueName(prefix);
  await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
  t.after(async () => {
    await admin.deleteTopics({ topics: [topic] });
    await admin.close();
  });
  return { admin, topic };
}

const transaction = (
  producer: number,
  name: string,
  count: number,
  end: 'commit' | 'abort',
): ScriptStep[] => [
  ...Array.from(
    { length: count },
    (_, i): ScriptStep => ({ producer, action: 'send', value: `${name}${i + 1}` }),
  ),
  { producer, action: end },
];

/** What the Java console consumer delivers from the partition, read_committed. */
async function oracle(topic: string): Promise<DeliveredRecord[]> {
  const records = await consoleConsume({
    brokers: testBrokers(),
    topic,
    isolationLevel: 'read_committed',
    partition: PARTITION,
    fromBeginning: true,
    timeoutMs: 3000,
  });
  return records.map(({ offset, key, value }) => ({ offset, key, value }));
}

const values = (records: readonly DeliveredRecord[]): (string | null)[] => records.map((r) => r.value);

test('one producer aborts A, aborts B, commits C: only C is delivered, as the Java consumer does', async (t) => {
  const fixture = await topicFor(t, 'rc-abort-abort-commit');
  if (!fixture) return;
  const { admin, topic } = fixture;
  await writeScript(testBrokers(), topic, [
    ...transaction(0, 'A', 3, 'abort'),
    ...transaction(0, 'B', 3, 'abort'),
    ...transaction(0, 'C', 3, 'commit'),
  ]);
  const end = await awaitStableEnd(admin, topic);

  const { delivered } = await readCommitted(testBrokers(), topic, end);

  assert.deepEqual(values(delivered), ['C1', 'C2', 'C3']);
  assert.deepEqual(delivered, await oracle(topic));
});

test('a response that ends between aborted records and their marker leaks nothing into the next fetch', async (t) => {
  const fixture = await topicFor(t, 'rc-split-response');
  if (!fixture) return;
  const { admin, topic } = fixture;
  await writeScript(testBrokers(), topic, [
    ...transaction(0, 'A', 3, 'abort'),
    ...transaction(0, 'B', 3, 'abort'),
    ...transaction(0, 'C', 3, 'commit'),
  ]);
  const end = await awaitStableEnd(admin, topic);

  // The broker always returns at least one whole batch, so tiny limits cut responses after any batch.
  const { delivered, fetches } = await readCommitted(testBrokers(), topic, end, 150);

  assert.ok(
    fetches.some(endsInsideAbortedTransaction),
    `no response ended inside an aborted transaction: ${JSON.stringify(fetches, (_, v) => (typeof v === 'bigint' ? `${v}` : v))}`,
  );
  assert.deepEqual(values(delivered), ['C1', 'C2', 'C3']);
  assert.deepEqual(delivered, await oracle(topic));
});

test('interleaved producers: only committed records, each producer in its own order', async (t) => {
  const fixture = await topicFor(t, 'rc-interleaved');
  if (!fixture) return;
  const { admin, topic } = fixture;
  const aborting = transaction(0, 'X', 4, 'abort');
  const committing = transaction(1, 'Y', 4, 'commit');
  // X1 Y1 X2 Y2 X3 Y3 X4 Y4, then X aborts while Y is still open, then Y commits
  const steps = aborting.flatMap((step, i) => [step, committing[i]]).filter((s) => s !== undefined);
  const committed = await writeScript(testBrokers(), topic, steps);
  const end = await awaitStableEnd(admin, topic);

  const { delivered } = await readCommitted(testBrokers(), topic, end, 200);

  assert.deepEqual(committed, ['Y1', 'Y2', 'Y3', 'Y4']);
  assert.deepEqual(values(delivered), committed);
  assert.deepEqual(delivered, await oracle(topic));
});

test('random transactions from two producers and random fetch sizes: identical to the Java consumer', async (t) => {
  const seed = Number(process.env.READ_COMMITTED_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const runs = Number(process.env.READ_COMMITTED_RUNS ?? 3);
  const random = mulberry32(seed);
  for (let run = 0; run < runs; run++) {
    await t.test(`run ${run} (READ_COMMITTED_SEED=${seed})`, async (t) => {
      const fixture = await topicFor(t, `rc-random-${run}`);
      if (!fixture) return;
      const { admin, topic } = fixture;
      const steps = randomScript(random);
      const committed = await writeScript(testBrokers(), topic, steps);
      const end = await awaitStableEnd(admin, topic);
      const maxBytes = [1, 120, 300, 1_000, 1_048_576][Math.floor(random() * 5)] ?? 1;

      const { delivered } = await readCommitted(testBrokers(), topic, end, maxBytes);

      const context = `seed ${seed} run ${run} maxBytes ${maxBytes} script ${JSON.stringify(steps)}`;
      assert.deepEqual(values(delivered), committed, context);
      assert.deepEqual(delivered, await oracle(topic), context);
    });
  }
});

/**
 * Up to 6 transactions per producer (1 to 4 records, committed or aborted at random), the two
 * producers' steps interleaved at random, each producer's own order kept.
 */
function randomScript(random: () => number): ScriptStep[] {
  const perProducer = [0, 1].map((producer) =>
    Array.from({ length: 1 + Math.floor(random() * 6) }, (_, txn) =>
      transaction(
        producer,
        `p${producer}t${txn}r`,
        1 + Math.floor(random() * 4),
        random() < 0.5 ? 'abort' : 'commit',
      ),
    ).flat(),
  );
  const script: ScriptStep[] = [];
  const [first = [], second = []] = perProducer;
  let i = 0;
  let j = 0;
  while (i < first.length || j < second.length) {
    const takeFirst = j >= second.length || (i < first.length && random() < 0.5);
    const step = takeFirst ? first[i++] : second[j++];
    if (step) script.push(step);
  }
  return script;
}

/** A small seeded PRNG, so a failing run can be replayed from its seed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}
