import {
  aggregateTypeOfTopic,
  decodeCommandResult,
  decodeEvent,
  type HeaderInput,
  type Upcasters,
} from '@sluice/core';
import type { FetchedRecord } from '@sluice/kafka';
import {
  COMMAND_RESULT_EVENT,
  COMMAND_RESULTS_TOPIC,
  type LogPosition,
  type ProjectionEvent,
} from './projection.ts';

/** A record as kept in `parked_events`: enough to decode it again on replay. */
export interface StoredRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly timestamp: string;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Readonly<Record<string, string>>;
}

/** A record decoded for a projection, or why it could not be. */
export type DecodedRecord =
  | { readonly ok: true; readonly record: StoredRecord; readonly event: ProjectionEvent }
  | { readonly ok: false; readonly record: StoredRecord; readonly code: string; readonly message: string };

/** Turns a fetched record into its storable form. */
export function toStoredRecord(record: FetchedRecord): StoredRecord {
  const headers = record.headerText();
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset.toString(),
    timestamp: record.timestamp.toString(),
    key: record.key === null ? null : record.key.toString('utf8'),
    value: record.value === null ? null : record.value.toString('utf8'),
    headers,
  };
}

/**
 * Decodes a record of an events topic or of `command-results`, upcasting old payloads. `offset` is
 * the record's offset when the caller has it as a bigint already.
 */
export function decodeRecord(
  record: StoredRecord,
  prefix: string,
  upcasters?: Upcasters,
  offset: bigint = BigInt(record.offset),
): DecodedRecord {
  const log: LogPosition = { topic: record.topic, partition: record.partition, offset };
  if (record.topic === prefix + COMMAND_RESULTS_TOPIC) return decodeResult(record, log);
  const aggregateType = aggregateTypeOfTopic(record.topic, prefix);
  if (aggregateType === undefined)
    return { ok: false, record, code: 'UNKNOWN_TOPIC', message: `${record.topic} is not an events topic` };
  const decoded = decodeEvent(record.value, record.headers as HeaderInput, {
    key: record.key ?? '',
    aggregateType,
    timestamp: Number(record.timestamp),
    ...(upcasters === undefined ? {} : { upcasters }),
  });
  if (!decoded.ok) return { ok: false, record, code: decoded.code, message: decoded.message };
  const { type, data, metadata } = decoded.event;
  return { ok: true, record, event: { type, data, metadata, log } };
}

function decodeResult(record: StoredRecord, log: LogPosition): DecodedRecord {
  const result = record.value === null ? undefined : decodeCommandResult(record.value);
  if (result === undefined)
    return { ok: false, record, code: 'MALFORMED_RESULT', message: 'not a command result' };
  const event: ProjectionEvent = {
    type: COMMAND_RESULT_EVENT,
    data: result as unknown as Record<string, unknown>,
    metadata: {
      eventId: `${record.topic}/${record.partition}/${record.offset}`,
      aggregateType: 'command-result',
      aggregateId: result.commandId,
      version: 1,
      commandId: result.commandId,
      schemaVersion: 1,
      recordedAt: Number(record.timestamp),
    },
    log,
  };
  return { ok: true, record, event };
}
