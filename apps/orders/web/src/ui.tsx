/** Small building blocks shared by the pages. */
import type { ComponentChildren } from 'preact';
import { ApiError } from './api.ts';

/** An error as a person reads it: the problem's title, then its detail. */
export function ErrorNotice({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const title = error instanceof ApiError ? error.title : 'Something went wrong';
  const detail =
    error instanceof ApiError ? error.detail : error instanceof Error ? error.message : String(error);
  return (
    <div class="notice notice-error" role="alert">
      <div>
        <strong>{title}</strong>
        {detail && <p>{detail}</p>}
      </div>
      {onRetry && (
        <button type="button" class="button button-quiet" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function SuccessNotice({ children }: { children: ComponentChildren }) {
  return (
    <div class="notice notice-success" role="status">
      {children}
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div class="loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <strong>{title}</strong>
      {children && <p>{children}</p>}
    </div>
  );
}

export function Card({
  title,
  aside,
  children,
  testId,
}: {
  title: string;
  aside?: ComponentChildren;
  children: ComponentChildren;
  testId?: string;
}) {
  return (
    <section class="card" data-testid={testId}>
      <header class="card-header">
        <h2>{title}</h2>
        {aside}
      </header>
      {children}
    </section>
  );
}

/** A page's heading with a line saying what the page is for. */
export function PageTitle({ title, lead }: { title: string; lead: string }) {
  return (
    <div class="page-title">
      <h1>{title}</h1>
      <p>{lead}</p>
    </div>
  );
}

export function Link({
  href,
  children,
  class: className,
}: {
  href: string;
  children: ComponentChildren;
  class?: string;
}) {
  return (
    <a
      href={href}
      class={className}
      onClick={(event) => {
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}

const pathListeners = new Set<() => void>();

/** Goes to a path of the app without reloading the page. */
export function navigate(path: string): void {
  if (path === location.pathname) return;
  history.pushState(null, '', path);
  for (const listener of pathListeners) listener();
}

export function onPathChange(listener: () => void): () => void {
  pathListeners.add(listener);
  window.addEventListener('popstate', listener);
  return () => {
    pathListeners.delete(listener);
    window.removeEventListener('popstate', listener);
  };
}
