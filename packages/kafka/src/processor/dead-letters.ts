import { ErrorCodes, Headers, sha256Hex } from '@sluice/core';
import type { TopicNames } from '../topics.ts';
import type { GroupGeneration, OutgoingRecord, TxnSession } from '../txn-session.ts';
import type { CommandRecord } from './command-record.ts';
import { checkpointRecord } from './state-records.ts';

/** Copies in `commands-dlq` are cut to this size; the original size and hash travel in headers. */
export const DEAD_LETTER_MAX_BYTES = 1024 * 1024;

/** Headers a dead letter adds to the original record's. */
export const DeadLetterHeaders = {
  code: 'sluice-error-code',
  message: 'sluice-error-message',
  origin: 'sluice-origin',
} as const;

/** A copy of a record that could not be handled, with the reason, for `commands-dlq`. */
export function deadLetter(
  record: CommandRecord,
  topic: string,
  code: string,
  message: string,
): OutgoingRecord {
  const value = record.value ?? Buffer.alloc(0);
  const headers: Record<string, Buffer | string> = Object.fromEntries(record.headers);
  headers[DeadLetterHeaders.code] = code;
  headers[DeadLetterHeaders.message] = message.slice(0, 1000);
  headers[DeadLetterHeaders.origin] = `${record.topic}/${record.partition}/${record.offset}`;
  let copy = value;
  if (value.length > DEAD_LETTER_MAX_BYTES) {
    copy = value.subarray(0, DEAD_LETTER_MAX_BYTES);
    headers[Headers.originalSize] = String(value.length);
    headers[Headers.sha256] = sha256Hex(value);
  }
  return {
    topic,
    partition: 0,
    ...(record.key && record.key.length > 0 ? { key: record.key } : {}),
    value: copy,
    headers,
  };
}

/**
 * One transaction for a command that cannot be written: its dead letter (`INTERNAL_ERROR`), its
 * result if it has one, its partition's checkpoint and the consumed offset past it, nothing else.
 */
export async function writeDeadLetter(
  session: TxnSession,
  topics: TopicNames,
  record: CommandRecord,
  message: string,
  generation: GroupGeneration,
  result?: OutgoingRecord,
): Promise<void> {
  const next = record.offset + 1n;
  await session.transact(async (txn) => {
    await txn.send([
      deadLetter(record, topics.commandsDlq, ErrorCodes.INTERNAL_ERROR, message),
      ...(result ? [result] : []),
      checkpointRecord(topics, record.partition, next),
    ]);
    await txn.sendOffsets(
      [{ topic: topics.commands, partition: record.partition, nextOffset: next }],
      generation,
    );
  });
}
