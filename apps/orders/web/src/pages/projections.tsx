/** Operators: each projection's versions, state and lag, with a blue-green rebuild and its progress. */
import { useEffect, useState } from 'preact/hooks';
import { call, type ProjectionStatus, type RebuildView, type Session, streamTicket } from '../api.ts';
import { useLiveResource } from '../live-resource.ts';
import { Card, ErrorNotice, Loading } from '../ui.tsx';

function lagOf(view: { done: string; total: string } | undefined): string {
  if (view === undefined) return '—';
  const lag = BigInt(view.total) - BigInt(view.done);
  return (lag < 0n ? 0n : lag).toLocaleString('en-GB');
}

function percent(view: { done: string; total: string }): number {
  const total = Number(view.total);
  return total <= 0 ? 100 : Math.min(100, Math.round((Number(view.done) / total) * 1000) / 10);
}

/** Follows a rebuild's progress events until it ends; reconnects with a fresh ticket if dropped. */
function useRebuildProgress(session: Session, name: string, initial: RebuildView | undefined) {
  const [view, setView] = useState(initial);
  useEffect(() => setView(initial), [initial?.version, initial?.state]);
  const running = view?.state === 'running';
  useEffect(() => {
    if (!running) return;
    let source: EventSource | undefined;
    let closed = false;
    const open = async (): Promise<void> => {
      const ticket = await streamTicket(session).catch(() => undefined);
      if (closed || ticket === undefined) return;
      source = new EventSource(
        `/api/projections/${encodeURIComponent(name)}/rebuild/stream?ticket=${encodeURIComponent(ticket)}`,
      );
      source.addEventListener('progress', (event) => setView(JSON.parse(event.data) as RebuildView));
      // The stream ends with the rebuild; the next status poll tells how it ended.
      source.addEventListener('error', () => source?.close());
    };
    void open();
    return () => {
      closed = true;
      source?.close();
    };
  }, [session, name, running]);
  return [view, setView] as const;
}

function ProjectionRow({ session, status }: { session: Session; status: ProjectionStatus }) {
  const [rebuild, setRebuild] = useRebuildProgress(session, status.projection, status.rebuild);
  const [error, setError] = useState<unknown>();
  const [starting, setStarting] = useState(false);
  const active = status.versions.find((v) => v.version === status.activeVersion);
  const partitions = status.partitions;
  const start = async (): Promise<void> => {
    setStarting(true);
    setError(undefined);
    try {
      setRebuild(
        await call<RebuildView>(
          session,
          'POST',
          `/api/projections/${encodeURIComponent(status.projection)}/rebuild`,
        ),
      );
    } catch (failure) {
      setError(failure);
    } finally {
      setStarting(false);
    }
  };
  const cancel = async (): Promise<void> => {
    setError(undefined);
    try {
      // The builder stops within a lease tick; the progress stream then ends with the cancellation.
      await call(session, 'DELETE', `/api/projections/${encodeURIComponent(status.projection)}/rebuild`);
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <div class="projection" data-testid="projection" data-projection={status.projection}>
      <div class="projection-main">
        <div>
          <h3>{status.projection}</h3>
          <p class="muted">
            {status.activeVersion === undefined ? 'no active version' : `v${status.activeVersion} active`}
            {' · '}
            <span class={`state state-${active?.state ?? 'unknown'}`}>{active?.state ?? 'starting'}</span>
          </p>
        </div>
        <dl class="figures">
          <div>
            <dt>Lag</dt>
            <dd data-testid="projection-lag">{lagOf(status.progress)}</dd>
          </div>
          <div>
            <dt>Events/s</dt>
            <dd>
              {status.progress ? Math.round(status.progress.eventsPerSecond).toLocaleString('en-GB') : '—'}
            </dd>
          </div>
        </dl>
        <button
          type="button"
          class="button button-small"
          data-testid="rebuild"
          disabled={starting || rebuild?.state === 'running'}
          onClick={start}
        >
          {rebuild?.state === 'running' ? 'Rebuilding…' : 'Rebuild'}
        </button>
        {rebuild?.state === 'running' && (
          <button type="button" class="button button-small" data-testid="cancel-rebuild" onClick={cancel}>
            Cancel
          </button>
        )}
      </div>
      {partitions && partitions.length > 0 && (
        <ul class="partitions" aria-label="Lag per partition">
          {partitions.map((p) => (
            <li key={`${p.topic}/${p.partition}`}>
              <span class="muted">
                {p.topic}[{p.partition}]
              </span>{' '}
              {String(p.lag)}
            </li>
          ))}
        </ul>
      )}
      {active?.lastError?.message && <p class="error-text">Stopped: {active.lastError.message}</p>}
      {rebuild && (
        <div class="rebuild" data-testid="rebuild-progress" data-state={rebuild.state}>
          <div
            class="progress"
            role="progressbar"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={percent(rebuild)}
          >
            <div class="progress-bar" style={{ width: `${percent(rebuild)}%` }} />
          </div>
          <p class="muted">
            v{rebuild.version}: {rebuild.state === 'running' ? `${percent(rebuild)}%` : rebuild.state}
            {' · '}
            {BigInt(rebuild.done).toLocaleString('en-GB')} of {BigInt(rebuild.total).toLocaleString('en-GB')}{' '}
            offsets
            {rebuild.state === 'running' &&
              rebuild.etaSeconds !== undefined &&
              ` · about ${Math.ceil(rebuild.etaSeconds)} s left`}
            {rebuild.active && ' · serving'}
          </p>
          {rebuild.error && <p class="error-text">{rebuild.error}</p>}
        </div>
      )}
      {error !== undefined && <ErrorNotice error={error} />}
    </div>
  );
}

export function ProjectionsCard({ session }: { session: Session }) {
  const statuses = useLiveResource('/api/projections', () =>
    call<{ projections: ProjectionStatus[] }>(session, 'GET', '/api/projections'),
  );
  // Lag is a figure of the moment, not a change in the log: read it every two seconds.
  useEffect(() => {
    const timer = setInterval(statuses.reload, 2000);
    return () => clearInterval(timer);
  }, [statuses.reload]);
  return (
    <Card title="Projections" testId="projections">
      {statuses.error !== undefined && <ErrorNotice error={statuses.error} onRetry={statuses.reload} />}
      {statuses.data === undefined
        ? statuses.error === undefined && <Loading label="Loading projections…" />
        : statuses.data.projections.map((status) => (
            <ProjectionRow key={status.projection} session={session} status={status} />
          ))}
    </Card>
  );
}
