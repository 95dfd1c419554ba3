/** The shopper's home: a new order, and every item ordered so far grouped by unit price. */
import { type Band, call, type ItemsByBand, type Session } from '../api.ts';
import { money, plural, shortId } from '../format.ts';
import type { LiveFeed } from '../live.ts';
import { useLiveResource } from '../live-resource.ts';
import { Card, Empty, ErrorNotice, Loading, PageTitle } from '../ui.tsx';
import { OrderForm } from './order-form.tsx';

const BANDS: readonly { band: Band; title: string; range: string }[] = [
  { band: 'cheap', title: 'Cheap', range: 'under £5' },
  { band: 'affordable', title: 'Affordable', range: '£5 to £50' },
  { band: 'expensive', title: 'Expensive', range: 'over £50' },
];

function ItemsByBandCard({ session, feed }: { session: Session & { kind: 'user' }; feed: LiveFeed }) {
  const path = `/api/users/${encodeURIComponent(session.userId)}/items`;
  const items = useLiveResource(path, () => call<ItemsByBand>(session, 'GET', path), {
    feed,
    projections: ['user_items'],
  });
  const count = items.data ? BANDS.reduce((n, { band }) => n + items.data![band].length, 0) : 0;
  return (
    <Card
      title="My items by price"
      testId="items-by-band"
      aside={items.data && <span class="muted">{plural(count, 'line')}</span>}
    >
      {items.error !== undefined && <ErrorNotice error={items.error} onRetry={items.reload} />}
      {items.data === undefined ? (
        items.error === undefined && <Loading label="Loading your items…" />
      ) : (
        <div class="bands">
          {BANDS.map(({ band, title, range }) => {
            const lines = items.data![band];
            return (
              <div class={`band band-${band}`} key={band} data-testid={`band-${band}`}>
                <h3>
                  {title} <span class="muted">{range}</span>
                </h3>
                {lines.length === 0 ? (
                  <p class="band-empty">Nothing yet</p>
                ) : (
                  <ul class="band-items">
                    {lines.map((item) => (
                      <li key={`${item.orderId}/${item.name}/${item.price}`} data-testid="band-item">
                        <span class="item-name">{item.name}</span>
                        <span class="item-price">
                          {item.quantity > 1 && <span class="muted">{item.quantity} × </span>}
                          {money(item.price)}
                        </span>
                        <span class="item-order muted">Order {shortId(item.orderId)}</span>
                      </li>
                    ))}
                  </ul>
                )}
              </div>
            );
          })}
        </div>
      )}
      {items.data && count === 0 && (
        <Empty title="No items yet">
          Place an order: each item lands in its band as soon as it is processed.
        </Empty>
      )}
    </Card>
  );
}

export function ShopPage({ session, feed }: { session: Session; feed: LiveFeed }) {
  if (session.kind !== 'user') return null;
  return (
    <>
      <PageTitle
        title="Shop"
        lead="Place an order; its items are sorted by unit price as they are processed."
      />
      <div class="columns">
        <OrderForm session={session} />
        <ItemsByBandCard session={session} feed={feed} />
      </div>
    </>
  );
}
