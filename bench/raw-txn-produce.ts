/**
 * `rawTxnProducePerSec`: records/s of the raw @platformatic/kafka transactional producer (through
 * TxnSession) writing exactly the records of the processor's batches (events, states, checkpoints,
 * results; one send per transaction at the processor's batch size and record sizes), with no
 * consuming and no offsets: the write half of the null processor.
 */
import { type KafkaConnection, TxnSession } from '@sluice/kafka';
import { type BenchContext, deleteTopics } from './deployment.ts';
import { batchRecords, outputTopics, type RecordTemplates } from './null-processor.ts';

/** Writes `sizes.rawCommands` commands' worth of records in transactions of `batch` commands. */
export async function rawTxnProduce(context: BenchContext, templates: RecordTemplates, batch: number) {
  const out = await outputTopics(context, 'raw');
  const connection: KafkaConnection = { brokers: context.brokers, clientId: 'sluice-bench-raw' };
  const session = new TxnSession({ connection, transactionalId: `${out.events}-txn` });
  const total = context.sizes.rawCommands!;
  context.log(`raw: ${total} commands' records, ${batch} commands per transaction`);
  try {
    // Warm-up: registers the transactional id and opens the connections.
    await session.transact((txn) => txn.send([{ topic: out.events, partition: 0, value: 'warm-up' }]));
    let records = 0;
    const started = performance.now();
    for (let done = 0; done < total; done += batch) {
      const commands = Array.from({ length: Math.min(batch, total - done) }, (_, i) => ({
        partition: (done + i) % context.partitions,
        key: templates.event.key,
      }));
      const sent = batchRecords(templates, out, commands);
      records += sent.length;
      await session.transact((txn) => txn.send(sent));
    }
    const seconds = (performance.now() - started) / 1000;
    const figures = {
      recordsPerSec: Math.round(records / seconds),
      commandsPerSec: Math.round(total / seconds),
      records,
      seconds: Number(seconds.toFixed(2)),
      transactionsPerSec: Math.round(Math.ceil(total / batch) / seconds),
    };
    context.log(`raw: ${figures.recordsPerSec} records/s`);
    return figures;
  } finally {
    await session.close().catch(() => undefined);
    await deleteTopics(connection, Object.values(out));
  }
}
