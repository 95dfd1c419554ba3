/**
 * Reading a deployment's output back, read_committed, for the checks: the command results and the
 * user events, each partition in offset order up to its last stable offset.
 */
import { decodeCommandResult, Headers } from '@sluice/core';
import {
  type FetchedRecord,
  type KafkaConnection,
  PartitionReader,
  type TopicNames,
  tpKey,
} from '@sluice/kafka';
import { allHold, type CheckReport, type Ledger, type SeenEvent, type SeenResult } from './job.ts';

/** Calls `onRecords` with every record of the topic, from its start to its current last stable offset. */
export async function readToEnd(
  connection: KafkaConnection,
  topic: string,
  onRecords: (records: readonly FetchedRecord[]) => void,
  partitionMaxBytes = 8 * 1024 * 1024,
): Promise<number> {
  const reader = new PartitionReader({ connection, maxWaitMs: 50, partitionMaxBytes });
  try {
    const [starts, ends] = [await reader.startOffsets(topic), await reader.endOffsets(topic)];
    const positions = new Map(starts.map((offset, partition) => [partition, offset]));
    let count = 0;
    for (;;) {
      const open = [...positions].filter(([partition, offset]) => offset < (ends[partition] ?? 0n));
      if (open.length === 0) return count;
      const round = await reader.fetch(open.map(([partition, offset]) => ({ topic, partition, offset })));
      count += round.records.length;
      onRecords(round.records);
      for (const [partition, offset] of open)
        positions.set(partition, round.next.get(tpKey(topic, partition)) ?? offset);
    }
  } finally {
    await reader.close();
  }
}

/** Every command result in the deployment's `command-results`. */
export async function readResults(connection: KafkaConnection, topics: TopicNames): Promise<SeenResult[]> {
  const results: SeenResult[] = [];
  await readToEnd(connection, topics.commandResults, (records) => {
    for (const record of records) {
      const result = record.value ? decodeCommandResult(record.value.toString()) : undefined;
      if (result) results.push(result);
    }
  });
  return results;
}

/** Every user event, each partition in offset order. */
export async function readUserEvents(connection: KafkaConnection, topics: TopicNames): Promise<SeenEvent[]> {
  const byPartition = new Map<number, SeenEvent[]>();
  await readToEnd(connection, topics.events('user'), (records) => {
    for (const record of records) {
      const list = byPartition.get(record.partition) ?? [];
      byPartition.set(record.partition, list);
      list.push({
        userId: record.key?.toString() ?? '',
        version: Number(record.headers.get(Headers.version)?.toString()),
        commandId: record.headers.get(Headers.commandId)?.toString() ?? '',
        partition: record.partition,
        offset: String(record.offset),
      });
    }
  });
  return [...byPartition.values()].flat();
}

/** Reads the deployment back and checks it against the ledger; logs the verdict on stderr. */
export async function checkDeployment(
  connection: KafkaConnection,
  topics: TopicNames,
  ledger: Ledger,
  log: (line: string) => void,
): Promise<CheckReport> {
  const report = ledger.check(
    await readResults(connection, topics),
    await readUserEvents(connection, topics),
  );
  log(`checks: ${allHold(report) ? 'all hold' : JSON.stringify(report)}`);
  return report;
}
