import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { bearerSecurity, problemResponses } from '../openapi/schemas.ts';
import { missingCredentials, type OperatorCredential, type Principal, TokenAuthority } from './principal.ts';
import { StreamTickets, type StreamTicketsOptions } from './stream-tickets.ts';

/** How a route authenticates: not at all, by bearer token, or (SSE) by bearer, ticket or session cookie. */
export type AuthMode = 'none' | 'bearer' | 'stream';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller; set on every route that authenticates. */
    principal: Principal | undefined;
  }
  interface FastifyContextConfig {
    /** Default: `bearer` under `/api/`, `none` elsewhere. */
    auth?: AuthMode;
  }
  interface FastifyInstance {
    readonly tokens: TokenAuthority;
    readonly streamTickets: StreamTickets;
  }
}

/** Options of the auth plugin. */
export interface AuthOptions {
  /** `SLUICE_TOKEN_SECRET`: the HS256 key, at least 32 bytes. */
  readonly tokenSecret: string;
  readonly tokenTtlSeconds?: number;
  /** `SLUICE_OPERATOR_TOKEN` and the name it acts as. */
  readonly operators?: readonly OperatorCredential[];
  /** `POST /api/auth/dev-login` exists only when true. */
  readonly devLogin?: boolean;
  /** Adds `Secure` to the session cookie (on whenever the app is served over HTTPS). */
  readonly secureCookies?: boolean;
  readonly tickets?: StreamTicketsOptions;
}

/** Name of the HttpOnly cookie that authenticates the event stream. */
export const SESSION_COOKIE = 'sluice_session';
const PROTECTED_PREFIX = '/api/';

/** The verified principal of a request on an authenticated route. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === undefined) throw missingCredentials();
  return request.principal;
}

function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? '';
}

function cookieOf(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at !== -1 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

function ticketOf(request: FastifyRequest): string | undefined {
  const query = request.query as Record<string, unknown> | undefined;
  return typeof query?.ticket === 'string' ? query.ticket : undefined;
}

async function auth(app: FastifyInstance, options: AuthOptions): Promise<void> {
  const tokenOptions = {
    secret: options.tokenSecret,
    ...(options.tokenTtlSeconds === undefined ? {} : { ttlSeconds: options.tokenTtlSeconds }),
    ...(options.operators === undefined ? {} : { operators: options.operators }),
  };
  const tokens = new TokenAuthority(tokenOptions);
  const tickets = new StreamTickets(options.tickets);
  app.decorate('tokens', tokens);
  app.decorate('streamTickets', tickets);
  app.decorateRequest('principal', undefined);

  app.addHook('onRequest', async (request) => {
    const url = request.routeOptions.url;
    const mode = request.routeOptions.config.auth ?? (url?.startsWith(PROTECTED_PREFIX) ? 'bearer' : 'none');
    if (mode === 'none') return;
    const bearer = bearerOf(request);
    if (bearer !== undefined) {
      request.principal = await tokens.verify(bearer);
      return;
    }
    if (mode === 'stream') {
      const ticket = ticketOf(request);
      if (ticket !== undefined) {
        request.principal = tickets.redeem(ticket);
        if (request.principal === undefined) throw missingCredentials();
        return;
      }
      const session = cookieOf(request, SESSION_COOKIE);
      if (session !== undefined) {
        request.principal = await tokens.verify(session);
        return;
      }
    }
    throw missingCredentials();
  });

  app.post(
    '/api/stream/ticket',
    {
      schema: {
        summary: 'Trade the bearer token for a single-use ticket for GET /api/stream (valid 60 s)',
        tags: ['auth'],
        security: bearerSecurity,
        response: {
          200: {
            type: 'object',
            required: ['ticket', 'expiresIn'],
            properties: { ticket: { type: 'string' }, expiresIn: { type: 'integer' } },
          },
          ...problemResponses(401, 429),
        },
      },
    },
    async (request) => ({ ticket: tickets.issue(principalOf(request)), expiresIn: tickets.ttlSeconds }),
  );

  if (options.devLogin !== true) return;
  const cookieFlags = `HttpOnly; SameSite=Strict; Path=/api; Max-Age=${tokens.ttlSeconds}${options.secureCookies === true ? '; Secure' : ''}`;
  app.post(
    '/api/auth/dev-login',
    {
      config: { auth: 'none' },
      schema: {
        summary: 'Development only: a token for any user id, also set as the session cookie',
        tags: ['auth'],
        body: {
          type: 'object',
          required: ['userId'],
          properties: { userId: { type: 'string', minLength: 1, maxLength: 256 } },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            required: ['token', 'expiresIn'],
            properties: { token: { type: 'string' }, expiresIn: { type: 'integer' } },
          },
          ...problemResponses(400, 403, 415),
        },
      },
    },
    async (request, reply) => {
      const { userId } = request.body as { userId: string };
      const token = await tokens.issue(userId);
      reply.header('set-cookie', `${SESSION_COOKIE}=${token}; ${cookieFlags}`);
      reply.header('cache-control', 'no-store');
      return { token, expiresIn: tokens.ttlSeconds };
    },
  );
}

/** Bearer tokens (HS256 JWTs for users, static operator tokens), stream tickets, session cookie, dev login. */
export const authPlugin = fp(auth, {
  name: 'sluice-auth',
  fastify: '5.x',
  dependencies: ['sluice-problems'],
});
