import { StoreError } from '../errors.ts';
import type { ProjectionError } from '../read-store.ts';

/** The projector's lease expired or was taken over: the batch must not be written. */
export class LeaseLostError extends StoreError {
  constructor(projection: string, version: number, holder: string) {
    super('LEASE_LOST', `${holder} no longer holds the lease of ${projection} v${version}`, true);
  }
}

/** An event the projection could not apply after retries, under the `stop` policy. */
export class PoisonEventError extends StoreError {
  readonly detail: ProjectionError;

  constructor(projection: string, detail: ProjectionError) {
    const at = detail.event
      ? ` at ${detail.event.topic}/${detail.event.partition}@${detail.event.offset}`
      : '';
    super('POISON_EVENT', `${projection} stopped${at}: ${detail.message}`);
    this.detail = detail;
  }
}

/** A query waited for a position token longer than its bound. */
export class ProjectionBehindError extends StoreError {
  readonly projection: string;
  readonly timeoutMs: number;

  constructor(projection: string, timeoutMs: number) {
    super(
      'PROJECTION_BEHIND',
      `${projection} did not reach the requested position within ${timeoutMs} ms`,
      true,
    );
    this.projection = projection;
    this.timeoutMs = timeoutMs;
  }
}

/** A projection name the application does not define, or one with no active version yet. */
export class UnknownProjectionError extends StoreError {
  constructor(projection: string, why = 'is not defined') {
    super('UNKNOWN_PROJECTION', `projection ${projection} ${why}`);
  }
}

/** Describes anything thrown as a projection error. */
export function projectionErrorOf(error: unknown, event?: ProjectionError['event']): ProjectionError {
  const message = error instanceof Error ? error.message : String(error);
  const code =
    typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
      ? error.code
      : undefined;
  return { message, ...(code === undefined ? {} : { code }), ...(event === undefined ? {} : { event }) };
}

/** The version under way is the code's own, which its projectors build: not a rebuild to cancel. */
export class RebuildNotCancellableError extends StoreError {
  constructor(projection: string, version: number) {
    super(
      'REBUILD_NOT_CANCELLABLE',
      `${projection} v${version} is this code's version: its projectors build it, it cannot be cancelled`,
    );
  }
}
