// Records/s of the raw @platformatic/kafka transactional producer (through TxnSession) at a given
// number of records per transaction. Usage:
//   node bench/raw-txn-produce.ts [--brokers localhost:9092] [--per-txn 500] [--records 100000] [--size 120]
import { parseArgs } from 'node:util';
import { createAdmin, ensureTopics, TxnSession } from '@sluice/kafka';

const { values } = parseArgs({
  options: {
    brokers: { type: 'string', default: process.env.KAFKA_BROKERS ?? 'localhost:9092' },
    'per-txn': { type: 'string', default: '500' },
    records: { type: 'string', default: '100000' },
    size: { type: 'string', default: '120' },
    partitions: { type: 'string', default: '12' },
  },
});
const connection = { brokers: values.brokers.split(','), clientId: 'sluice-bench' };
const perTxn = Number(values['per-txn']);
const total = Number(values.records);
const partitions = Number(values.partitions);
const topic = `bench-raw-txn-${Date.now()}`;

const admin = createAdmin(connection);
await ensureTopics(admin, [{ name: topic, role: 'events', partitions, configs: {} }]);
const session = new TxnSession({ connection, transactionalId: `${topic}-txn` });
const value = Buffer.alloc(Number(values.size), 0x61);
// Warm-up: registers the transactional id and opens connections.
await session.transact((txn) => txn.send([{ topic, partition: 0, value }]));

const started = performance.now();
let sent = 0;
let i = 0;
while (sent < total) {
  const count = Math.min(perTxn, total - sent);
  await session.transact((txn) =>
    txn.send(
      Array.from({ length: count }, () => ({ topic, partition: i++ % partitions, key: String(i), value })),
    ),
  );
  sent += count;
}
const seconds = (performance.now() - started) / 1000;
const result = {
  rawTxnProducePerSec: Math.round(total / seconds),
  recordsPerTransaction: perTxn,
  records: total,
  recordBytes: value.length,
  partitions,
  transactionsPerSec: Math.round(Math.ceil(total / perTxn) / seconds),
};
console.log(JSON.stringify(result));
await session.close();
await admin.deleteTopics({ topics: [topic] });
await admin.close();
