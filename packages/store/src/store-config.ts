import { MemoryReadStore } from './memory/memory-store.ts';
import { openPGliteStore } from './pglite/pglite-store.ts';
import { openPostgresStore } from './postgres/postgres-store.ts';
import type { ReadStore } from './read-store.ts';

/** Which read store an application uses and where it lives. */
export type StoreConfig =
  | { readonly kind: 'postgres'; readonly connectionString?: string; readonly schema?: string }
  | { readonly kind: 'pglite'; readonly dataDir?: string; readonly schema?: string }
  | { readonly kind: 'memory' };

/**
 * The read store from the environment, read in one place: `SLUICE_READ_STORE` (`postgres`, `pglite`,
 * `memory`), else PostgreSQL when `DATABASE_URL` is set, else embedded PGlite under `.sluice/`.
 */
export function storeConfigFromEnv(env: NodeJS.ProcessEnv = process.env): StoreConfig {
  const kind = env.SLUICE_READ_STORE ?? (env.DATABASE_URL ? 'postgres' : 'pglite');
  const schema = env.SLUICE_READ_SCHEMA;
  switch (kind) {
    case 'postgres':
      return {
        kind,
        ...(env.DATABASE_URL ? { connectionString: env.DATABASE_URL } : {}),
        ...(schema ? { schema } : {}),
      };
    case 'pglite':
      return {
        kind,
        ...(env.SLUICE_PGLITE_DIR ? { dataDir: env.SLUICE_PGLITE_DIR } : {}),
        ...(schema ? { schema } : {}),
      };
    case 'memory':
      return { kind };
    default:
      throw new TypeError(`SLUICE_READ_STORE must be postgres, pglite or memory, not ${kind}`);
  }
}

/** Opens the read store a config names. */
export async function openReadStore(config: StoreConfig): Promise<ReadStore> {
  switch (config.kind) {
    case 'postgres':
      return openPostgresStore(config);
    case 'pglite':
      return openPGliteStore(config);
    case 'memory':
      return new MemoryReadStore();
  }
}
