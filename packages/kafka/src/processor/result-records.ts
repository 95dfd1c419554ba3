import {
  type CommandResult,
  ErrorCodes,
  encodeCommandResult,
  encodePositionToken,
  positionToken,
} from '@sluice/core';
import type { TopicNames } from '../topics.ts';
import type { OutgoingRecord, TopicPartition } from '../txn-session.ts';
import type { BatchPlan, Outcome } from './batch-plan.ts';
import { type CommandRecord, explicitCommandId, requestedReplyPartition } from './command-record.ts';

/** The `command-results` partition a reply goes to: the one the sender named, if it exists. */
export function replyPartition(replyTo: number, resultPartitions: number): number {
  return replyTo < resultPartitions ? replyTo : 0;
}

/**
 * The partitions a batch written without a forecast writes in its second send (state, results,
 * forwards, dead letters), known before the first: one AddPartitionsToTxn for the whole transaction
 * instead of one per send.
 */
export function laterPartitions(
  plan: BatchPlan,
  topics: TopicNames,
  resultPartitions: number,
): TopicPartition[] {
  const partitions: TopicPartition[] = [];
  for (const partition of plan.checkpoints.keys())
    partitions.push({ topic: topics.processorState, partition });
  for (const { replyTo } of plan.replies)
    partitions.push({ topic: topics.commandResults, partition: replyPartition(replyTo, resultPartitions) });
  for (const { topic, partition } of plan.forwards) partitions.push({ topic, partition });
  for (const { topic, partition } of plan.deadLetters) partitions.push({ topic, partition });
  return partitions;
}

/** The result records of a batch, each with the position of its events once their offsets are known. */
export function resultRecords(
  plan: BatchPlan,
  offsets: readonly bigint[],
  topics: TopicNames,
  resultPartitions: number,
): OutgoingRecord[] {
  return plan.replies.map(({ outcome, replyTo }) => {
    const position = tokenFor(outcome.events, plan.events, offsets) ?? storedToken(outcome);
    const result: CommandResult = position === undefined ? outcome.result : { ...outcome.result, position };
    return {
      topic: topics.commandResults,
      partition: replyPartition(replyTo, resultPartitions),
      key: result.commandId,
      value: encodeCommandResult(result),
    };
  });
}

/**
 * The `INTERNAL_ERROR` result of a command that could not be written (a poison command), when its
 * sender gave it an id: only then can anyone be waiting for it.
 */
export function poisonResult(
  record: CommandRecord,
  message: string,
  topics: TopicNames,
  resultPartitions: number,
): OutgoingRecord | undefined {
  const commandId = explicitCommandId(record);
  if (commandId === undefined) return undefined;
  return {
    topic: topics.commandResults,
    partition: replyPartition(requestedReplyPartition(record.headers), resultPartitions),
    key: commandId,
    value: encodeCommandResult({ commandId, code: ErrorCodes.INTERNAL_ERROR, message }),
  };
}

/** A duplicate's position: that of the first time's events. */
function storedToken(outcome: Outcome): string | undefined {
  const stored = outcome.duplicateOf;
  if (!stored) return undefined;
  const offset = stored.entry.eventOffset;
  if (offset === undefined) return undefined;
  return singleEntryToken(stored.topic, stored.partition, offset);
}

/**
 * `encodePositionToken` of a token with one entry, the same text by node's base64url: a command's
 * events all go to one partition, so its token has one entry (core's encoder is portable and slower).
 */
export function singleEntryToken(topic: string, partition: number, offset: string): string {
  const head = tokenHead(topic, partition);
  // The token's JSON is put together in a scratch buffer, read once as base64url: no string or Buffer
  // is made for it (one per result).
  if (head.length + offset.length + TOKEN_TAIL.length > tokenScratch.length)
    return Buffer.from(`${head.toString()}${offset}"]]}`).toString('base64url');
  head.copy(tokenScratch, 0);
  let at = head.length;
  at += tokenScratch.write(offset, at, 'latin1');
  at += TOKEN_TAIL.copy(tokenScratch, at);
  return tokenScratch.toString('base64url', 0, at);
}

const tokenScratch = Buffer.alloc(512);
const TOKEN_TAIL = Buffer.from('"]]}');
/** The bytes of a one-entry token up to its offset, per events topic and partition (few of each). */
const tokenHeads = new Map<string, Buffer[]>();
const MAX_TOKEN_HEADS = 10_000;
let tokenHeadCount = 0;

function tokenHead(topic: string, partition: number): Buffer {
  let heads = tokenHeads.get(topic);
  let head = heads?.[partition];
  if (head === undefined) {
    head = Buffer.from(`{"v":1,"p":[[${JSON.stringify(topic)},${partition},"`);
    if (tokenHeadCount < MAX_TOKEN_HEADS) {
      if (heads === undefined) {
        heads = [];
        tokenHeads.set(topic, heads);
      }
      heads[partition] = head;
      tokenHeadCount++;
    }
  }
  return head;
}

function tokenFor(indexes: readonly number[], events: readonly OutgoingRecord[], offsets: readonly bigint[]) {
  if (indexes.length === 0) return undefined;
  const first = events[indexes[0] ?? 0];
  const last = indexes[indexes.length - 1] ?? 0;
  if (
    first &&
    indexes.every((i) => events[i]?.topic === first.topic && events[i]?.partition === first.partition)
  )
    // Offsets grow within a partition: the last event's is the highest.
    return singleEntryToken(first.topic, first.partition, String(offsets[last] ?? 0n));
  return encodePositionToken(
    positionToken(
      indexes.map((i) => ({
        topic: events[i]?.topic ?? '',
        partition: events[i]?.partition ?? 0,
        offset: String(offsets[i] ?? 0n),
      })),
    ),
  );
}
