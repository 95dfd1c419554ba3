/** The booking example's read model and store: what `sluice projections --app` loads. */
import { type AnyProjection, storeConfigFromEnv } from '@sluice/store';
import { seatAvailabilityProjection } from './seat-availability.ts';

export { seatAvailabilityProjection } from './seat-availability.ts';

export const projections: readonly AnyProjection[] = [seatAvailabilityProjection];
export const store = storeConfigFromEnv();
export const topicPrefix = process.env.SLUICE_TOPIC_PREFIX ?? '';
