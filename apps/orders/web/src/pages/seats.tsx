/** A show's seat map, live: seats others take turn grey while you choose; booking is all or nothing. */
import { useEffect, useState } from 'preact/hooks';
import { call, type Session, type Show } from '../api.ts';
import { plural } from '../format.ts';
import type { LiveFeed } from '../live.ts';
import { useLiveResource } from '../live-resource.ts';
import { Card, ErrorNotice, Loading, navigate, PageTitle, SuccessNotice } from '../ui.tsx';

type SeatState = 'free' | 'selected' | 'mine' | 'taken';

function holderName(session: Session): string {
  return session.kind === 'user' ? session.userId : 'operator:';
}

function ShowPicker({ current }: { current?: string }) {
  const [value, setValue] = useState(current ?? '');
  return (
    <form
      class="show-picker"
      onSubmit={(event) => {
        event.preventDefault();
        if (value.trim() !== '') navigate(`/shows/${encodeURIComponent(value.trim())}`);
      }}
    >
      <label class="field field-inline">
        <span>Show</span>
        <input
          name="showId"
          placeholder="Show id"
          value={value}
          onInput={(event) => setValue(event.currentTarget.value)}
        />
      </label>
      <button type="submit" class="button">
        Open seat map
      </button>
    </form>
  );
}

function SeatMap({ session, feed, showId }: { session: Session; feed: LiveFeed; showId: string }) {
  const path = `/api/shows/${encodeURIComponent(showId)}`;
  const show = useLiveResource(path, () => call<Show>(session, 'GET', path), {
    feed,
    projections: ['seat_availability'],
    match: (row) => row.show_id === showId,
  });
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ error?: unknown; done?: string; lost?: string }>({});
  const me = holderName(session);
  const booked = show.data?.booked ?? {};
  const isMine = (holder: string): boolean =>
    holder === me || (me === 'operator:' && holder.startsWith('operator:'));

  // A seat somebody else just took leaves my selection, and I am told.
  useEffect(() => {
    const gone = [...selected].filter((seat) => booked[seat] !== undefined);
    if (gone.length === 0) return;
    setSelected(new Set([...selected].filter((seat) => booked[seat] === undefined)));
    const lost = gone.filter((seat) => !isMine(booked[seat]!));
    if (lost.length > 0 && !busy)
      setOutcome({
        lost: `${lost.length === 1 ? 'Seat' : 'Seats'} ${lost.join(', ')} just went to someone else.`,
      });
  }, [show.data]);

  const stateOf = (seat: number): SeatState => {
    const holder = booked[seat];
    if (holder !== undefined) return isMine(holder) ? 'mine' : 'taken';
    return selected.has(seat) ? 'selected' : 'free';
  };
  const toggle = (seat: number): void => {
    const next = new Set(selected);
    if (next.has(seat)) next.delete(seat);
    else next.add(seat);
    setSelected(next);
  };
  const book = async (): Promise<void> => {
    const seats = [...selected].sort((a, b) => a - b);
    setBusy(true);
    setOutcome({});
    try {
      await call(session, 'POST', `${path}/bookings`, { seats });
      setSelected(new Set());
      setOutcome({ done: `Booked ${plural(seats.length, 'seat')}: ${seats.join(', ')}.` });
    } catch (error) {
      setOutcome({ error });
    } finally {
      setBusy(false);
      show.reload();
    }
  };

  if (show.data === undefined)
    return show.error !== undefined ? (
      <ErrorNotice error={show.error} onRetry={show.reload} />
    ) : (
      <Loading label="Loading the seat map…" />
    );
  const seats = Array.from({ length: show.data.seats }, (_, index) => index + 1);
  const mine = seats.filter((seat) => stateOf(seat) === 'mine').length;
  return (
    <Card
      title={`Show ${showId}`}
      testId="seat-map"
      aside={
        <span class="muted" data-testid="seats-available">
          {show.data.available} of {show.data.seats} free
        </span>
      }
    >
      <div class="screen" aria-hidden="true">
        Stage
      </div>
      <fieldset class="seats" aria-label="Seats">
        {seats.map((seat) => {
          const state = stateOf(seat);
          return (
            <button
              key={seat}
              type="button"
              class={`seat seat-${state}`}
              data-testid="seat"
              data-seat={seat}
              data-state={state}
              aria-pressed={state === 'selected'}
              aria-label={`Seat ${seat}, ${state}`}
              disabled={state === 'taken' || state === 'mine' || busy}
              onClick={() => toggle(seat)}
            >
              {seat}
            </button>
          );
        })}
      </fieldset>
      <ul class="legend" aria-hidden="true">
        <li>
          <span class="seat seat-free" /> Free
        </li>
        <li>
          <span class="seat seat-selected" /> Selected
        </li>
        <li>
          <span class="seat seat-mine" /> Yours
        </li>
        <li>
          <span class="seat seat-taken" /> Taken
        </li>
      </ul>
      {outcome.error !== undefined && <ErrorNotice error={outcome.error} />}
      {outcome.lost && (
        <div class="notice notice-warning" role="status">
          {outcome.lost}
        </div>
      )}
      {outcome.done && <SuccessNotice>{outcome.done}</SuccessNotice>}
      <div class="form-actions">
        <span class="muted">
          {mine > 0 ? `You hold ${plural(mine, 'seat')}.` : 'Choose free seats, then book.'}
        </span>
        <button
          type="button"
          class="button button-primary"
          data-testid="book-seats"
          disabled={selected.size === 0 || busy}
          onClick={book}
        >
          {busy ? 'Booking…' : selected.size === 0 ? 'Book seats' : `Book ${plural(selected.size, 'seat')}`}
        </button>
      </div>
    </Card>
  );
}

export function SeatsPage({ session, feed, showId }: { session: Session; feed: LiveFeed; showId?: string }) {
  return (
    <>
      <PageTitle title="Seats" lead="Pick seats on the map; seats others book appear taken as it happens." />
      <ShowPicker {...(showId === undefined ? {} : { current: showId })} key={showId ?? ''} />
      {showId === undefined ? (
        <p class="hint">
          Enter the id of a show to see its seat map. Operators create shows on the Operations page.
        </p>
      ) : (
        <SeatMap session={session} feed={feed} showId={showId} key={showId} />
      )}
    </>
  );
}
