import {
  actsFor,
  type Command,
  type Decider,
  type DecisionContext,
  ErrorCodes,
  type Event,
  isPrivileged,
  reject,
} from '@sluice/core';
import type { OrderItem, OrderStatus } from './values.ts';

export type { OrderItem, OrderStatus } from './values.ts';

/** Rejection codes of the order aggregate. */
export const OrderCodes = {
  ORDER_NOT_FOUND: 'ORDER_NOT_FOUND',
  ORDER_EXISTS: 'ORDER_EXISTS',
  INVALID_TRANSITION: 'INVALID_TRANSITION',
  EMPTY_ORDER: 'EMPTY_ORDER',
  INVALID_ITEM: 'INVALID_ITEM',
  FORBIDDEN: ErrorCodes.FORBIDDEN,
} as const;

/** Bounds of an order line; prices are integer pence. */
export const ItemLimits = {
  maxItems: 100,
  maxNameLength: 200,
  maxPrice: 10_000_000,
  maxQuantity: 1000,
} as const;

/** An order line as the customer sends it: quantity defaults to 1. */
export type ItemInput = { readonly name: string; readonly price: number; readonly quantity?: number };

export type CreateOrder = Command<
  'CreateOrder',
  { orderId: string; userId: string; items: readonly ItemInput[] }
>;
export type ConfirmOrder = Command<'ConfirmOrder', { orderId: string }>;
export type ShipOrder = Command<'ShipOrder', { orderId: string }>;
export type DeliverOrder = Command<'DeliverOrder', { orderId: string }>;
export type CancelOrder = Command<'CancelOrder', { orderId: string; reason?: string }>;
export type OrderCommand = CreateOrder | ConfirmOrder | ShipOrder | DeliverOrder | CancelOrder;

export type OrderCreated = Event<
  'OrderCreated',
  { orderId: string; userId: string; items: readonly OrderItem[] }
>;
export type OrderConfirmed = Event<'OrderConfirmed', { orderId: string; userId: string }>;
export type OrderShipped = Event<'OrderShipped', { orderId: string; userId: string }>;
export type OrderDelivered = Event<'OrderDelivered', { orderId: string; userId: string }>;
export type OrderCancelled = Event<
  'OrderCancelled',
  { orderId: string; userId: string; cancelledBy: string; reason?: string }
>;
export type OrderEvent = OrderCreated | OrderConfirmed | OrderShipped | OrderDelivered | OrderCancelled;

export type OrderState =
  | { readonly status: 'absent' }
  | {
      readonly status: OrderStatus;
      readonly orderId: string;
      readonly userId: string;
      readonly items: readonly OrderItem[];
    };

type ExistingOrder = Exclude<OrderState, { status: 'absent' }>;

/** The status each fulfilment command moves an order from and to. */
const FULFILMENT = {
  ConfirmOrder: { from: 'created', to: 'confirmed', event: 'OrderConfirmed' },
  ShipOrder: { from: 'confirmed', to: 'shipped', event: 'OrderShipped' },
  DeliverOrder: { from: 'shipped', to: 'delivered', event: 'OrderDelivered' },
} as const;

/** Checks and normalises order lines; rejects `EMPTY_ORDER` or `INVALID_ITEM` naming the line. */
export function validateItems(items: readonly ItemInput[]): OrderItem[] {
  if (items.length === 0) reject(OrderCodes.EMPTY_ORDER, 'an order needs at least one item');
  if (items.length > ItemLimits.maxItems)
    reject(OrderCodes.INVALID_ITEM, `an order has at most ${ItemLimits.maxItems} items`);
  return items.map((item, index) => {
    const quantity = item.quantity ?? 1;
    const nameLength = [...item.name].length;
    const problem =
      nameLength < 1 || nameLength > ItemLimits.maxNameLength || item.name.trim() === ''
        ? `a name of 1 to ${ItemLimits.maxNameLength} characters`
        : !Number.isSafeInteger(item.price) || item.price < 0 || item.price > ItemLimits.maxPrice
          ? `a price in whole pence from 0 to ${ItemLimits.maxPrice}`
          : !Number.isSafeInteger(quantity) || quantity < 1 || quantity > ItemLimits.maxQuantity
            ? `a quantity from 1 to ${ItemLimits.maxQuantity}`
            : undefined;
    if (problem !== undefined)
      reject(OrderCodes.INVALID_ITEM, `item ${index} needs ${problem}`, {
        details: { path: `items[${index}]` },
      });
    return { name: item.name, price: item.price, quantity };
  });
}

function existing(state: OrderState, orderId: string): ExistingOrder {
  if (state.status === 'absent') reject(OrderCodes.ORDER_NOT_FOUND, `order ${orderId} does not exist`);
  return state;
}

function transitionError(order: ExistingOrder, to: OrderStatus): never {
  reject(OrderCodes.INVALID_TRANSITION, `order ${order.orderId} is ${order.status}; it cannot become ${to}`, {
    details: { from: order.status, to },
  });
}

function decide(command: OrderCommand, state: OrderState, context: DecisionContext): OrderEvent[] {
  switch (command.type) {
    case 'CreateOrder': {
      const { orderId, userId } = command.data;
      if (!actsFor(context, userId))
        reject(OrderCodes.FORBIDDEN, `${context.principal} may not order as ${userId}`);
      if (state.status !== 'absent') reject(OrderCodes.ORDER_EXISTS, `order ${orderId} already exists`);
      return [{ type: 'OrderCreated', data: { orderId, userId, items: validateItems(command.data.items) } }];
    }
    case 'ConfirmOrder':
    case 'ShipOrder':
    case 'DeliverOrder': {
      // Checked before existence, so users learn nothing about orders they cannot touch.
      if (!isPrivileged(context))
        reject(OrderCodes.FORBIDDEN, `${command.type} is for operators and the system only`);
      const order = existing(state, command.data.orderId);
      const step = FULFILMENT[command.type];
      if (order.status !== step.from) transitionError(order, step.to);
      return [{ type: step.event, data: { orderId: order.orderId, userId: order.userId } }];
    }
    case 'CancelOrder': {
      const order = existing(state, command.data.orderId);
      if (!actsFor(context, order.userId))
        reject(OrderCodes.FORBIDDEN, `${context.principal} may not cancel order ${order.orderId}`);
      if (order.status !== 'created' && order.status !== 'confirmed') transitionError(order, 'cancelled');
      const { reason } = command.data;
      const data = { orderId: order.orderId, userId: order.userId, cancelledBy: context.principal };
      return [{ type: 'OrderCancelled', data: reason === undefined ? data : { ...data, reason } }];
    }
  }
}

function evolve(state: OrderState, event: OrderEvent): OrderState {
  switch (event.type) {
    case 'OrderCreated':
      return { status: 'created', ...event.data };
    case 'OrderConfirmed':
      return { ...(state as ExistingOrder), status: 'confirmed' };
    case 'OrderShipped':
      return { ...(state as ExistingOrder), status: 'shipped' };
    case 'OrderDelivered':
      return { ...(state as ExistingOrder), status: 'delivered' };
    case 'OrderCancelled':
      return { ...(state as ExistingOrder), status: 'cancelled' };
  }
}

/**
 * An order: created by its user (or an operator), then confirmed → shipped → delivered by operators
 * and the system, or cancelled by its owner or an operator before it ships.
 */
export const orderDecider: Decider<OrderState, OrderCommand, OrderEvent> = {
  initialState: () => ({ status: 'absent' }),
  decide,
  evolve,
  stateRevision: 1,
};
