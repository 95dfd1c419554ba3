import { type VersionedTable, versionedTableName } from '../model/table-definition.ts';
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

/** Drops the tables of the given projections' versions retired longer than `graceMs` ago. */
export async function dropRetiredTables(
  store: ReadStore,
  projections: readonly AnyProjection[],
  graceMs: number,
): Promise<Array<{ projection: string; version: number }>> {
  const dropped: Array<{ projection: string; version: number }> = [];
  for (const projection of projections) {
    const done = await store.dropRetired(
      graceMs,
      async (tx, _name, version) => {
        for (const table of Object.values(projection.tables))
          await store.dropTable(tx, versionedTableName(table.name, version));
      },
      projection.name,
    );
    dropped.push(...done);
  }
  return dropped;
}
