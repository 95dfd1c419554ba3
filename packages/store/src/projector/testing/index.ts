/** Test support for projections: event topics written like the processor writes them, fresh stores. */
export { EventLog, type TestEvent } from './event-log.ts';
export { orderEvents, poisonableOrders, startProjectors } from './shop-fixtures.ts';
export {
  dropSchema,
  eventually,
  openTestStore,
  postgresUnavailable,
  type TestStore,
  testConnectionString,
} from './test-stores.ts';
