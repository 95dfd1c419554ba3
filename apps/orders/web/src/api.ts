/** The shop's HTTP API as the browser uses it: a session, JSON calls, problem+json as readable errors. */

/** Who is signed in: a shopper (dev login) or an operator (`SLUICE_OPERATOR_TOKEN`). */
export type Session =
  | { readonly kind: 'user'; readonly userId: string; readonly token: string }
  | { readonly kind: 'operator'; readonly token: string };

/** An API call that failed, with the problem's title and detail ready to show. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;

  constructor(status: number, code: string, title: string, detail?: string) {
    super(detail ? `${title}: ${detail}` : title);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.title = title;
    this.detail = detail;
  }
}

const SESSION_KEY = 'sluice.session';

/** The session kept in this tab's storage, if any. */
export function loadSession(): Session | undefined {
  try {
    const value = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null') as Session | null;
    return value && typeof value.token === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Keeps (or forgets) the session in this tab's storage. */
export function saveSession(session: Session | undefined): void {
  if (session === undefined) sessionStorage.removeItem(SESSION_KEY);
  else sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'The request was not accepted',
  401: 'You are not signed in',
  403: 'You are not allowed to do that',
  404: 'Not found',
  409: 'That conflicts with the current state',
  413: 'The request is too large',
  422: 'The request was refused',
  429: 'Too many requests; try again shortly',
  500: 'The server failed',
  502: 'The server is unreachable',
  503: 'The service is not ready; try again shortly',
};

async function errorOf(response: Response): Promise<ApiError> {
  const fallback = STATUS_TEXT[response.status] ?? `The server answered ${response.status}`;
  try {
    const problem = (await response.json()) as { title?: unknown; detail?: unknown; code?: unknown };
    const title = typeof problem.title === 'string' ? problem.title : fallback;
    const detail =
      typeof problem.detail === 'string' && problem.detail !== title ? problem.detail : undefined;
    const code = typeof problem.code === 'string' ? problem.code : `HTTP_${response.status}`;
    return new ApiError(response.status, code, title, detail);
  } catch {
    return new ApiError(response.status, `HTTP_${response.status}`, fallback);
  }
}

// The position token of this tab's last write: the next reads wait until the projections have it.
let lastPosition: string | undefined;
const unauthorisedListeners = new Set<() => void>();

/** Calls `listener` when the server no longer accepts the session's token. */
export function onUnauthorised(listener: () => void): () => void {
  unauthorisedListeners.add(listener);
  return () => unauthorisedListeners.delete(listener);
}

/** One JSON call; rejects with an {@link ApiError} whose message can be shown as it is. */
export async function call<T>(
  session: Session | undefined,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<T> {
  let url = path;
  if (method === 'GET' && lastPosition !== undefined)
    url += `${path.includes('?') ? '&' : '?'}after=${encodeURIComponent(lastPosition)}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: {
        accept: 'application/json',
        ...(session ? { authorization: `Bearer ${session.token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'Cannot reach the shop', 'Check that the server is running.');
  }
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401 && session !== undefined)
      for (const listener of unauthorisedListeners) listener();
    throw error;
  }
  if (response.status === 204) return undefined as T;
  const value = (await response.json()) as T;
  const position = (value as { position?: unknown } | null)?.position;
  if (method === 'POST' && typeof position === 'string') lastPosition = position;
  return value;
}

/** The answer of a command route. */
export interface Accepted {
  readonly commandId: string;
  readonly aggregateId?: string;
  readonly version?: number;
  readonly position?: string;
  readonly status?: 'pending';
  readonly orderId?: string;
}

// The views are the server's own types (type-only: nothing of the server is bundled).
export type {
  BandItem,
  ItemsByBand,
  OrderItem,
  OrderStatus,
  OrderView as Order,
  PriceBand as Band,
  ProjectionStatusView as ProjectionStatus,
  RebuildView,
  ShowView as Show,
} from '../../views.ts';

/** A ticket for `EventSource`, which cannot send an Authorization header. */
export async function streamTicket(session: Session): Promise<string> {
  const { ticket } = await call<{ ticket: string }>(session, 'POST', '/api/stream/ticket');
  return ticket;
}
