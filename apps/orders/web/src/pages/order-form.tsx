/** A new order: lines of name, unit price (pounds) and quantity. */
import { useState } from 'preact/hooks';
import { type Accepted, ApiError, call, type OrderItem, type Session } from '../api.ts';
import { money, parsePence, shortId } from '../format.ts';
import { Card, ErrorNotice, SuccessNotice } from '../ui.tsx';

interface Line {
  readonly key: number;
  readonly name: string;
  readonly price: string;
  readonly quantity: string;
}

let nextKey = 1;
const blank = (): Line => ({ key: nextKey++, name: '', price: '', quantity: '1' });

/** The lines as order items, or the first problem with them. */
function itemsOf(lines: readonly Line[]): OrderItem[] | string {
  const items: OrderItem[] = [];
  for (const [index, line] of lines.entries()) {
    const which = `Line ${index + 1}`;
    const name = line.name.trim();
    if (name === '' && line.price.trim() === '') continue;
    if (name === '') return `${which}: name the item.`;
    const price = parsePence(line.price);
    if (price === undefined) return `${which}: the price must be in pounds, like 4.99.`;
    const quantity = Number(line.quantity);
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > 1000)
      return `${which}: the quantity must be a whole number from 1 to 1000.`;
    items.push({ name, price, quantity });
  }
  return items.length === 0 ? 'Add at least one item.' : items;
}

export function OrderForm({ session }: { session: Session }) {
  const [lines, setLines] = useState<Line[]>(() => [blank()]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [placed, setPlaced] = useState<{ orderId: string; pending: boolean }>();

  const update = (key: number, field: 'name' | 'price' | 'quantity', value: string): void =>
    setLines((current) => current.map((line) => (line.key === key ? { ...line, [field]: value } : line)));
  const items = itemsOf(lines);
  const total =
    typeof items === 'string' ? undefined : items.reduce((sum, i) => sum + i.price * i.quantity, 0);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (typeof items === 'string') {
      setError(new ApiError(400, 'INVALID_ORDER', 'The order is not complete', items));
      return;
    }
    setBusy(true);
    setError(undefined);
    setPlaced(undefined);
    try {
      const accepted = await call<Accepted>(session, 'POST', '/api/orders', { items });
      setPlaced({
        orderId: accepted.orderId ?? accepted.aggregateId ?? accepted.commandId,
        pending: accepted.status === 'pending',
      });
      setLines([blank()]);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title="New order" testId="order-form">
      <form onSubmit={submit} noValidate>
        <div class="lines">
          <div class="line line-head" aria-hidden="true">
            <span>Item</span>
            <span>Unit price (£)</span>
            <span>Qty</span>
            <span />
          </div>
          {lines.map((line, index) => (
            <div class="line" key={line.key} data-testid="order-line">
              <input
                aria-label={`Item ${index + 1} name`}
                name="name"
                placeholder="Item name"
                value={line.name}
                onInput={(e) => update(line.key, 'name', e.currentTarget.value)}
              />
              <input
                aria-label={`Item ${index + 1} unit price in pounds`}
                name="price"
                inputMode="decimal"
                placeholder="0.00"
                value={line.price}
                onInput={(e) => update(line.key, 'price', e.currentTarget.value)}
              />
              <input
                aria-label={`Item ${index + 1} quantity`}
                name="quantity"
                type="number"
                min="1"
                max="1000"
                value={line.quantity}
                onInput={(e) => update(line.key, 'quantity', e.currentTarget.value)}
              />
              <button
                type="button"
                class="icon-button"
                aria-label={`Remove item ${index + 1}`}
                disabled={lines.length === 1}
                onClick={() => setLines((current) => current.filter((l) => l.key !== line.key))}
              >
                ×
              </button>
            </div>
          ))}
        </div>
        <div class="form-actions">
          <button
            type="button"
            class="button button-quiet"
            data-testid="add-line"
            disabled={lines.length >= 100}
            onClick={() => setLines((current) => [...current, blank()])}
          >
            + Add item
          </button>
          <span class="total">
            {total === undefined ? (
              ''
            ) : (
              <>
                Total <strong>{money(total)}</strong>
              </>
            )}
          </span>
        </div>
        {error !== undefined && <ErrorNotice error={error} />}
        {placed && (
          <SuccessNotice>
            Order <strong data-testid="placed-order">{shortId(placed.orderId)}</strong>{' '}
            {placed.pending ? 'was sent and is being processed.' : 'is placed.'} Its items appear on the
            right.
          </SuccessNotice>
        )}
        <button
          type="submit"
          class="button button-primary button-block"
          disabled={busy}
          data-testid="place-order"
        >
          {busy ? 'Placing order…' : 'Place order'}
        </button>
      </form>
    </Card>
  );
}
