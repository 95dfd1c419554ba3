/** An app module for the `sluice projections` tests: one order projection, PostgreSQL in a test schema. */
import { defineProjection, type StoreConfig } from '@sluice/store';

const orders = defineProjection({
  name: 'cli_orders',
  version: 1,
  topics: ['order-events'],
  tables: {
    orders: { name: 'cli_orders', columns: { order_id: 'text', status: 'text' }, key: ['order_id'] },
  },
  apply(events, { orders: table }) {
    for (const e of events)
      if (e.type === 'OrderCreated') table.upsert({ order_id: e.metadata.aggregateId, status: 'created' });
  },
});

export const projections = [orders];
export const store: StoreConfig = {
  kind: 'postgres',
  ...(process.env.DATABASE_URL ? { connectionString: process.env.DATABASE_URL } : {}),
  schema: process.env.SLUICE_CLI_TEST_SCHEMA ?? 'sluice_cli_test',
};
export const topicPrefix = process.env.SLUICE_CLI_TEST_PREFIX ?? '';
