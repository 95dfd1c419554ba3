import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contextForPrincipal, creationId, decodeCommand, evolveAll, Headers } from '@sluice/core';
import { shopCommands, shopDeciders } from './registry.ts';

const options = { registry: shopCommands, recordId: 'tid/0/1' };

test('the seed command routes to aggregate user, id "1", and its decider creates the user', () => {
  const result = decodeCommand('{"type":"UpdateUser","userId":1,"newName":"Alice"}', undefined, options);
  assert.ok(result.ok);
  assert.deepEqual(result.target, { aggregateType: 'user', aggregateId: '1' });
  const decider = shopDeciders[result.target.aggregateType];
  assert.ok(decider !== undefined);
  const events = decider.decide(result.command, decider.initialState(), contextForPrincipal(undefined));
  assert.deepEqual(events, [{ type: 'UserCreated', data: { userId: '1', name: 'Alice' } }]);
});

test('every command type routes to an aggregate that has a decider', () => {
  for (const definition of shopCommands.definitions())
    assert.ok(shopDeciders[definition.aggregate], definition.type);
  assert.deepEqual(shopCommands.aggregateTypes(), ['user', 'order']);
});

test('CreateOrder without orderId gets the creation id of its command id, and defaults quantities', () => {
  const value = JSON.stringify({
    type: 'CreateOrder',
    commandId: 'cmd-1',
    payload: { userId: 7, items: [{ name: 'Tea', price: 499 }] },
  });
  const first = decodeCommand(value, { [Headers.principal]: '7' }, options);
  const retry = decodeCommand(value, { [Headers.principal]: '7' }, options);
  assert.ok(first.ok && retry.ok);
  assert.equal(first.target.aggregateId, creationId('cmd-1'));
  assert.equal(retry.target.aggregateId, first.target.aggregateId);
  const decider = shopDeciders.order!;
  const context = contextForPrincipal(first.command.metadata.principal);
  const events = decider.decide(first.command, decider.initialState(), context);
  assert.deepEqual(events, [
    {
      type: 'OrderCreated',
      data: { orderId: creationId('cmd-1'), userId: '7', items: [{ name: 'Tea', price: 499, quantity: 1 }] },
    },
  ]);
  assert.equal((evolveAll(decider, events) as { status: string }).status, 'created');
});

test('shape errors are INVALID_COMMAND with a path; business rules are left to the deciders', () => {
  const bad = decodeCommand(
    '{"type":"CreateOrder","userId":1,"items":[{"name":"Tea","price":"1"}]}',
    undefined,
    options,
  );
  assert.deepEqual(bad.ok ? undefined : [bad.code, bad.path], ['INVALID_COMMAND', 'items[0].price']);
  const long = decodeCommand(
    JSON.stringify({ type: 'UpdateUser', userId: 1, newName: 'x'.repeat(101) }),
    undefined,
    options,
  );
  assert.ok(long.ok, 'a 101-character name reaches the decider, which answers INVALID_NAME');
  const ship = decodeCommand('{"type":"ShipOrder","orderId":-0.5}', undefined, options);
  assert.deepEqual(ship.ok ? undefined : [ship.code, ship.path], ['INVALID_COMMAND', 'orderId']);
});
