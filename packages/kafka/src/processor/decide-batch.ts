import { setImmediate } from 'node:timers/promises';
import {
  type CommandRegistry,
  contextForPrincipal,
  type Decider,
  type DedupVerdict,
  decodeCommand,
  ErrorCodes,
  Headers,
  isDomainError,
  OK,
  recordCommandId,
} from '@sluice/core';
import { faultPoint, unsafe } from '../fault.ts';
import { partitionForKey } from '../partitioning.ts';
import type { TopicNames } from '../topics.ts';
import type { OutgoingRecord } from '../txn-session.ts';
import {
  type AggregateEntry,
  aggregateKey,
  rememberedCommand,
  type StateOverlay,
} from './aggregate-state.ts';
import { type BatchPlan, emptyPlan, type Outcome, reply, writeWindowEntry } from './batch-plan.ts';
import { type CommandRecord, explicitCommandId, requestedReplyPartition } from './command-record.ts';
import { deadLetter } from './dead-letters.ts';
import { type BatchHashes, portableHashes } from './fast-hashes.ts';
import { checkWindow, idTag, rememberInWindow, windowEntries } from './window-tags.ts';

/** What the processor needs to decide a batch. Pure: no I/O. */
export interface DecideContext {
  readonly registry: CommandRegistry;
  readonly deciders: ReadonlyMap<string, Decider<unknown>>;
  readonly topics: TopicNames;
  readonly partitions: number;
  /** The Kafka topic id of `commands`, for ids derived from a record's position. */
  readonly commandsTopicId: string;
  readonly dedupWindow: number;
  /** Hash implementations; default core's portable ones (the processor passes node:crypto ones). */
  readonly hashes?: BatchHashes;
  /** The current schema version of an event type (what upcasters lift older ones to). Default 1. */
  readonly schemaVersionOf?: (aggregateType: string, eventType: string) => number;
}

/**
 * Records decided between two turns of the event loop by {@link decideBatchInSlices}: ~0.5 ms of the
 * thread, so that each step of the batch being written (produce response, offsets, commit) waits
 * little for it. From 100 to 25, the offsets and commit stages went from ~3.9 and ~1.7 ms to ~2.9 and
 * ~0.9 ms a batch.
 */
export const DECIDE_SLICE = 25;

/** Decides every record of a batch against the overlay, in order. Never throws for bad input or decider bugs. */
export function decideBatch(
  records: readonly CommandRecord[],
  overlay: StateOverlay,
  ctx: DecideContext,
): BatchPlan {
  const plan = emptyPlan();
  decideSlice(records, 0, records.length, overlay, ctx, plan);
  return plan;
}

/**
 * {@link decideBatch}, `sliceSize` records at a time with a turn of the event loop between slices. The
 * processor decides a batch while the one before it is written; in one piece (~10 µs a command) the
 * decide held that batch's produce responses for up to the whole decide before they were handled.
 */
export async function decideBatchInSlices(
  records: readonly CommandRecord[],
  overlay: StateOverlay,
  ctx: DecideContext,
  sliceSize = DECIDE_SLICE,
): Promise<BatchPlan> {
  const plan = emptyPlan();
  for (let from = 0; from < records.length; from += sliceSize) {
    if (from > 0) await setImmediate();
    decideSlice(records, from, Math.min(records.length, from + sliceSize), overlay, ctx, plan);
  }
  return plan;
}

/** Decides `records[from, to)` into `plan`; the `mid-batch` fault point sits at the batch's middle. */
function decideSlice(
  records: readonly CommandRecord[],
  from: number,
  to: number,
  overlay: StateOverlay,
  ctx: DecideContext,
  plan: BatchPlan,
): void {
  const middle = Math.floor(records.length / 2);
  for (let index = from; index < to; index++) {
    const record = records[index]!;
    if (index === middle) faultPoint('mid-batch');
    decideRecord(record, overlay, ctx, plan);
    plan.checkpoints.set(record.partition, record.offset + 1n);
  }
}

function decideRecord(
  record: CommandRecord,
  overlay: StateOverlay,
  ctx: DecideContext,
  plan: BatchPlan,
): void {
  const replyTo = requestedReplyPartition(record.headers);
  // Derived only for a command without an id of its own: most carry one.
  const recordId = () => recordCommandId(ctx.commandsTopicId, record.partition, record.offset);
  const decoded = decodeCommand(record.value, record.headers, { registry: ctx.registry, recordId });
  if (!decoded.ok) {
    const commandId = explicitCommandId(record);
    plan.deadLetters.push(deadLetter(record, ctx.topics.commandsDlq, decoded.code, decoded.message));
    if (commandId !== undefined) {
      reply(plan, replyTo, {
        result: { commandId, code: decoded.code, message: decoded.message },
        events: [],
      });
    }
    return;
  }
  const { command, target } = decoded;
  const commandId = command.metadata.commandId;
  const principal = command.metadata.principal;
  const base: ResultBase = {
    commandId,
    commandType: command.type,
    aggregateType: target.aggregateType,
    aggregateId: target.aggregateId,
  };
  if (principal !== undefined) base.principal = principal;

  const home = partitionForKey(target.aggregateId, ctx.partitions);
  if (home !== record.partition) {
    if (record.headers.has(Headers.forwardedFrom)) {
      const message = `forwarded command for partition ${home} arrived on partition ${record.partition}`;
      plan.deadLetters.push(deadLetter(record, ctx.topics.commandsDlq, ErrorCodes.ROUTING_LOOP, message));
      reply(plan, replyTo, { result: { ...base, code: ErrorCodes.ROUTING_LOOP, message }, events: [] });
      return;
    }
    plan.forwards.push(forward(record, ctx.topics.commands, home, target.aggregateId, commandId));
    return;
  }

  const decider = ctx.deciders.get(target.aggregateType);
  if (!decider) {
    const message = `no decider for aggregate type ${target.aggregateType}`;
    plan.deadLetters.push(deadLetter(record, ctx.topics.commandsDlq, ErrorCodes.INTERNAL_ERROR, message));
    reply(plan, replyTo, { result: { ...base, code: ErrorCodes.INTERNAL_ERROR, message }, events: [] });
    return;
  }
  const key = aggregateKey(target.aggregateType, target.aggregateId);
  const entry: AggregateEntry = overlay.get(record.partition, key) ?? {
    state: decider.initialState(),
    version: 0,
    window: [],
    tags: undefined,
    windowFrom: 0,
    windowTo: 0,
    count: 0,
    unsaved: false,
  };
  const hashes = ctx.hashes ?? portableHashes;
  const hash = hashes.payload(command.type, command.data);
  const verdict: DedupVerdict = unsafe('no-dedup')
    ? { kind: 'new' }
    : checkWindow(entry, commandId, idTag(commandId), hash);
  if (verdict.kind === 'duplicate') {
    const stored = verdict.result;
    const same = plan.outcomes.get(commandId);
    reply(
      plan,
      replyTo,
      same ?? {
        result: {
          ...base,
          code: stored.code,
          ...(stored.message === undefined ? {} : { message: stored.message }),
          version: stored.version,
        },
        events: [],
        // Its events' offset may still be unknown: the batch that wrote them may be in flight.
        ...(stored.code === OK
          ? {
              duplicateOf: { entry: stored, topic: ctx.topics.events(target.aggregateType), partition: home },
            }
          : {}),
      },
    );
    return;
  }
  const remember = (code: string, next: AggregateEntry, outcome: Outcome) =>
    rememberOutcome(plan, overlay, ctx, record.partition, target, key, hash, code, next, outcome);
  if (verdict.kind === 'conflict') {
    const message = `command id ${commandId} was already used with a different payload`;
    reply(plan, replyTo, {
      result: { ...base, code: verdict.code, message, version: entry.version },
      events: [],
    });
    return;
  }
  const expected = command.metadata.expectedVersion;
  if (expected !== undefined && expected !== entry.version) {
    const message = `expected version ${expected}, the aggregate is at ${entry.version}`;
    const outcome = {
      result: { ...base, code: ErrorCodes.VERSION_CONFLICT, message, version: entry.version },
      events: [],
    };
    remember(ErrorCodes.VERSION_CONFLICT, entry, outcome);
    reply(plan, replyTo, outcome);
    return;
  }

  let state = entry.state;
  let events: readonly { type: string; data: Readonly<Record<string, unknown>> }[];
  try {
    events = decider.decide(command, entry.state, contextForPrincipal(principal));
    for (const event of events) state = decider.evolve(state, event);
  } catch (error) {
    if (isDomainError(error)) {
      const outcome = {
        result: { ...base, code: error.code, message: error.message, version: entry.version },
        events: [],
      };
      remember(error.code, entry, outcome);
      reply(plan, replyTo, outcome);
      return;
    }
    const message = `decider failed: ${error instanceof Error ? error.message : String(error)}`;
    plan.deadLetters.push(deadLetter(record, ctx.topics.commandsDlq, ErrorCodes.INTERNAL_ERROR, message));
    reply(plan, replyTo, {
      result: { ...base, code: ErrorCodes.INTERNAL_ERROR, message, version: entry.version },
      events: [],
    });
    return;
  }

  const indexes = new Array<number>(events.length);
  const topic = ctx.topics.events(target.aggregateType);
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    const version = entry.version + i + 1;
    indexes[i] = plan.events.length;
    plan.events.push({
      topic,
      partition: home,
      key: target.aggregateId,
      value: JSON.stringify(event.data),
      // Names and values in one flat array, which the client's (patched) encoder reads as it is: a Map
      // of eight entries per event cost ~8 times as much to build and read.
      headers: [
        Headers.type,
        event.type,
        Headers.eventId,
        hashes.eventId(`${key}/${version}`),
        Headers.version,
        String(version),
        Headers.commandId,
        commandId,
        Headers.correlationId,
        command.metadata.correlationId ?? commandId,
        Headers.causationId,
        commandId,
        Headers.schema,
        String(ctx.schemaVersionOf?.(target.aggregateType, event.type) ?? 1),
        Headers.contentType,
        'application/json',
      ],
    });
  }
  const next: AggregateEntry = {
    state,
    version: entry.version + events.length,
    window: entry.window,
    tags: entry.tags,
    windowFrom: entry.windowFrom,
    windowTo: entry.windowTo,
    count: entry.count,
    unsaved: entry.unsaved,
  };
  const outcome: Outcome = { result: acceptedResult(base, next.version), events: indexes };
  remember(OK, next, outcome);
  reply(plan, replyTo, outcome);
}

/** The fields every result of a decoded command has; `principal` when the command named one. */
interface ResultBase {
  readonly commandId: string;
  readonly commandType: string;
  readonly aggregateType: string;
  readonly aggregateId: string;
  principal?: string;
}

/**
 * An accepted command's result: the fields of `{ ...base, code, version }` in the same order, made as
 * one literal (the spread made a copy and then grew it, for every command).
 */
function acceptedResult(base: ResultBase, version: number): Outcome['result'] {
  const { commandId, commandType, aggregateType, aggregateId, principal } = base;
  return principal === undefined
    ? { commandId, commandType, aggregateType, aggregateId, code: OK, version }
    : { commandId, commandType, aggregateType, aggregateId, principal, code: OK, version };
}

/**
 * Keeps a decided command in its aggregate's dedup window (in the overlay) and in the batch's
 * outcomes, so that a duplicate gets the same result, and marks its entry for a window record (every
 * entry of a window restored from a record of an earlier format). Rejections of aggregates that do not
 * exist are not kept.
 */
function rememberOutcome(
  plan: BatchPlan,
  overlay: StateOverlay,
  ctx: DecideContext,
  partition: number,
  target: { readonly aggregateType: string; readonly aggregateId: string },
  key: string,
  payloadHash: string,
  code: string,
  next: AggregateEntry,
  outcome: Outcome,
): void {
  if (next.version === 0) return;
  const commandId = outcome.result.commandId;
  const remembered = rememberedCommand({
    commandId,
    payloadHash,
    code,
    version: next.version,
    // A duplicate of a rejection answers with the same words.
    message: outcome.result.message,
  });
  const updated = rememberInWindow(next, remembered, ctx.dedupWindow);
  overlay.set(partition, key, updated);
  if (next.unsaved === true) {
    for (const entry of windowEntries(updated))
      writeWindowEntry(plan, partition, target, entry, ctx.dedupWindow);
  } else writeWindowEntry(plan, partition, target, remembered, ctx.dedupWindow);
  plan.outcomes.set(commandId, outcome);
  plan.remembered.set(commandId, remembered);
}

function forward(
  record: CommandRecord,
  topic: string,
  partition: number,
  key: string,
  commandId: string,
): OutgoingRecord {
  const headers: Record<string, Buffer | string> = Object.fromEntries(record.headers);
  headers[Headers.forwardedFrom] = `${record.topic}/${record.partition}/${record.offset}`;
  headers[Headers.commandId] = commandId;
  return { topic, partition, key, value: record.value ?? Buffer.alloc(0), headers };
}
