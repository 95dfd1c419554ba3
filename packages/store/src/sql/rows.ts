import { type RawBuilder, sql } from 'kysely';
import { foldByKey, type Row, type RowChange, rowKeyOf, toJson } from '../model/row-changes.ts';
import {
  assertIdentifier,
  type ColumnType,
  type TableDefinition,
  type VersionedTable,
  validateTableDefinition,
  versionedTableName,
} from '../model/table-definition.ts';
import { type SqlExecutor, toBigInt } from './sql-tx.ts';

/** Describes a projection table of one version in `schema`. */
export function versionedTable(schema: string, definition: TableDefinition, version: number): VersionedTable {
  validateTableDefinition(definition);
  const name = versionedTableName(definition.name, version);
  return { definition, name, schema, qualified: `"${schema}"."${name}"` };
}

/** `CREATE TABLE IF NOT EXISTS` from the definition's columns and key. */
export async function createTableSql(db: SqlExecutor, table: VersionedTable): Promise<void> {
  const { columns, key } = table.definition;
  const columnList = Object.entries(columns).map(([name, type]) => `"${name}" ${type}`);
  const keyList = key.map((c) => `"${c}"`).join(', ');
  await sql
    .raw(`CREATE TABLE IF NOT EXISTS ${table.qualified} (${columnList.join(', ')}, PRIMARY KEY (${keyList}))`)
    .execute(db);
}

/** Drops a projection table if it exists. */
export async function dropTableSql(db: SqlExecutor, schema: string, tableName: string): Promise<void> {
  assertIdentifier('table name', tableName);
  await sql.raw(`DROP TABLE IF EXISTS "${schema}"."${tableName}"`).execute(db);
}

/**
 * Folds the changes, then writes them set-based: one `INSERT … SELECT FROM UNNEST … ON CONFLICT DO
 * UPDATE` for upserts and one `DELETE … WHERE key IN (SELECT FROM UNNEST …)` for deletes.
 */
export async function writeRowsSql(
  db: SqlExecutor,
  table: VersionedTable,
  changes: readonly RowChange[],
): Promise<{ upserted: number; deleted: number }> {
  const folded = foldByKey(changes);
  const upserts = folded.filter((c) => c.op === 'upsert').map((c) => c.row);
  const deletes = folded.filter((c) => c.op === 'delete').map((c) => c.row);
  const { columns, key } = table.definition;
  const target = sql.raw(table.qualified);
  let upserted = 0;
  let deleted = 0;
  if (deletes.length > 0) {
    const result = await sql`DELETE FROM ${target} WHERE (${columnNames(key)}) IN
      (SELECT * FROM ${unnest(columns, key, deletes)})`.execute(db);
    deleted = Number(result.numAffectedRows ?? 0n);
  }
  if (upserts.length > 0) {
    const names = Object.keys(columns);
    const rest = names.filter((c) => !key.includes(c));
    const onConflict =
      rest.length === 0
        ? sql.raw('DO NOTHING')
        : sql.raw(`DO UPDATE SET ${rest.map((c) => `"${c}" = EXCLUDED."${c}"`).join(', ')}`);
    const result = await sql`INSERT INTO ${target} (${columnNames(names)})
      SELECT * FROM ${unnest(columns, names, upserts)}
      ON CONFLICT (${columnNames(key)}) ${onConflict}`.execute(db);
    upserted = Number(result.numAffectedRows ?? 0n);
  }
  return { upserted, deleted };
}

/** Rows by key, keyed by row key, with bigint columns as bigints whichever driver read them. */
export async function loadRowsSql(
  db: SqlExecutor,
  table: VersionedTable,
  keys: readonly Row[],
): Promise<Map<string, Row>> {
  const found = new Map<string, Row>();
  if (keys.length === 0) return found;
  const { columns, key } = table.definition;
  const { rows } = await sql<Record<string, unknown>>`SELECT * FROM ${sql.raw(table.qualified)}
    WHERE (${columnNames(key)}) IN (SELECT * FROM ${unnest(columns, key, keys)})`.execute(db);
  for (const raw of rows) {
    const row = normaliseRow(columns, raw);
    found.set(rowKeyOf(key, row), row);
  }
  return found;
}

/** Rows matching every column of `where` by equality, ordered by the key columns. */
export async function findRowsSql(db: SqlExecutor, table: VersionedTable, where: Row): Promise<Row[]> {
  const { columns, key } = table.definition;
  const conditions = Object.entries(where).map(([name, value]) => {
    assertIdentifier('column', name);
    const type = columns[name];
    if (type === undefined) throw new TypeError(`${table.definition.name} has no column ${name}`);
    return sql`${sql.raw(`"${name}"`)} = ${toParam(type, value)}::${sql.raw(type)}`;
  });
  const filter = conditions.length === 0 ? sql`` : sql`WHERE ${sql.join(conditions, sql` AND `)}`;
  const { rows } = await sql<Record<string, unknown>>`SELECT * FROM ${sql.raw(table.qualified)} ${filter}
    ORDER BY ${columnNames(key)}`.execute(db);
  return rows.map((raw) => normaliseRow(columns, raw));
}

function normaliseRow(columns: TableDefinition['columns'], raw: Record<string, unknown>): Row {
  const row: Record<string, unknown> = {};
  for (const [name, type] of Object.entries(columns)) {
    const value = raw[name];
    row[name] = type === 'bigint' && value !== null && value !== undefined ? toBigInt(value) : value;
  }
  return row;
}

function columnNames(names: readonly string[]): RawBuilder<unknown> {
  return sql.raw(names.map((c) => `"${c}"`).join(', '));
}

/** `UNNEST($1::type[], $2::type[], …) AS u(c1, c2, …)`: one array parameter per column. */
function unnest(
  columns: TableDefinition['columns'],
  names: readonly string[],
  rows: readonly Row[],
): RawBuilder<unknown> {
  const arrays = names.map((name) => {
    const type = columns[name]!;
    return sql`${rows.map((r) => toParam(type, r[name]))}::${sql.raw(type)}[]`;
  });
  return sql`UNNEST(${sql.join(arrays)}) AS u(${columnNames(names)})`;
}

function toParam(type: ColumnType, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  switch (type) {
    case 'jsonb':
      return toJson(value);
    case 'bigint':
    case 'numeric':
      return String(value);
    case 'timestamptz':
      return value instanceof Date ? value.toISOString() : String(value);
    default:
      return value;
  }
}
