import type { VersionedTable } from '../model/table-definition.ts';
import type { ProjectionTableSpec, ReadStore } from '../read-store.ts';
import type { AnyProjection, VersionedTables } from './projection.ts';

/** Creates a version's tables if missing and runs the projection's migration after the last one. */
export async function prepareProjectionTables(
  store: ReadStore,
  projection: AnyProjection,
  version: number,
): Promise<VersionedTables<AnyProjection['tables']>> {
  const names = Object.keys(projection.tables);
  const created: Record<string, VersionedTable> = {};
  const specs: ProjectionTableSpec[] = names.map((name, i) => ({
    definition: projection.tables[name]!,
    migrate: async (tx, table) => {
      created[name] = table;
      if (i === names.length - 1) await projection.migrate?.(tx, created);
    },
  }));
  const tables = await store.prepareTables(version, specs);
  return Object.fromEntries(names.map((name, i) => [name, tables[i]!]));
}
