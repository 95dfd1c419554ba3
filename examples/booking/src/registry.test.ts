import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contextForPrincipal, decodeCommand, Headers } from '@sluice/core';
import { bookingCommands, bookingDeciders } from './registry.ts';

test('booking commands route to the show aggregate and reach its decider', () => {
  const options = { registry: bookingCommands, recordId: 't/0/0' };
  const create = decodeCommand('{"type":"CreateShow","showId":7,"seats":3}', undefined, options);
  const book = decodeCommand(
    '{"type":"BookSeats","showId":"7","seats":[1,2]}',
    { [Headers.principal]: 'alice' },
    options,
  );
  assert.ok(create.ok && book.ok);
  assert.deepEqual(create.target, { aggregateType: 'show', aggregateId: '7' });
  assert.deepEqual(book.target, create.target);
  const decider = bookingDeciders.show!;
  const state = decider.evolve(
    decider.initialState(),
    decider.decide(create.command, decider.initialState(), contextForPrincipal(undefined))[0]!,
  );
  const events = decider.decide(book.command, state, contextForPrincipal(book.command.metadata.principal));
  assert.deepEqual(events, [{ type: 'SeatsBooked', data: { showId: '7', seats: [1, 2], holder: 'alice' } }]);
  const bad = decodeCommand('{"type":"BookSeats","showId":"7","seats":"1"}', undefined, options);
  assert.deepEqual(bad.ok ? undefined : [bad.code, bad.path], ['INVALID_COMMAND', 'seats']);
});
