import { randomUUID } from 'node:crypto';
import type { ReadStore } from '../../read-store.ts';
import type { PoisonPolicy } from '../apply-batch.ts';
import type { AnyProjection } from '../projection.ts';
import { defineProjection } from '../projection.ts';
import { Projector } from '../projector.ts';
import type { EventLog, TestEvent } from './event-log.ts';

/** An order's events as the order decider writes them. */
export function orderEvents(
  orderId: string,
  userId: string,
  prices: readonly number[],
  confirm = false,
): TestEvent[] {
  const items = prices.map((price, i) => ({ name: `item ${i}`, price, quantity: 1 }));
  const events: TestEvent[] = [
    { aggregate: 'order', id: orderId, type: 'OrderCreated', data: { orderId, userId, items } },
  ];
  if (confirm)
    events.push({ aggregate: 'order', id: orderId, type: 'OrderConfirmed', data: { orderId, userId } });
  return events;
}

/** A small order projection whose handler throws on events whose `poison` is `tag` until `fix.fixed` is set. */
export function poisonableOrders(name: string, fix: { fixed: boolean }, tag = name) {
  return defineProjection({
    name,
    version: 1,
    topics: ['order-events'],
    tables: {
      orders: {
        name,
        columns: { order_id: 'text', status: 'text', lines: 'integer', version: 'integer' },
        key: ['order_id'],
      },
    },
    async apply(events, { orders }) {
      await orders.load(events.map((e) => ({ order_id: e.metadata.aggregateId })));
      for (const event of events) {
        const data = event.data as { orderId: string; items?: unknown[]; poison?: string };
        if (data.poison === tag && !fix.fixed) throw new Error(`cannot project ${data.orderId}`);
        const version = event.metadata.version;
        if (event.type === 'OrderCreated')
          orders.upsert({
            order_id: data.orderId,
            status: 'created',
            lines: data.items?.length ?? 0,
            version,
          });
        else orders.update({ order_id: data.orderId }, (row) => ({ ...row, status: event.type, version }));
      }
    },
  });
}

/** Starts a projector per projection on a test log; returns them (stop each in `t.after`). */
export async function startProjectors(
  store: ReadStore,
  log: EventLog,
  projections: readonly AnyProjection[],
  options: { poison?: PoisonPolicy; batchDelayMs?: number; retries?: number; retryDelayMs?: number } = {},
): Promise<Projector[]> {
  const projectors = projections.map(
    (projection) =>
      new Projector({
        store,
        connection: log.connection,
        projection,
        topicPrefix: log.prefix,
        holder: `test-${randomUUID().slice(0, 8)}`,
        renewEveryMs: 500,
        retries: options.retries ?? 1,
        retryDelayMs: options.retryDelayMs ?? 10,
        ...(options.poison ? { poison: options.poison } : {}),
        ...(options.batchDelayMs ? { batchDelayMs: options.batchDelayMs } : {}),
      }),
  );
  for (const projector of projectors) await projector.start();
  return projectors;
}
