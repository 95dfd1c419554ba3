/** My orders, newest first, with their status changing live; cancel while not yet shipped. */
import { useState } from 'preact/hooks';
import { call, type Order, type Session } from '../api.ts';
import { shortId } from '../format.ts';
import type { LiveFeed } from '../live.ts';
import { useLiveResource } from '../live-resource.ts';
import { Empty, ErrorNotice, Link, Loading, PageTitle, SuccessNotice } from '../ui.tsx';
import { OrderCard } from './order-card.tsx';

const CANCELLABLE = new Set(['created', 'confirmed']);

export function OrdersPage({ session, feed }: { session: Session; feed: LiveFeed }) {
  const orders = useLiveResource(
    '/api/orders',
    () => call<{ orders: Order[] }>(session, 'GET', '/api/orders'),
    {
      feed,
      projections: ['order_status'],
    },
  );
  const [busy, setBusy] = useState<string>();
  const [outcome, setOutcome] = useState<{ error?: unknown; done?: string }>({});

  const cancel = async (orderId: string): Promise<void> => {
    setBusy(orderId);
    setOutcome({});
    try {
      await call(session, 'POST', `/api/orders/${encodeURIComponent(orderId)}/cancel`, {});
      setOutcome({ done: `Order ${shortId(orderId)} is cancelled.` });
    } catch (error) {
      setOutcome({ error });
    } finally {
      setBusy(undefined);
    }
  };

  const list = orders.data?.orders;
  return (
    <>
      <PageTitle title="My orders" lead="Status changes arrive as the shop fulfils each order." />
      {outcome.error !== undefined && <ErrorNotice error={outcome.error} />}
      {outcome.done && <SuccessNotice>{outcome.done}</SuccessNotice>}
      {orders.error !== undefined && <ErrorNotice error={orders.error} onRetry={orders.reload} />}
      {list === undefined ? (
        orders.error === undefined && <Loading label="Loading your orders…" />
      ) : list.length === 0 ? (
        <Empty title="No orders yet">
          <Link href="/">Place your first order</Link>
        </Empty>
      ) : (
        <div class="order-grid" data-testid="orders">
          {list.map((order) => (
            <OrderCard key={order.orderId} order={order}>
              {CANCELLABLE.has(order.status) && (
                <button
                  type="button"
                  class="button button-danger button-small"
                  disabled={busy === order.orderId}
                  onClick={() => cancel(order.orderId)}
                >
                  {busy === order.orderId ? 'Cancelling…' : 'Cancel order'}
                </button>
              )}
            </OrderCard>
          ))}
        </div>
      )}
    </>
  );
}
