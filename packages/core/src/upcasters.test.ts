import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Decider, evolveAll } from './decider.ts';
import { decodeEvent, encodeEvent } from './event-codec.ts';
import { Headers } from './headers.ts';
import type { Command, Event, RecordedEvent } from './messages.ts';
import { createUpcasters } from './upcasters.ts';

// v1: {name}; v2: {firstName, lastName}; v3: adds {email}, null when unknown.
const upcasters = createUpcasters()
  .upcast('Registered', 1, (data) => {
    const [firstName = '', ...rest] = String(data.name).split(' ');
    return { firstName, lastName: rest.join(' ') };
  })
  .upcast('Registered', 2, (data) => ({ ...data, email: null }));

type Registered = Event<'Registered', { firstName: string; lastName: string; email: string | null }>;
type State = { readonly people: readonly string[] };
const decider: Decider<State, Command, Registered> = {
  initialState: () => ({ people: [] }),
  decide: () => [],
  evolve: (state, event) => ({
    people: [...state.people, `${event.data.lastName}, ${event.data.firstName} <${event.data.email ?? '?'}>`],
  }),
};

function record(data: Record<string, unknown>, schemaVersion: number, version: number): RecordedEvent {
  return {
    type: 'Registered',
    data,
    metadata: {
      eventId: `e${version}`,
      aggregateType: 'person',
      aggregateId: 'p1',
      version,
      commandId: `c${version}`,
      schemaVersion,
    },
  };
}

function readBack(event: RecordedEvent): Registered {
  const encoded = encodeEvent(event);
  const decoded = decodeEvent(encoded.value, encoded.headers, {
    key: encoded.key,
    aggregateType: 'person',
    upcasters,
  });
  assert.ok(decoded.ok, JSON.stringify(decoded));
  assert.equal(decoded.event.metadata.schemaVersion, 3);
  return decoded.event as Registered;
}

test('an upcaster chain v1 → v3 gives the same state as native v3 events', () => {
  const old = [
    record({ name: 'Ada Lovelace' }, 1, 1),
    record({ firstName: 'Alan', lastName: 'Turing' }, 2, 2),
  ];
  const native = [
    record({ firstName: 'Ada', lastName: 'Lovelace', email: null }, 3, 1),
    record({ firstName: 'Alan', lastName: 'Turing', email: null }, 3, 2),
  ];
  const fromOld = evolveAll(decider, old.map(readBack));
  const fromNative = evolveAll(decider, native.map(readBack));
  assert.deepEqual(fromOld, fromNative);
  assert.deepEqual(fromOld.people, ['Lovelace, Ada <?>', 'Turing, Alan <?>']);
});

test('versions are registered in order and unknown versions are refused', () => {
  assert.equal(upcasters.currentVersion('Registered'), 3);
  assert.equal(upcasters.currentVersion('Other'), 1);
  assert.throws(() => createUpcasters().upcast('X', 2, (d) => ({ ...d })), /start at version 1/);
  assert.throws(() => upcasters.toCurrent('Registered', 4, {}), { code: 'UNKNOWN_SCHEMA_VERSION' });
  const future = encodeEvent(record({}, 4, 1));
  const decoded = decodeEvent(future.value, future.headers, {
    key: 'p1',
    aggregateType: 'person',
    upcasters,
  });
  assert.equal(decoded.ok ? 'ok' : decoded.code, 'UNKNOWN_SCHEMA_VERSION');
});

test('event records carry their metadata in sluice-* headers and round-trip', () => {
  const event: RecordedEvent = {
    type: 'Registered',
    data: { firstName: 'A', lastName: 'B', email: 'a@b' },
    metadata: {
      eventId: 'e1',
      aggregateType: 'person',
      aggregateId: 'p1',
      version: 7,
      commandId: 'c1',
      correlationId: 'k1',
      causationId: 'c0',
      schemaVersion: 3,
      recordedAt: 1_700_000_000_000,
    },
  };
  const encoded = encodeEvent(event);
  assert.equal(encoded.key, 'p1');
  assert.equal(encoded.headers[Headers.version], '7');
  assert.equal(encoded.headers[Headers.contentType], 'application/json');
  const decoded = decodeEvent(new TextEncoder().encode(encoded.value), encoded.headers, {
    key: 'p1',
    aggregateType: 'person',
    timestamp: 1_700_000_000_000,
  });
  assert.deepEqual(decoded, { ok: true, event });
});

test('records without the Sluice headers or with a broken value are MALFORMED_EVENT', () => {
  const good = encodeEvent(record({ name: 'x' }, 1, 1));
  const context = { key: 'p1', aggregateType: 'person' };
  const code = (result: ReturnType<typeof decodeEvent>) => (result.ok ? 'ok' : result.code);
  assert.equal(code(decodeEvent(good.value, {}, context)), 'MALFORMED_EVENT');
  assert.equal(code(decodeEvent('{"a":', good.headers, context)), 'MALFORMED_EVENT');
  assert.equal(code(decodeEvent('[1]', good.headers, context)), 'MALFORMED_EVENT');
  assert.equal(
    code(decodeEvent(good.value, { ...good.headers, [Headers.version]: '0' }, context)),
    'MALFORMED_EVENT',
  );
});
