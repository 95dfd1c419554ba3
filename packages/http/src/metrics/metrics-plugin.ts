import type { FastifyInstance } from 'fastify';
import { problemResponses } from '../openapi/schemas.ts';
import type { SluiceMetrics } from './metrics.ts';

/** Options of the metrics plugin. */
export interface MetricsOptions {
  readonly metrics: SluiceMetrics;
}

async function metricsRoute(app: FastifyInstance, options: MetricsOptions): Promise<void> {
  const { registry } = options.metrics;
  app.get(
    '/metrics',
    {
      logLevel: 'warn',
      schema: {
        summary: 'Prometheus metrics',
        tags: ['health'],
        response: {
          200: {
            description: 'Prometheus text format',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
          ...problemResponses(),
        },
      },
    },
    async (_request, reply) => {
      const text = await registry.metrics();
      return reply.type(registry.contentType).send(text);
    },
  );
}

/** `GET /metrics`: the app's prom-client registry in Prometheus text format. */
export const metricsPlugin = metricsRoute;
