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
import type { ActiveRows } from '../read-store.ts';
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
 * Folds the changes, then writes them set-based: one `INSERT … SELECT FROM jsonb_to_recordset … ON
 * CONFLICT DO UPDATE` for upserts and one `DELETE … WHERE key IN (SELECT FROM jsonb_to_recordset …)`.
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
      (SELECT * FROM ${recordset(columns, key, deletes)})`.execute(db);
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
      SELECT * FROM ${recordset(columns, names, upserts)}
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
    WHERE (${columnNames(key)}) IN (SELECT * FROM ${recordset(columns, key, keys)})`.execute(db);
  for (const raw of rows) {
    const row = normaliseRow(columns, raw);
    found.set(rowKeyOf(key, row), row);
  }
  return found;
}

/** Rows matching every column of `where` by equality, ordered by the key columns. */
export async function findRowsSql(db: SqlExecutor, table: VersionedTable, where: Row): Promise<Row[]> {
  const conditions = whereConditions(table, where, '');
  const filter = conditions.length === 0 ? sql`` : sql`WHERE ${sql.join(conditions, sql` AND `)}`;
  const { rows } = await sql<Record<string, unknown>>`SELECT * FROM ${sql.raw(table.qualified)} ${filter}
    ORDER BY ${columnNames(table.definition.key)}`.execute(db);
  return rows.map((raw) => normaliseRow(table.definition.columns, raw));
}

/**
 * The rows of {@link findRowsSql} and the projection's active version in one statement: the projection
 * row left-joined to the matching rows (a single row of nulls when none match: key columns are never null).
 */
export async function findActiveRowsSql(
  db: SqlExecutor,
  schema: string,
  projection: string,
  table: VersionedTable,
  where: Row,
): Promise<ActiveRows> {
  const { columns, key } = table.definition;
  const conditions = whereConditions(table, where, 't.');
  const on = conditions.length === 0 ? sql`true` : sql.join(conditions, sql` AND `);
  const { rows } = await sql<Record<string, unknown>>`SELECT p.active_version AS "sluice_active_version", t.*
    FROM ${sql.table(`${schema}.projections`)} p
    LEFT JOIN ${sql.raw(table.qualified)} t ON ${on}
    WHERE p.projection = ${projection}
    ORDER BY ${columnNames(key, 't.')}`.execute(db);
  const active = rows[0]?.sluice_active_version;
  const found = rows.filter((raw) => raw[key[0] ?? ''] !== null);
  return {
    activeVersion: active === null || active === undefined ? undefined : Number(active),
    rows: found.map((raw) => normaliseRow(columns, raw)),
  };
}

function whereConditions(table: VersionedTable, where: Row, alias: string) {
  const { columns } = table.definition;
  return Object.entries(where).map(([name, value]) => {
    assertIdentifier('column', name);
    const type = columns[name];
    if (type === undefined) throw new TypeError(`${table.definition.name} has no column ${name}`);
    return sql`${sql.raw(`${alias}"${name}"`)} = ${toParam(type, value)}::${sql.raw(type)}`;
  });
}

function normaliseRow(columns: TableDefinition['columns'], raw: Record<string, unknown>): Row {
  const row: Record<string, unknown> = {};
  for (const [name, type] of Object.entries(columns)) {
    const value = raw[name];
    row[name] = type === 'bigint' && value !== null && value !== undefined ? toBigInt(value) : value;
  }
  return row;
}

function columnNames(names: readonly string[], alias = ''): RawBuilder<unknown> {
  return sql.raw(names.map((c) => `${alias}"${c}"`).join(', '));
}

/**
 * `jsonb_to_recordset($1) AS u(c1 type, …)`: the rows as one JSON array parameter. One native
 * stringify is far cheaper than the driver escaping an array per column, and jsonb values go as they are.
 */
function recordset(
  columns: TableDefinition['columns'],
  names: readonly string[],
  rows: readonly Row[],
): RawBuilder<unknown> {
  const definitions = names.map((name) => `"${name}" ${columns[name]!}`).join(', ');
  return sql`jsonb_to_recordset(${rowsJson(names, rows)}::jsonb) AS u(${sql.raw(definitions)})`;
}

/** The rows' `names` columns as a JSON array; bigints as decimal strings (`toJson` only when a value needs it). */
function rowsJson(names: readonly string[], rows: readonly Row[]): string {
  const picked = rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const name of names) {
      const value = row[name];
      out[name] = typeof value === 'bigint' ? value.toString() : value;
    }
    return out;
  });
  try {
    return JSON.stringify(picked);
  } catch {
    return toJson(picked); // a bigint nested in a jsonb value: the slower replacer handles it
  }
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
