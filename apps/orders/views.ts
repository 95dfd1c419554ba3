// What the shop's queries answer, as types only and free of server imports: the server builds these
// (read-model.ts) and the web app reads them (web/src/api.ts), so the two cannot drift apart.
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
