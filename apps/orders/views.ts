// What the shop's queries and operator routes answer, as types only and free of server imports: the
// server builds these (read-model.ts, projection-admin.ts) and the web app reads them (web/src/api.ts),
// so the two cannot drift apart.
import type { PriceBand } from './domain/order/price-band.ts';
import type { OrderItem, OrderStatus } from './domain/order/values.ts';

export type { OrderItem, OrderStatus, PriceBand };

/** An order as the API shows it. */
export interface OrderView {
  readonly orderId: string;
  readonly userId: string;
  readonly status: OrderStatus;
  readonly items: readonly OrderItem[];
  /** Sum of price × quantity, in pence. */
  readonly total: number;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** One line of "my items by band". */
export interface BandItem extends OrderItem {
  readonly orderId: string;
}

export type ItemsByBand = Readonly<Record<PriceBand, readonly BandItem[]>>;

export interface UserView {
  readonly userId: string;
  readonly name: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface ShowView {
  readonly showId: string;
  readonly seats: number;
  readonly available: number;
  /** Seat number → holder. */
  readonly booked: Readonly<Record<string, string>>;
}

/** Progress of a rebuild as JSON (offsets as decimal strings). */
export interface RebuildView {
  readonly projection: string;
  readonly version: number;
  readonly state: 'running' | 'done' | 'failed';
  readonly done: string;
  readonly total: string;
  readonly eventsPerSecond: number;
  readonly etaSeconds?: number;
  readonly caughtUp: boolean;
  readonly active: boolean;
  readonly error?: string;
  /** Rebuilds: whether this process builds it, or leaves it to the projector processes (an API process). */
  readonly builtHere?: boolean;
}

/** Why a projection version stopped (its offset as a decimal string). */
export interface ProjectionErrorView {
  readonly message: string;
  readonly code?: string;
  readonly event?:
    | { readonly topic: string; readonly partition: number; readonly offset: string }
    | undefined;
}

/** Lag of the serving version on one source partition (offsets as decimal strings). */
export interface PartitionLagView {
  readonly topic: string;
  readonly partition: number;
  readonly nextOffset: string;
  readonly endOffset: string;
  readonly lag: string;
}

/** A projection's status for operators. */
export interface ProjectionStatusView {
  readonly projection: string;
  readonly activeVersion?: number;
  readonly versions: readonly {
    readonly version: number;
    readonly state: string;
    readonly lastError?: ProjectionErrorView;
    readonly updatedAt: string;
  }[];
  readonly partitions?: readonly PartitionLagView[];
  /** The in-process projector's progress, when this process runs it. */
  readonly progress?: Omit<RebuildView, 'state'>;
  readonly rebuild?: RebuildView;
}
