import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnyProjection, StoreConfig } from '@sluice/store';
import { UsageError } from '../command-group.ts';

/** What an application module exports for `sluice projections`. */
export interface ProjectionsApp {
  readonly projections: readonly AnyProjection[];
  readonly store: StoreConfig;
  readonly topicPrefix?: string;
}

/** The shop's projections, used when neither `--app` nor `SLUICE_APP` is given. */
export const DEFAULT_APP = 'apps/orders/projections/index.ts';

/** Loads the module that names the projections and the store (`--app`, `SLUICE_APP`, else the shop's). */
export async function loadProjectionsApp(path: string | undefined): Promise<ProjectionsApp> {
  const modulePath = path ?? process.env.SLUICE_APP ?? DEFAULT_APP;
  let module: Partial<ProjectionsApp>;
  try {
    module = (await import(pathToFileURL(resolve(modulePath)).href)) as Partial<ProjectionsApp>;
  } catch (error) {
    throw new UsageError(`cannot load the app module ${modulePath}: ${(error as Error).message}`);
  }
  if (!Array.isArray(module.projections) || module.store === undefined)
    throw new UsageError(`${modulePath} must export 'projections' (an array) and 'store' (a store config)`);
  return {
    projections: module.projections,
    store: module.store,
    ...(module.topicPrefix === undefined ? {} : { topicPrefix: module.topicPrefix }),
  };
}

/** The projection named `name` in the app, or a usage error listing the known names. */
export function findProjection(app: ProjectionsApp, name: string | undefined): AnyProjection {
  const known = app.projections.map((p) => p.name).join(', ');
  if (name === undefined) throw new UsageError(`name a projection: ${known}`);
  const projection = app.projections.find((p) => p.name === name);
  if (projection === undefined) throw new UsageError(`unknown projection '${name}' (known: ${known})`);
  return projection;
}
