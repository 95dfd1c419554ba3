import type { FastifyInstance } from 'fastify';
import type { ProjectionAdmin } from '../projection-admin.ts';
import type { ShopQueries } from '../read-model.ts';
import { orderRoutes } from './orders.ts';
import { projectionRoutes } from './projections.ts';
import type { CommandPorts } from './send-command.ts';
import { showRoutes } from './shows.ts';
import { userRoutes } from './users.ts';
import { webRoutes } from './web.ts';

export { shopDomainCodes } from './domain-codes.ts';
export type { CommandPorts } from './send-command.ts';

/** What the shop's own routes need. */
export interface ShopApiOptions {
  readonly commands: CommandPorts;
  readonly queries: ShopQueries;
  /** Operator routes exist only when `SLUICE_OPERATOR_TOKEN` is set. */
  readonly operators: boolean;
  readonly admin: ProjectionAdmin;
  /** The built web app (`apps/orders/web/dist`). */
  readonly webDist: string;
}

/** The shop's routes, one plugin per slice, registered by `buildServer` after its own plugins. */
export function shopRoutes(options: ShopApiOptions) {
  return async (app: FastifyInstance): Promise<void> => {
    // Bodies are JSON only: anything else is 415, not a string the schema then refuses.
    app.removeContentTypeParser('text/plain');
    await app.register(orderRoutes(options.commands, options.queries, options.operators));
    await app.register(userRoutes(options.commands, options.queries));
    await app.register(showRoutes(options.commands, options.queries, options.operators));
    if (options.operators) await app.register(projectionRoutes(options.admin));
    await app.register(webRoutes(options.webDist));
  };
}
