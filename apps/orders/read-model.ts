import type { CommandResult, PositionToken } from '@sluice/core';
import type { ChangeFeed, CommandResultReader, PositionWaiter, StreamEvent } from '@sluice/http';
import type { OrderItem, OrderStatus, PriceBand } from '@sluice/orders/domain';
import { type AnyProjection, type ReadSide, type Row, UnknownProjectionError } from '@sluice/store';
import type { BandItem, ItemsByBand, OrderView, ShowView, UserView } from './views.ts';

export type { BandItem, ItemsByBand, OrderView, ShowView, UserView } from './views.ts';

/** Projection names the queries read. */
export const Projections = {
  orders: 'order_status',
  items: 'user_items',
  users: 'users',
  results: 'command_results',
  shows: 'seat_availability',
} as const;

function iso(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'string' ? new Date(value).toISOString() : new Date(0).toISOString();
}

function orderOf(row: Row): OrderView {
  return {
    orderId: String(row.order_id),
    userId: String(row.user_id),
    status: String(row.status) as OrderStatus,
    items: row.items as OrderItem[],
    total: Number(row.total),
    version: Number(row.version),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** The shop's queries over the active versions of its projections. */
export class ShopQueries implements CommandResultReader, PositionWaiter {
  readonly readSide: ReadSide;

  constructor(readSide: ReadSide) {
    this.readSide = readSide;
  }

  async #rows(projection: string, table: string, where: Row): Promise<Row[]> {
    try {
      return await this.readSide.findRows(projection, table, where);
    } catch (error) {
      // Before its projector first ran, a projection has no rows to offer.
      if (error instanceof UnknownProjectionError) return [];
      throw error;
    }
  }

  /** One order, if it exists. */
  async order(orderId: string): Promise<OrderView | undefined> {
    const [row] = await this.#rows(Projections.orders, 'orders', { order_id: orderId });
    return row === undefined ? undefined : orderOf(row);
  }

  /** A user's orders, newest first; every order when `userId` is undefined. */
  async orders(userId?: string): Promise<OrderView[]> {
    const rows = await this.#rows(
      Projections.orders,
      'orders',
      userId === undefined ? {} : { user_id: userId },
    );
    return rows
      .map(orderOf)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || (a.orderId < b.orderId ? -1 : 1));
  }

  /** Orders in one status (the fulfilment worker's to-do list). */
  async ordersIn(status: string): Promise<OrderView[]> {
    return (await this.#rows(Projections.orders, 'orders', { status })).map(orderOf);
  }

  async user(userId: string): Promise<UserView | undefined> {
    const [row] = await this.#rows(Projections.users, 'users', { user_id: userId });
    if (row === undefined) return undefined;
    return { userId, name: String(row.name), createdAt: iso(row.created_at), updatedAt: iso(row.updated_at) };
  }

  /** A user's ordered items grouped by unit-price band, in order and line order. */
  async itemsByBand(userId: string): Promise<ItemsByBand> {
    const bands: Record<PriceBand, BandItem[]> = { cheap: [], affordable: [], expensive: [] };
    for (const row of await this.#rows(Projections.items, 'items', { user_id: userId })) {
      const band = bands[row.band as PriceBand];
      band?.push({
        orderId: String(row.order_id),
        name: String(row.name),
        price: Number(row.price),
        quantity: Number(row.quantity),
      });
    }
    return bands;
  }

  async show(showId: string): Promise<ShowView | undefined> {
    const [row] = await this.#rows(Projections.shows, 'shows', { show_id: showId });
    if (row === undefined) return undefined;
    return {
      showId,
      seats: Number(row.seats),
      available: Number(row.available),
      booked: row.booked as Record<string, string>,
    };
  }

  /** A command's result from the `command_results` projection (the `CommandResultReader` port). */
  async get(commandId: string): Promise<CommandResult | undefined> {
    const [row] = await this.#rows(Projections.results, 'results', { command_id: commandId });
    return row === undefined ? undefined : (row.result as CommandResult);
  }

  /** Read-your-writes (the `PositionWaiter` port). */
  waitFor(projection: string, token: PositionToken, timeoutMs: number): Promise<void> {
    return this.readSide.waitForPosition(projection, token, timeoutMs);
  }
}

/** The user a change belongs to, if any: order rows, item rows and profiles carry `user_id`. */
export function ownerOfChange(event: StreamEvent): string | undefined {
  const row = (event.data as { row?: Row | null } | undefined)?.row;
  return typeof row?.user_id === 'string' ? row.user_id : undefined;
}

/**
 * The change logs of several projections as one feed for `GET /api/stream`. Each projection's log is
 * gap-free in its own order, but they interleave: so an event's `id` carries every projection's
 * position as this subscriber has seen them (`order_status=12.user_items=40`), and a reconnect with
 * `Last-Event-ID` resumes each log exactly where it stopped.
 */
export function mergedChangeFeed(readSide: ReadSide, projections: readonly AnyProjection[]): ChangeFeed {
  return {
    async subscribe(from, onEvent, signal) {
      const resumed = parseFeedPosition(
        from,
        projections.map((projection) => projection.name),
      );
      const seen = new Map<string, bigint>();
      for (const { name } of projections) {
        // A new subscriber starts at the present: the log's history is for resuming, not replaying.
        seen.set(name, resumed.get(name) ?? (await latestPosition(readSide, name)));
      }
      await Promise.all(
        projections.map(async ({ name }) => {
          for await (const entry of readSide.changes(name, seen.get(name) ?? 0n, { signal })) {
            seen.set(name, entry.position);
            const id = formatFeedPosition(seen);
            if (entry.op === 'reset') onEvent({ id, type: 'reset', data: { projection: name } });
            else
              onEvent({
                id,
                type: 'change',
                event: name,
                data: { projection: name, op: entry.op, key: entry.key, row: entry.row },
              });
          }
        }),
      );
    },
  };
}

/** `name=position.name=position`: every projection's place in the merged feed. */
export function formatFeedPosition(positions: ReadonlyMap<string, bigint>): string {
  return [...positions].map(([name, position]) => `${name}=${position}`).join('.');
}

/**
 * Reads a `Last-Event-ID`: the composite form above, or a bare number (one position for every log).
 * Anything unreadable, or a projection it does not name, starts at the present.
 */
export function parseFeedPosition(text: string | undefined, names: readonly string[]): Map<string, bigint> {
  const positions = new Map<string, bigint>();
  if (text === undefined || text === '') return positions;
  if (/^\d{1,19}$/.test(text)) {
    for (const name of names) positions.set(name, BigInt(text));
    return positions;
  }
  const known = new Set(names);
  for (const part of text.split('.')) {
    const match = /^([A-Za-z0-9_-]{1,100})=(\d{1,19})$/.exec(part);
    if (match?.[1] && match[2] && known.has(match[1])) positions.set(match[1], BigInt(match[2]));
  }
  return positions;
}

function latestPosition(readSide: ReadSide, projection: string): Promise<bigint> {
  return readSide.store.lastChangePosition(projection);
}
