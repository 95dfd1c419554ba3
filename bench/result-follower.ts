// The reading half of `ResultWatcher`, in a worker thread: follows partition 0 of `command-results`
// (read_committed) from its end when the worker started, which it posts once it knows it (`'ready'`);
// it then counts the results (records with a value) and posts after each fetch round that brought
// some: the count, when the first and the last of them arrived (epoch ms), and the latencies of the
// results somebody said it waits for (`expect` messages from the parent).
import { parentPort, workerData } from 'node:worker_threads';
import { decodeCommandResult } from '@sluice/core';
import { type KafkaConnection, PartitionReader, tpKey } from '@sluice/kafka';
import { epochNow } from './clock.ts';

/** What the worker is given. */
export interface FollowerStart {
  readonly connection: KafkaConnection;
  readonly topic: string;
}

/** What the parent sends it. */
export type FollowerRequest =
  | { readonly kind: 'expect'; readonly commandId: string; readonly sentAt: number }
  | { readonly kind: 'stop' };

/** What it posts after its first message, `'ready'`. */
export interface FollowerProgress {
  readonly count: number;
  readonly firstAt: number;
  readonly lastAt: number;
  /** Latencies (ms) of awaited results seen in this round. */
  readonly latencies: number[];
}

const { connection, topic } = workerData as FollowerStart;
const reader = new PartitionReader({ connection, maxWaitMs: 20, partitionMaxBytes: 8 * 1024 * 1024 });
const awaiting = new Map<string, number[]>();
let stopped = false;
parentPort!.on('message', (request: FollowerRequest) => {
  if (request.kind === 'stop') stopped = true;
  else {
    const queue = awaiting.get(request.commandId);
    if (queue) queue.push(request.sentAt);
    else awaiting.set(request.commandId, [request.sentAt]);
  }
});

const key = tpKey(topic, 0);
let [offset = 0n] = await reader.endOffsets(topic);
parentPort!.postMessage('ready');
let count = 0;
let firstAt = 0;
let lastAt = 0;
while (!stopped) {
  const round = await reader.fetch([{ topic, partition: 0, offset }]);
  const at = epochNow();
  const latencies: number[] = [];
  for (const record of round.records) {
    if (!record.value) continue;
    if (count++ === 0) firstAt = at;
    lastAt = at;
    // Decoded only while latencies are awaited: in a drain this thread's CPU is taken from the two
    // cores the processor and the broker share (the readback checks every result afterwards).
    if (awaiting.size === 0) continue;
    const result = decodeCommandResult(record.value.toString());
    if (!result) continue;
    const queue = awaiting.get(result.commandId);
    const sentAt = queue?.shift();
    if (sentAt !== undefined) latencies.push(at - sentAt);
    if (queue?.length === 0) awaiting.delete(result.commandId);
  }
  offset = round.next.get(key) ?? offset;
  if (round.records.length > 0)
    parentPort!.postMessage({ count, firstAt, lastAt, latencies } satisfies FollowerProgress);
}
await reader.close();
parentPort!.close();
