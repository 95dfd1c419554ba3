import {
  type Command,
  createCommandRegistry,
  type Decider,
  defineCommand,
  type Event,
  s,
} from '@sluice/core';
import { ItemLimits, orderDecider } from './order/order.ts';
import { userDecider } from './user/user.ts';

// Schemas check JSON shapes and bound sizes; business rules (name length, prices) live in the deciders,
// so a decider never trusts its caller.
const orderId = { orderId: s.id() };

/** The shop's command types: type → aggregate, id field, schema. */
export const shopCommands = createCommandRegistry([
  defineCommand({
    type: 'UpdateUser',
    aggregate: 'user',
    idField: 'userId',
    schema: s.object({ userId: s.id(), newName: s.string({ maxLength: 10_000 }) }),
  }),
  defineCommand({
    type: 'CreateOrder',
    aggregate: 'order',
    idField: 'orderId',
    creates: true,
    schema: s.object({
      orderId: s.optional(s.id()),
      userId: s.id(),
      items: s.array(
        s.object({
          name: s.string({ maxLength: 10_000 }),
          price: s.integer(),
          quantity: s.optional(s.integer(), 1),
        }),
        { maxItems: ItemLimits.maxItems },
      ),
    }),
  }),
  defineCommand({ type: 'ConfirmOrder', aggregate: 'order', idField: 'orderId', schema: s.object(orderId) }),
  defineCommand({ type: 'ShipOrder', aggregate: 'order', idField: 'orderId', schema: s.object(orderId) }),
  defineCommand({ type: 'DeliverOrder', aggregate: 'order', idField: 'orderId', schema: s.object(orderId) }),
  defineCommand({
    type: 'CancelOrder',
    aggregate: 'order',
    idField: 'orderId',
    schema: s.object({ ...orderId, reason: s.optional(s.string({ maxLength: 500 })) }),
  }),
]);

/** The shop's deciders by aggregate type. */
export const shopDeciders: Readonly<Record<string, Decider<unknown, Command, Event>>> = {
  user: userDecider,
  order: orderDecider,
};
