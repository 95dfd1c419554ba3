import type { KafkaConnection } from '@sluice/kafka';
import type { ReadStore } from '../read-store.ts';
import type { BatchOutcome, PoisonPolicy } from './apply-batch.ts';
import type { AnyProjection } from './projection.ts';

/** Settings of a {@link Projector}. */
export interface ProjectorOptions {
  readonly store: ReadStore;
  readonly connection: KafkaConnection;
  readonly projection: AnyProjection;
  /** Deployment topic prefix, e.g. `shop.`. */
  readonly topicPrefix?: string;
  /** Version to build; default the projection's version, or the active one when that is newer. */
  readonly version?: number;
  /** Lease holder name; default `<host>/<pid>/<random>`. */
  readonly holder?: string;
  /**
   * How long the lease lasts unrenewed (default 6 s); on PostgreSQL also the longest a batch's
   * transaction may sit idle before the server ends its session (a frozen holder's locks go).
   */
  readonly leaseTtlMs?: number;
  readonly renewEveryMs?: number;
  readonly poison?: PoisonPolicy;
  /** Retries of a failing batch (with doubling delays) before events are isolated. */
  readonly retries?: number;
  readonly retryDelayMs?: number;
  /** Switch to a newer active version built elsewhere (a CLI rebuild). Default true. */
  readonly followActive?: boolean;
  /** Stop once this version is active and caught up (a rebuild run by the CLI). */
  readonly stopWhenActive?: boolean;
  /**
   * With `stopWhenActive`: build the version even if an operator cancelled it (state `stopped`), as
   * `sluice projections rebuild --version N` asks; otherwise such a projector stops at once.
   */
  readonly resumeCancelled?: boolean;
  /** A pause before every fetch, to throttle the projector (tests). */
  readonly batchDelayMs?: number;
  readonly maxWaitMs?: number;
  /** How long a retired version's tables stay for queries in flight before they are dropped. Default 10 min. */
  readonly dropGraceMs?: number;
  /** Bytes fetched per partition per round. Default 1 MiB. */
  readonly partitionMaxBytes?: number;
  /** Most records applied in one transaction; the rest of a round is fetched again. Default 20,000. */
  readonly maxBatchRecords?: number;
}

/** What a committed batch did, emitted as `batch`. */
export interface BatchReport extends BatchOutcome {
  readonly version: number;
  readonly holder: string;
  readonly records: number;
}
