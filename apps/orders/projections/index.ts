/** The shop's read models, and where they are stored: what `sluice projections --app` loads. */
import { type AnyProjection, storeConfigFromEnv } from '@sluice/store';
import { commandResultsProjection } from './command-results.ts';
import { itemsByBandProjection } from './items-by-band.ts';
import { orderStatusProjection } from './order-status.ts';
import { usersProjection } from './users.ts';

export { commandResultsProjection } from './command-results.ts';
export { itemsByBandProjection } from './items-by-band.ts';
export { orderStatusProjection } from './order-status.ts';
export { usersProjection } from './users.ts';

/** Every projection of the shop. */
export const projections: readonly AnyProjection[] = [
  orderStatusProjection,
  itemsByBandProjection,
  usersProjection,
  commandResultsProjection,
];

/** The read store, from the environment (`DATABASE_URL`, `SLUICE_READ_STORE`). */
export const store = storeConfigFromEnv();

/** The deployment's topic prefix. */
export const topicPrefix = process.env.SLUICE_TOPIC_PREFIX ?? '';
