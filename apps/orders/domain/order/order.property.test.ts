import assert from 'node:assert/strict';
import { test } from 'node:test';
import { operatorContext, SYSTEM_CONTEXT, userContext } from '@sluice/core';
import { checkDeciderAgainstModel, type ModelStep } from '@sluice/testing';
import fc from 'fast-check';
import { type OrderCommand, orderDecider } from './order.ts';

// The model: a plain map order id → { owner, status }, with the rules written as a table.
type Model = ReadonlyMap<string, { owner: string; status: string }>;
const NEXT: Record<string, [from: string[], to: string]> = {
  ConfirmOrder: [['created'], 'confirmed'],
  ShipOrder: [['confirmed'], 'shipped'],
  DeliverOrder: [['shipped'], 'delivered'],
  CancelOrder: [['created', 'confirmed'], 'cancelled'],
};

function apply(model: Model, { command, context }: ModelStep<OrderCommand>) {
  const privileged = context.principal === 'system' || context.principal.startsWith('operator:');
  const order = model.get(command.data.orderId);
  const no = (code: string) => ({ accepted: false as const, code });
  if (command.type === 'CreateOrder') {
    if (!privileged && context.principal !== command.data.userId) return no('FORBIDDEN');
    if (order) return no('ORDER_EXISTS');
    if (command.data.items.length === 0) return no('EMPTY_ORDER');
    return {
      accepted: true as const,
      model: new Map(model).set(command.data.orderId, { owner: command.data.userId, status: 'created' }),
    };
  }
  if (command.type !== 'CancelOrder' && !privileged) return no('FORBIDDEN');
  if (!order) return no('ORDER_NOT_FOUND');
  if (command.type === 'CancelOrder' && !privileged && context.principal !== order.owner)
    return no('FORBIDDEN');
  const [from, to] = NEXT[command.type]!;
  if (!from.includes(order.status)) return no('INVALID_TRANSITION');
  return {
    accepted: true as const,
    model: new Map(model).set(command.data.orderId, { ...order, status: to }),
  };
}

const orderId = fc.constantFrom('o1', 'o2');
const step: fc.Arbitrary<ModelStep<OrderCommand>> = fc.record({
  command: fc.oneof(
    fc.record({
      type: fc.constant('CreateOrder' as const),
      data: fc.record({
        orderId,
        userId: fc.constantFrom('u1', 'u2'),
        items: fc.array(fc.record({ name: fc.constant('Tea'), price: fc.nat(9999) }), { maxLength: 2 }),
      }),
    }),
    fc.record({
      type: fc.constantFrom(
        'ConfirmOrder' as const,
        'ShipOrder' as const,
        'DeliverOrder' as const,
        'CancelOrder' as const,
      ),
      data: fc.record({ orderId }),
    }),
  ),
  context: fc.constantFrom(userContext('u1'), userContext('u2'), operatorContext('eve'), SYSTEM_CONTEXT),
});

test('random command sequences: the order decider accepts and rejects exactly what the model does', () => {
  checkDeciderAgainstModel({
    decider: orderDecider,
    model: { initial: () => new Map() as Model, apply },
    steps: step,
    aggregateOf: (command) => command.data.orderId,
    numRuns: 300,
    invariant: (events, model) => {
      const creations = events
        .filter((event) => event.type === 'OrderCreated')
        .map((event) => event.data.orderId);
      assert.equal(new Set(creations).size, creations.length, 'an order is created at most once');
      assert.equal(creations.length, model.size);
    },
  });
});
