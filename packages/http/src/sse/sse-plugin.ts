import type { FastifyInstance, FastifyRequest } from 'fastify';
import { principalOf } from '../auth/auth-plugin.ts';
import type { Principal } from '../auth/principal.ts';
import { problemResponses } from '../openapi/schemas.ts';
import { HttpCodes } from '../problems/catalogue.ts';
import { HttpProblem } from '../problems/problem.ts';

/** One entry of the change feed; `id` is its change-log position (a decimal string). */
export interface StreamEvent {
  readonly id: string;
  /** `reset`: reload everything (a projection version switch); sent as `event: reset`. */
  readonly type: 'change' | 'reset';
  /** The SSE event name of a change; none means the default `message`. */
  readonly event?: string;
  readonly data?: unknown;
}

/** The change log as a live feed: every event after `from` (a position), then new ones, until `signal` aborts. */
export interface ChangeFeed {
  subscribe(
    from: string | undefined,
    onEvent: (event: StreamEvent) => void,
    signal: AbortSignal,
  ): Promise<void>;
}

/** Whether a principal may see a change (a user sees only their rows). Resets go to everybody. */
export type StreamFilter = (principal: Principal, event: StreamEvent) => boolean;

/** Options of the SSE plugin. */
export interface StreamOptions {
  readonly feed: ChangeFeed;
  readonly filter: StreamFilter;
  /** Default 15 s: proxies drop connections that stay silent. */
  readonly heartbeatMs?: number;
  /** Reconnection delay suggested to the browser. Default 2 s. */
  readonly retryMs?: number;
  /** A client this far behind is disconnected; it resumes from its Last-Event-ID. Default 1 MiB. */
  readonly maxBufferedBytes?: number;
}

// A change-log position, or one per log for a feed that merges several (`orders=12.items=40`).
const POSITION =
  /^(0|[1-9][0-9]{0,19})$|^[A-Za-z0-9_-]{1,100}=\d{1,20}(\.[A-Za-z0-9_-]{1,100}=\d{1,20}){0,31}$/;

/** The position to resume after: header `Last-Event-ID`, else `?lastEventId=`. */
function resumeFrom(request: FastifyRequest): string | undefined {
  const header = request.headers['last-event-id'];
  const query = (request.query as Record<string, unknown> | undefined)?.lastEventId;
  const value = typeof header === 'string' ? header : typeof query === 'string' ? query : undefined;
  if (value === undefined || value === '') return undefined;
  if (!POSITION.test(value))
    throw new HttpProblem(
      HttpCodes.INVALID_EVENT_ID,
      `Last-Event-ID must be a change-log position (or name=position list), got ${value.slice(0, 40)}`,
    );
  return value;
}

/** One SSE message. JSON has no raw newlines, so `data` is always one line. */
export function formatEvent(event: StreamEvent): string {
  const name = event.type === 'reset' ? 'reset' : event.event;
  return `${name === undefined ? '' : `event: ${name}\n`}id: ${event.id}\ndata: ${JSON.stringify(event.data ?? null)}\n\n`;
}

async function stream(app: FastifyInstance, options: StreamOptions): Promise<void> {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const retryMs = options.retryMs ?? 2_000;
  const maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
  const open = new Set<() => void>();
  // Open streams never go idle, so closing the server would wait for them forever.
  app.addHook('preClose', async () => {
    for (const close of open) close();
  });

  app.get(
    '/api/stream',
    {
      config: { auth: 'stream' },
      schema: {
        summary: 'Live changes as Server-Sent Events; resumable with Last-Event-ID',
        description:
          'Authenticates by bearer token, by ?ticket= (POST /api/stream/ticket) or by the session cookie. ' +
          '`id:` is the change-log position; `event: reset` means reload everything.',
        tags: ['stream'],
        security: [{ bearer: [] }, { cookie: [] }, { ticket: [] }],
        querystring: {
          type: 'object',
          properties: {
            lastEventId: { type: 'string', description: 'Resume after this position (like Last-Event-ID)' },
            ticket: { type: 'string', description: 'Single-use ticket from POST /api/stream/ticket' },
          },
        },
        response: {
          200: {
            description: 'An event stream',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          ...problemResponses(400, 401),
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const from = resumeFrom(request);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const controller = new AbortController();
      const heartbeat = setInterval(() => write(': heartbeat\n\n'), heartbeatMs);
      const close = (): void => {
        if (!open.delete(close)) return;
        clearInterval(heartbeat);
        controller.abort();
        if (!res.writableEnded) res.end();
        // The connection carried nothing but this stream: let it go rather than idle as keep-alive.
        res.socket?.destroySoon();
      };
      open.add(close);
      res.on('close', close);
      function write(chunk: string): void {
        if (res.writableEnded || res.destroyed) return;
        res.write(chunk);
        if (res.writableLength > maxBuffered) {
          request.log.warn({ buffered: res.writableLength }, 'event stream client too slow; disconnected');
          close();
        }
      }
      write(`retry: ${retryMs}\n\n`);
      const onEvent = (event: StreamEvent): void => {
        if (event.type === 'reset' || options.filter(principal, event)) write(formatEvent(event));
      };
      options.feed.subscribe(from, onEvent, controller.signal).then(close, (error: unknown) => {
        if (!controller.signal.aborted) request.log.error({ err: error }, 'change feed failed');
        close();
      });
    },
  );
}

/** `GET /api/stream`: the change feed as Server-Sent Events, filtered per principal. */
export const streamPlugin = stream;
