import { test } from 'node:test';
import { type DecisionContext, operatorContext, SYSTEM_CONTEXT, userContext } from '@sluice/core';
import { deciderSpec } from '@sluice/testing';
import { type ItemInput, type OrderCommand, type OrderEvent, orderDecider } from './order.ts';

const spec = deciderSpec(orderDecider);
const alice = userContext('u1');
const bob = userContext('u2');
const eve = operatorContext('eve');
const id = { orderId: 'o1' };
const who = { ...id, userId: 'u1' };

const create = (items: readonly ItemInput[], userId = 'u1'): OrderCommand => ({
  type: 'CreateOrder',
  data: { orderId: 'o1', userId, items },
});
const command = (type: 'ConfirmOrder' | 'ShipOrder' | 'DeliverOrder' | 'CancelOrder'): OrderCommand => ({
  type,
  data: id,
});
const created: OrderEvent = {
  type: 'OrderCreated',
  data: {
    ...who,
    items: [
      { name: 'Tea', price: 499, quantity: 1 },
      { name: 'Pot', price: 5001, quantity: 2 },
    ],
  },
};
const confirmed: OrderEvent = { type: 'OrderConfirmed', data: who };
const shipped: OrderEvent = { type: 'OrderShipped', data: who };
const delivered: OrderEvent = { type: 'OrderDelivered', data: who };
const cancelled = (by: string): OrderEvent => ({ type: 'OrderCancelled', data: { ...who, cancelledBy: by } });

test('CreateOrder records the lines with quantity defaulting to 1', () => {
  spec
    .given([])
    .when(
      create([
        { name: 'Tea', price: 499 },
        { name: 'Pot', price: 5001, quantity: 2 },
      ]),
      alice,
    )
    .then([created]);
});

test('an operator or the system may order for a user; another user may not', () => {
  spec
    .given([])
    .when(
      create([
        { name: 'Tea', price: 499 },
        { name: 'Pot', price: 5001, quantity: 2 },
      ]),
      eve,
    )
    .then([created]);
  spec
    .given([])
    .when(create([{ name: 'Tea', price: 0 }]), SYSTEM_CONTEXT)
    .then([{ type: 'OrderCreated', data: { ...who, items: [{ name: 'Tea', price: 0, quantity: 1 }] } }]);
  spec
    .given([])
    .when(create([{ name: 'Tea', price: 499 }]), bob)
    .thenRejects('FORBIDDEN');
});

test('CreateOrder rejects an existing order, an empty order and bad lines', () => {
  spec
    .given([created])
    .when(create([{ name: 'Tea', price: 1 }]), alice)
    .thenRejects('ORDER_EXISTS');
  spec.given([]).when(create([]), alice).thenRejects('EMPTY_ORDER');
  const bad: ItemInput[] = [
    { name: '', price: 1 },
    { name: '  ', price: 1 },
    { name: 'x'.repeat(201), price: 1 },
    { name: 'Tea', price: -1 },
    { name: 'Tea', price: 1.5 },
    { name: 'Tea', price: 10_000_001 },
    { name: 'Tea', price: 1, quantity: 0 },
    { name: 'Tea', price: 1, quantity: 2.5 },
    { name: 'Tea', price: 1, quantity: 1001 },
  ];
  for (const item of bad)
    spec
      .given([])
      .when(create([{ name: 'Ok', price: 1 }, item]), alice)
      .thenRejects('INVALID_ITEM');
  const many = Array.from({ length: 101 }, () => ({ name: 'Tea', price: 1 }));
  spec.given([]).when(create(many), alice).thenRejects('INVALID_ITEM');
});

test('fulfilment moves created → confirmed → shipped → delivered, for operators and the system', () => {
  spec.given([created]).when(command('ConfirmOrder'), eve).then([confirmed]);
  spec.given([created, confirmed]).when(command('ShipOrder'), SYSTEM_CONTEXT).then([shipped]);
  spec.given([created, confirmed, shipped]).when(command('DeliverOrder'), eve).then([delivered]);
});

test('fulfilment by a user is FORBIDDEN, even the owner, even for a missing order', () => {
  for (const type of ['ConfirmOrder', 'ShipOrder', 'DeliverOrder'] as const) {
    spec.given([created, confirmed, shipped]).when(command(type), alice).thenRejects('FORBIDDEN');
    spec.given([]).when(command(type), bob).thenRejects('FORBIDDEN');
  }
});

test('every command on a missing order is ORDER_NOT_FOUND', () => {
  for (const type of ['ConfirmOrder', 'ShipOrder', 'DeliverOrder', 'CancelOrder'] as const) {
    spec.given([]).when(command(type), eve).thenRejects('ORDER_NOT_FOUND');
  }
});

test('every wrong transition is INVALID_TRANSITION', () => {
  const histories: Record<string, OrderEvent[]> = {
    created: [created],
    confirmed: [created, confirmed],
    shipped: [created, confirmed, shipped],
    delivered: [created, confirmed, shipped, delivered],
    cancelled: [created, cancelled('u1')],
  };
  const allowed: Record<string, string> = {
    ConfirmOrder: 'created',
    ShipOrder: 'confirmed',
    DeliverOrder: 'shipped',
  };
  for (const [status, history] of Object.entries(histories)) {
    for (const [type, from] of Object.entries(allowed)) {
      if (status !== from)
        spec
          .given(history)
          .when(command(type as 'ShipOrder'), eve)
          .thenRejects('INVALID_TRANSITION');
    }
    if (status !== 'created' && status !== 'confirmed')
      spec.given(history).when(command('CancelOrder'), eve).thenRejects('INVALID_TRANSITION');
  }
});

test('the owner or an operator cancels before shipping; another user may not', () => {
  const reasons = (context: DecisionContext) => [cancelled(context.principal)];
  spec.given([created]).when(command('CancelOrder'), alice).then(reasons(alice));
  spec.given([created, confirmed]).when(command('CancelOrder'), eve).then(reasons(eve));
  spec
    .given([created])
    .when({ type: 'CancelOrder', data: { ...id, reason: 'changed my mind' } }, alice)
    .then([{ type: 'OrderCancelled', data: { ...who, cancelledBy: 'u1', reason: 'changed my mind' } }]);
  spec.given([created]).when(command('CancelOrder'), bob).thenRejects('FORBIDDEN');
  spec
    .given([created, confirmed, shipped])
    .when(command('CancelOrder'), alice)
    .thenRejects('INVALID_TRANSITION');
});
