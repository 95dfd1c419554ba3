/** One order: its progress through fulfilment, its lines and what can still be done with it. */
import type { ComponentChildren } from 'preact';
import type { Order, OrderStatus } from '../api.ts';
import { money, shortId, when } from '../format.ts';

const STEPS: readonly OrderStatus[] = ['created', 'confirmed', 'shipped', 'delivered'];
const LABEL: Readonly<Record<OrderStatus, string>> = {
  created: 'Placed',
  confirmed: 'Confirmed',
  shipped: 'Shipped',
  delivered: 'Delivered',
  cancelled: 'Cancelled',
};

export function StatusPill({ status }: { status: OrderStatus }) {
  return (
    <span class={`pill pill-${status}`} data-testid="order-status" data-status={status}>
      {LABEL[status] ?? status}
    </span>
  );
}

function Progress({ status }: { status: OrderStatus }) {
  if (status === 'cancelled') return null;
  const reached = STEPS.indexOf(status);
  return (
    <ol class="steps" aria-label="Progress">
      {STEPS.map((step, index) => (
        <li key={step} class={index <= reached ? 'step step-done' : 'step'}>
          {LABEL[step]}
        </li>
      ))}
    </ol>
  );
}

/** An order with its actions (passed in: a shopper and an operator may do different things). */
export function OrderCard({
  order,
  children,
  showOwner = false,
}: {
  order: Order;
  children?: ComponentChildren;
  showOwner?: boolean;
}) {
  return (
    <article class="order" data-testid="order" data-order-id={order.orderId}>
      <header class="order-header">
        <div>
          <h3>Order {shortId(order.orderId)}</h3>
          <p class="muted">
            {when(order.createdAt)}
            {showOwner && <> · {order.userId}</>}
          </p>
        </div>
        <StatusPill status={order.status} />
      </header>
      <Progress status={order.status} />
      <ul class="order-lines">
        {order.items.map((item, index) => (
          <li key={index}>
            <span>
              {item.quantity ?? 1} × {item.name}
            </span>
            <span>{money(item.price * (item.quantity ?? 1))}</span>
          </li>
        ))}
      </ul>
      <footer class="order-footer">
        <span>
          Total <strong>{money(order.total)}</strong>
        </span>
        <div class="order-actions">{children}</div>
      </footer>
    </article>
  );
}
