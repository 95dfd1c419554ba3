/** Operations: projections, every order with its next transition, and new shows. */
import { useState } from 'preact/hooks';
import { type Accepted, call, type Order, type OrderStatus, type Session } from '../api.ts';
import type { LiveFeed } from '../live.ts';
import { useLiveResource } from '../live-resource.ts';
import { Card, Empty, ErrorNotice, Link, Loading, PageTitle, SuccessNotice } from '../ui.tsx';
import { OrderCard } from './order-card.tsx';
import { ProjectionsCard } from './projections.tsx';

const NEXT: Partial<Record<OrderStatus, readonly { step: string; label: string }[]>> = {
  created: [
    { step: 'confirm', label: 'Confirm' },
    { step: 'cancel', label: 'Cancel' },
  ],
  confirmed: [
    { step: 'ship', label: 'Ship' },
    { step: 'cancel', label: 'Cancel' },
  ],
  shipped: [{ step: 'deliver', label: 'Deliver' }],
};

function AllOrdersCard({ session, feed }: { session: Session; feed: LiveFeed }) {
  const orders = useLiveResource(
    '/api/orders',
    () => call<{ orders: Order[] }>(session, 'GET', '/api/orders'),
    {
      feed,
      projections: ['order_status'],
    },
  );
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<unknown>();
  const move = async (orderId: string, step: string): Promise<void> => {
    setBusy(orderId);
    setError(undefined);
    try {
      await call(
        session,
        'POST',
        `/api/orders/${encodeURIComponent(orderId)}/${step}`,
        step === 'cancel' ? {} : undefined,
      );
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(undefined);
    }
  };
  const list = orders.data?.orders;
  return (
    <Card title="Orders" aside={list && <span class="muted">{list.length} in all</span>}>
      {error !== undefined && <ErrorNotice error={error} />}
      {orders.error !== undefined && <ErrorNotice error={orders.error} onRetry={orders.reload} />}
      {list === undefined ? (
        orders.error === undefined && <Loading label="Loading orders…" />
      ) : list.length === 0 ? (
        <Empty title="No orders yet">Orders appear here as shoppers place them.</Empty>
      ) : (
        <div class="order-grid order-grid-compact">
          {list.slice(0, 50).map((order) => (
            <OrderCard key={order.orderId} order={order} showOwner>
              {(NEXT[order.status] ?? []).map(({ step, label }) => (
                <button
                  key={step}
                  type="button"
                  class={step === 'cancel' ? 'button button-danger button-small' : 'button button-small'}
                  disabled={busy === order.orderId}
                  onClick={() => move(order.orderId, step)}
                >
                  {label}
                </button>
              ))}
            </OrderCard>
          ))}
        </div>
      )}
    </Card>
  );
}

function NewShowCard({ session }: { session: Session }) {
  const [showId, setShowId] = useState('');
  const [seats, setSeats] = useState('24');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ error?: unknown; created?: string }>({});
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setOutcome({});
    try {
      const body = { seats: Number(seats), ...(showId.trim() === '' ? {} : { showId: showId.trim() }) };
      const accepted = await call<Accepted>(session, 'POST', '/api/shows', body);
      setOutcome({ created: accepted.aggregateId ?? showId.trim() });
      setShowId('');
    } catch (error) {
      setOutcome({ error });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="New show">
      <form class="stack" onSubmit={submit} noValidate>
        <label class="field">
          <span>Show id (optional)</span>
          <input
            name="showId"
            value={showId}
            placeholder="e.g. hamlet-friday"
            onInput={(e) => setShowId(e.currentTarget.value)}
          />
        </label>
        <label class="field">
          <span>Seats</span>
          <input
            name="seats"
            type="number"
            min="1"
            max="10000"
            value={seats}
            onInput={(e) => setSeats(e.currentTarget.value)}
          />
        </label>
        {outcome.error !== undefined && <ErrorNotice error={outcome.error} />}
        {outcome.created && (
          <SuccessNotice>
            Show created:{' '}
            <Link href={`/shows/${encodeURIComponent(outcome.created)}`}>{outcome.created}</Link>
          </SuccessNotice>
        )}
        <button type="submit" class="button button-primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create show'}
        </button>
      </form>
    </Card>
  );
}

export function OperatorPage({ session, feed }: { session: Session; feed: LiveFeed }) {
  return (
    <>
      <PageTitle title="Operations" lead="Read models, their lag and rebuilds; orders moved along by hand." />
      <div class="columns columns-wide">
        <div class="stack">
          <ProjectionsCard session={session} />
          <NewShowCard session={session} />
        </div>
        <AllOrdersCard session={session} feed={feed} />
      </div>
    </>
  );
}
