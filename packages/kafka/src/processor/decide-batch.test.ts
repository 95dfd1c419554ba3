import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createCommandRegistry,
  type Decider,
  defineCommand,
  ErrorCodes,
  Headers,
  reject,
  s,
} from '@sluice/core';
import fc from 'fast-check';
import { partitionForKey } from '../partitioning.ts';
import { topicNames } from '../topics.ts';
import { headerOf } from '../txn-records.ts';
import { type PartitionState, StateOverlay } from './aggregate-state.ts';
import type { CommandRecord } from './command-record.ts';
import { type DecideContext, decideBatch, decideBatchInSlices } from './decide-batch.ts';

// A counter that refuses to go below zero, and throws (a bug) on a magic amount.
type Counter = { readonly value: number };
const counter: Decider<Counter> = {
  initialState: () => ({ value: 0 }),
  decide(command, state) {
    const amount = command.data.amount as number;
    if (amount === 13) throw new TypeError('unlucky');
    if (state.value + amount < 0) reject('NEGATIVE', 'would go below zero');
    return [{ type: 'Added', data: { amount } }];
  },
  evolve: (state, event) => ({ value: state.value + (event.data.amount as number) }),
};

const registry = createCommandRegistry([
  defineCommand({
    type: 'Add',
    aggregate: 'counter',
    idField: 'counterId',
    schema: s.object({ counterId: s.id(), amount: s.integer({ minimum: -100, maximum: 100 }) }),
  }),
]);
const P = 4;
const context: DecideContext = {
  registry,
  deciders: new Map([['counter', counter as Decider<unknown>]]),
  topics: topicNames(),
  partitions: P,
  commandsTopicId: 'topic-uuid',
  dedupWindow: 32,
};

let offset = 0n;
function record(
  body: unknown,
  options: { partition?: number; headers?: Record<string, string> } = {},
): CommandRecord {
  const value = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const id = (body as { counterId?: string }).counterId ?? 'c1';
  return {
    topic: 'commands',
    partition: options.partition ?? partitionForKey(String(id), P),
    offset: offset++,
    key: Buffer.from(String(id)),
    value,
    headers: new Map(Object.entries(options.headers ?? {}).map(([k, v]) => [k, Buffer.from(v)])),
  };
}

function fresh(): { states: Map<number, PartitionState>; overlay: StateOverlay } {
  const states = new Map<number, PartitionState>();
  for (let p = 0; p < P; p++) states.set(p, { partition: p, aggregates: new Map(), checkpoint: undefined });
  return { states, overlay: new StateOverlay(states) };
}

const codes = (plan: ReturnType<typeof decideBatch>) => plan.replies.map((r) => r.outcome.result.code);

test('accepted commands write versioned events on the home partition and one result each', () => {
  const { overlay } = fresh();
  const plan = decideBatch(
    [
      record({ type: 'Add', counterId: 'c1', amount: 5, commandId: 'a' }),
      record({ type: 'Add', counterId: 'c1', amount: 2, commandId: 'b' }),
    ],
    overlay,
    context,
  );
  assert.deepEqual(codes(plan), ['OK', 'OK']);
  assert.deepEqual(
    plan.events.map((e) => [e.topic, e.partition, headerOf(e, Headers.version)]),
    [
      ['counter-events', partitionForKey('c1', P), '1'],
      ['counter-events', partitionForKey('c1', P), '2'],
    ],
  );
  assert.equal(plan.replies[1]?.outcome.result.version, 2);
});

test('a duplicate id gets the first result and writes nothing; another payload is IDEMPOTENCY_CONFLICT', () => {
  const { overlay } = fresh();
  const plan = decideBatch(
    [
      record({ type: 'Add', counterId: 'c1', amount: 5, commandId: 'x' }),
      record({ type: 'Add', counterId: 'c1', amount: 5, commandId: 'x' }),
      record({ type: 'Add', counterId: 'c1', amount: 6, commandId: 'x' }),
    ],
    overlay,
    context,
  );
  assert.deepEqual(codes(plan), ['OK', 'OK', ErrorCodes.IDEMPOTENCY_CONFLICT]);
  assert.equal(plan.events.length, 1);
  assert.equal(plan.replies[0]?.outcome, plan.replies[1]?.outcome, 'the duplicate shares the first outcome');
});

test('the duplicate check comes before expectedVersion', () => {
  const { overlay } = fresh();
  const plan = decideBatch(
    [
      record({ type: 'Add', counterId: 'c1', amount: 1, commandId: 'v', expectedVersion: 0 }),
      record({ type: 'Add', counterId: 'c1', amount: 1, commandId: 'v', expectedVersion: 0 }),
      record({ type: 'Add', counterId: 'c1', amount: 1, commandId: 'w', expectedVersion: 0 }),
    ],
    overlay,
    context,
  );
  assert.deepEqual(codes(plan), ['OK', 'OK', ErrorCodes.VERSION_CONFLICT]);
});

test('rejections are results; a decider bug is INTERNAL_ERROR with a dead letter; the batch goes on', () => {
  const { overlay } = fresh();
  const plan = decideBatch(
    [
      record({ type: 'Add', counterId: 'c2', amount: -1, commandId: 'n' }),
      record({ type: 'Add', counterId: 'c2', amount: 13, commandId: 'bug' }),
      record({ type: 'Add', counterId: 'c2', amount: 3, commandId: 'ok' }),
    ],
    overlay,
    context,
  );
  assert.deepEqual(codes(plan), ['NEGATIVE', ErrorCodes.INTERNAL_ERROR, 'OK']);
  assert.equal(plan.deadLetters.length, 1);
  assert.equal(plan.events.length, 1);
});

test('undecodable records go to the DLQ with a reason; they get a result only when they carry an id', () => {
  const { overlay } = fresh();
  const plan = decideBatch(
    [
      record('{"type":"Add",', { partition: 0 }),
      record({ type: 'Nope', counterId: 'c1', commandId: 'u' }),
      record({ type: 'Add', counterId: 'c1', amount: 'x', commandId: 'i' }),
    ],
    overlay,
    context,
  );
  assert.deepEqual(codes(plan), [ErrorCodes.UNKNOWN_COMMAND, ErrorCodes.INVALID_COMMAND]);
  assert.deepEqual(
    plan.deadLetters.map((d) => headerOf(d, 'sluice-error-code')),
    [ErrorCodes.MALFORMED_COMMAND, ErrorCodes.UNKNOWN_COMMAND, ErrorCodes.INVALID_COMMAND],
  );
  assert.equal(plan.checkpoints.size, 2);
});

test('a command on the wrong partition is forwarded once; a forwarded one on the wrong partition is ROUTING_LOOP', () => {
  const { overlay } = fresh();
  const home = partitionForKey('c1', P);
  const wrong = (home + 1) % P;
  const plan = decideBatch(
    [
      record({ type: 'Add', counterId: 'c1', amount: 1 }, { partition: wrong }),
      record(
        { type: 'Add', counterId: 'c1', amount: 1 },
        { partition: wrong, headers: { [Headers.forwardedFrom]: 'commands/0/1' } },
      ),
    ],
    overlay,
    context,
  );
  assert.equal(plan.forwards.length, 1);
  assert.equal(plan.forwards[0]?.partition, home);
  assert.match(String(headerOf(plan.forwards[0]!, Headers.forwardedFrom)), /^commands\/\d+\/\d+$/);
  assert.match(String(headerOf(plan.forwards[0]!, Headers.commandId)), /^topic-uuid\/\d+\/\d+$/);
  assert.deepEqual(codes(plan), [ErrorCodes.ROUTING_LOOP]);
  assert.equal(plan.events.length, 0);
});

test('a duplicate of a rejected command gets the identical result, message included', () => {
  const { overlay } = fresh();
  const plan = decideBatch(
    [
      record({ type: 'Add', counterId: 'c3', amount: 4, commandId: 'first' }),
      record({ type: 'Add', counterId: 'c3', amount: -9, commandId: 'neg' }),
      record({ type: 'Add', counterId: 'c3', amount: -9, commandId: 'neg' }),
    ],
    overlay,
    context,
  );
  assert.deepEqual(codes(plan), ['OK', 'NEGATIVE', 'NEGATIVE']);
  assert.deepEqual(plan.replies[2]?.outcome.result, plan.replies[1]?.outcome.result);
  assert.equal(plan.replies[1]?.outcome.result.message, 'would go below zero');
});

/** What a plan says, without the generated event ids: comparable between two decides of one batch. */
function summary(plan: ReturnType<typeof decideBatch>) {
  return {
    results: plan.replies.map(({ outcome, replyTo }) => ({
      ...outcome.result,
      events: outcome.events,
      replyTo,
    })),
    events: plan.events.map((e) => [e.topic, e.partition, headerOf(e, Headers.version), String(e.value)]),
    deadLetters: plan.deadLetters.length,
    checkpoints: [...plan.checkpoints],
  };
}

test('decided in slices, a batch gets the plan it gets in one piece, whatever the slice size', async () => {
  const command = fc.record({
    counter: fc.constantFrom('c1', 'c2', 'c3'),
    amount: fc.constantFrom(-7, -1, 2, 5, 13),
    id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
  });
  await fc.assert(
    fc.asyncProperty(
      fc.array(command, { minLength: 1, maxLength: 40 }),
      fc.integer({ min: 1, max: 41 }),
      async (commands, size) => {
        const records = commands.map(({ counter, amount, id }) =>
          record({ type: 'Add', counterId: counter, amount, commandId: `${counter}-${id}` }),
        );
        const whole = decideBatch(records, fresh().overlay, context);
        const sliced = await decideBatchInSlices(records, fresh().overlay, context, size);
        assert.deepEqual(summary(sliced), summary(whole));
      },
    ),
    { numRuns: 200 },
  );
});

test('between slices the event loop takes its turn', async () => {
  const records = Array.from({ length: 10 }, (_, i) =>
    record({ type: 'Add', counterId: 'c1', amount: 1, commandId: `turn-${i}` }),
  );
  const { overlay } = fresh();
  let decidedWhenOthersRan: number | undefined;
  setImmediate(() => {
    decidedWhenOthersRan = overlay.get(partitionForKey('c1', P), 'counter/c1')?.version ?? 0;
  });
  const plan = await decideBatchInSlices(records, overlay, context, 3);
  assert.equal(plan.events.length, 10);
  assert.equal(decidedWhenOthersRan, 3, 'a callback queued before the decide ran after its first slice');
});

test('each remembered command is one window record; a window restored from an earlier format is written whole', () => {
  const { states, overlay } = fresh();
  const home = partitionForKey('c1', P);
  const plan = decideBatch(
    [
      record({ type: 'Add', counterId: 'c1', amount: 5, commandId: 'a' }),
      record({ type: 'Add', counterId: 'c1', amount: -50, commandId: 'b' }),
      record({ type: 'Add', counterId: 'c1', amount: 5, commandId: 'a' }),
    ],
    overlay,
    context,
  );
  // The rejection is remembered too; the duplicate is not.
  assert.deepEqual(
    plan.windowEntries.map(({ partition, key, entry }) => [partition, key, entry.commandId, entry.seq]),
    [
      [home, 'counter#1/c1', 'a', 1],
      [home, 'counter#2/c1', 'b', 2],
    ],
  );
  assert.equal(overlay.get(home, 'counter/c1')?.count, 2);

  // Restored from a record that carried its window: numbered 1 and 2, not yet window records.
  const [a, b] = overlay.get(home, 'counter/c1')?.window ?? [];
  states.get(home)?.aggregates.set('counter/c1', {
    state: { value: 5 },
    version: 1,
    window: [a!, b!],
    count: 2,
    unsaved: true,
  });
  const after = new StateOverlay(states);
  const next = decideBatch([record({ type: 'Add', counterId: 'c1', amount: 1, commandId: 'c' })], after, {
    ...context,
    dedupWindow: 2,
  });
  assert.deepEqual(
    next.windowEntries.map(({ key, entry }) => [key, entry.commandId]),
    [
      ['counter#0/c1', 'b'],
      ['counter#1/c1', 'c'],
    ],
  );
  assert.equal(after.get(home, 'counter/c1')?.unsaved, false);
  // Aborted: the committed entry still owes its records.
  assert.equal(states.get(home)?.aggregates.get('counter/c1')?.unsaved, true);
});
