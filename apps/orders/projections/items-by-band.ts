import { type OrderItem, priceBand } from '@sluice/orders/domain';
import { defineProjection, SqlTx } from '@sluice/store';

/**
 * A row per (user, order, item) with the item's unit-price band, for "my items by band". Items stay
 * listed when an order is cancelled: they were ordered.
 */
export const itemsByBandProjection = defineProjection({
  name: 'user_items',
  version: 1,
  topics: ['order-events'],
  tables: {
    items: {
      name: 'user_items',
      columns: {
        user_id: 'text',
        order_id: 'text',
        line: 'integer',
        name: 'text',
        price: 'integer',
        quantity: 'integer',
        band: 'text',
      },
      key: ['user_id', 'order_id', 'line'],
    },
  },
  async migrate(tx, { items }) {
    if (tx instanceof SqlTx)
      await tx.db.schema
        .createIndex(`${items.name}_band`)
        .ifNotExists()
        .on(`${items.schema}.${items.name}`)
        .columns(['user_id', 'band'])
        .execute();
  },
  apply(events, { items }) {
    for (const event of events) {
      if (event.type !== 'OrderCreated') continue;
      const data = event.data as { orderId: string; userId: string; items: readonly OrderItem[] };
      for (const [line, item] of data.items.entries()) {
        items.upsert({
          user_id: data.userId,
          order_id: data.orderId,
          line,
          name: item.name,
          price: item.price,
          quantity: item.quantity,
          band: priceBand(item.price),
        });
      }
    }
  },
});
