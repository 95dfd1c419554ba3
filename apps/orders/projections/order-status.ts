import type { OrderItem } from '@sluice/orders/domain';
import { defineProjection, type ProjectionEvent, recordedAtText, SqlTx } from '@sluice/store';

type OrderEventData = { orderId: string; userId: string; items?: readonly OrderItem[]; reason?: string };

const STATUS_OF: Readonly<Record<string, string>> = {
  OrderCreated: 'created',
  OrderConfirmed: 'confirmed',
  OrderShipped: 'shipped',
  OrderDelivered: 'delivered',
  OrderCancelled: 'cancelled',
};

/** One row per order: its items, total, status, owner and when it last changed. */
export const orderStatusProjection = defineProjection({
  name: 'order_status',
  version: 1,
  topics: ['order-events'],
  tables: {
    orders: {
      name: 'order_status',
      columns: {
        order_id: 'text',
        user_id: 'text',
        items: 'jsonb',
        total: 'bigint',
        status: 'text',
        created_at: 'timestamptz',
        updated_at: 'timestamptz',
        version: 'integer',
      },
      key: ['order_id'],
    },
  },
  async migrate(tx, { orders }) {
    if (tx instanceof SqlTx)
      await tx.db.schema
        .createIndex(`${orders.name}_user`)
        .ifNotExists()
        .on(`${orders.schema}.${orders.name}`)
        .column('user_id')
        .execute();
  },
  async apply(events, { orders }) {
    await orders.load(events.map((e) => ({ order_id: dataOf(e).orderId })));
    for (const event of events) {
      const data = dataOf(event);
      const status = STATUS_OF[event.type];
      if (status === undefined) continue;
      const at = recordedAtText(event);
      if (event.type === 'OrderCreated') {
        const items = data.items ?? [];
        orders.upsert({
          order_id: data.orderId,
          user_id: data.userId,
          items,
          total: items.reduce((sum, item) => sum + BigInt(item.price) * BigInt(item.quantity), 0n),
          status,
          created_at: at,
          updated_at: at,
          version: event.metadata.version,
        });
      } else {
        orders.update({ order_id: data.orderId }, (row) => ({
          ...row,
          status,
          updated_at: at,
          version: event.metadata.version,
        }));
      }
    }
  },
});

function dataOf(event: ProjectionEvent): OrderEventData {
  return event.data as unknown as OrderEventData;
}
