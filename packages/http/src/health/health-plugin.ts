import type { FastifyInstance } from 'fastify';
import { problemResponses } from '../openapi/schemas.ts';
import { HttpCodes } from '../problems/catalogue.ts';

/** A named readiness check: resolves when ready, throws (with the reason) when not. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<void>;
}

/** Options of the health plugin. */
export interface HealthOptions {
  readonly checks?: readonly ReadinessCheck[];
  /** A check still running after this long has failed. Default 2 s. */
  readonly checkTimeoutMs?: number;
}

type CheckOutcome =
  | { readonly name: string; readonly ok: true }
  | { readonly name: string; readonly ok: false; readonly error: string };

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<CheckOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([check.check(), timeout]);
    return { name: check.name, ok: true };
  } catch (error) {
    return { name: check.name, ok: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

const checksSchema = { type: 'object', additionalProperties: { type: 'string' } } as const;

async function health(app: FastifyInstance, options: HealthOptions): Promise<void> {
  const checks = options.checks ?? [];
  const timeoutMs = options.checkTimeoutMs ?? 2_000;

  app.get(
    '/healthz',
    {
      logLevel: 'warn',
      schema: {
        summary: 'Liveness: the process is up',
        tags: ['health'],
        response: { 200: { type: 'object', properties: { status: { const: 'ok' } } }, ...problemResponses() },
      },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      logLevel: 'warn',
      schema: {
        summary: 'Readiness: every check (Kafka, read store, projections) passes',
        tags: ['health'],
        response: {
          200: { type: 'object', properties: { status: { const: 'ready' }, checks: checksSchema } },
          ...problemResponses(503),
        },
      },
    },
    async (_request, reply) => {
      const outcomes = await Promise.all(checks.map((check) => runCheck(check, timeoutMs)));
      const report = Object.fromEntries(outcomes.map((o) => [o.name, o.ok ? 'ok' : o.error]));
      const failed = outcomes.filter((o) => !o.ok).map((o) => o.name);
      if (failed.length === 0) return { status: 'ready', checks: report };
      return reply.problem(HttpCodes.NOT_READY, `not ready: ${failed.join(', ')}`, {
        failed,
        checks: report,
      });
    },
  );
}

/** `GET /healthz` (process up) and `GET /readyz` (named async checks; 503 naming the failed ones). */
export const healthPlugin = health;
