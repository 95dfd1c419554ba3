import { type CommandResult, decodeCommandResult, decodePositionToken } from '@sluice/core';
import type { ReadRecord } from '../read-topic.ts';

/** An event as the checks see it. */
export interface EventView {
  readonly aggregateId: string;
  readonly version: number;
  readonly commandId: string;
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly partition: number;
  readonly offset: bigint;
}

/** Decodes `<aggregate>-events` records (in partition, offset order as read). */
export function eventViews(records: readonly ReadRecord[]): EventView[] {
  return records.map((record) => ({
    aggregateId: record.key?.toString() ?? '',
    version: Number(record.headers.get('sluice-version')?.toString()),
    commandId: record.headers.get('sluice-command-id')?.toString() ?? '',
    type: record.headers.get('sluice-type')?.toString() ?? '',
    data: JSON.parse(record.value.toString()) as Record<string, unknown>,
    partition: record.partition,
    offset: record.offset,
  }));
}

/** Results by command id, in the order they were written. */
export function resultsById(records: readonly ReadRecord[]): Map<string, CommandResult[]> {
  const byId = new Map<string, CommandResult[]>();
  for (const record of records) {
    const result = decodeCommandResult(record.value.toString());
    if (!result) continue;
    byId.set(result.commandId, [...(byId.get(result.commandId) ?? []), result]);
  }
  return byId;
}

/** What the exactly-once checks look at. */
export interface ExactlyOnceInput {
  /** Every command id that was sent (and must have a result). */
  readonly commandIds: Iterable<string>;
  readonly results: ReadonlyMap<string, readonly CommandResult[]>;
  /** Events by aggregate type. */
  readonly events: ReadonlyMap<string, readonly EventView[]>;
  /** True when each command was sent once, so it must have exactly one result record. */
  readonly sentOnce: boolean;
}

// A rejection's message is explanatory text the dedup window does not keep; everything else must match.
const comparable = ({ message: _message, ...rest }: CommandResult) => JSON.stringify(rest);

/**
 * Every way the log can break exactly-once, as readable lines (empty when it holds): a command
 * without a result or with differing results, events of an aggregate not numbered 1, 2, 3… in log
 * order, an event no accepted command owns, an accepted command whose events are missing or doubled.
 */
export function exactlyOnceViolations(input: ExactlyOnceInput): string[] {
  const violations: string[] = [];
  const add = (line: string) => {
    if (violations.length < 50) violations.push(line);
  };
  for (const commandId of input.commandIds) {
    const results = input.results.get(commandId) ?? [];
    if (results.length === 0) add(`command ${commandId} has no result`);
    else if (input.sentOnce && results.length > 1) add(`command ${commandId} has ${results.length} results`);
    const first = results[0];
    if (first && results.some((result) => comparable(result) !== comparable(first)))
      add(`command ${commandId} has differing results: ${results.map(comparable).join(' vs ')}`);
  }
  for (const [aggregateType, events] of input.events) {
    const versions = new Map<string, number>();
    const byCommand = new Map<string, number[]>();
    const lastEvent = new Map<string, EventView>();
    for (const event of events) {
      const key = `${aggregateType}/${event.aggregateId}`;
      const expected = (versions.get(key) ?? 0) + 1;
      if (event.version !== expected)
        add(
          `${key}: event at ${event.partition}/${event.offset} has version ${event.version}, expected ${expected}`,
        );
      versions.set(key, Math.max(expected, event.version));
      const ownKey = `${key}@${event.commandId}`;
      byCommand.set(ownKey, [...(byCommand.get(ownKey) ?? []), event.version]);
      lastEvent.set(ownKey, event);
    }
    for (const [ownKey, owned] of byCommand) {
      const [key = '', commandId = ''] = ownKey.split('@');
      const accepted = (input.results.get(commandId) ?? []).filter((r) => r.code === 'OK');
      const last = accepted[0]?.version;
      if (last === undefined) {
        add(`${key}: events of command ${commandId}, which has no OK result`);
        continue;
      }
      const contiguous = owned.every((version, i) => version === last - owned.length + 1 + i);
      if (!contiguous)
        add(`${key}: command ${commandId} wrote versions ${owned.join(',')}, its result says ${last}`);
    }
    for (const [commandId, results] of input.results) {
      for (const result of results) {
        if (result.code !== 'OK' || result.aggregateType !== aggregateType || !result.version) continue;
        const key = `${aggregateType}/${result.aggregateId}`;
        if ((versions.get(key) ?? 0) < result.version)
          add(`${key}: command ${commandId} accepted at version ${result.version}, but no such event`);
        if (result.position === undefined) continue;
        const last = lastEvent.get(`${key}@${commandId}`);
        if (!last) {
          add(`${key}: command ${commandId} has a position but no events`);
          continue;
        }
        const named = placesOf(result.position);
        const place = `${last.partition}/${last.offset}`;
        if (!named.includes(place))
          add(
            `${key}: command ${commandId} has position ${named.join(',') || 'invalid'}, its last event is at ${place}`,
          );
      }
    }
  }
  return violations;
}

/** The `partition/offset` places a position token names; none when it is not a token. */
function placesOf(position: string): string[] {
  const decoded = decodePositionToken(position);
  return decoded.ok ? decoded.token.map((e) => `${e.partition}/${e.offset}`) : [];
}
