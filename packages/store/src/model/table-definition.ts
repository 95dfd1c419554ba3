import { InvalidIdentifierError } from '../errors.ts';

/** The column types a projection table may declare; each maps to a PostgreSQL type of the same name. */
export type ColumnType =
  | 'text'
  | 'integer'
  | 'bigint'
  | 'numeric'
  | 'double precision'
  | 'boolean'
  | 'jsonb'
  | 'timestamptz';

/** A projection table: its columns with types and the columns of its primary key. */
export interface TableDefinition {
  /** Logical name, without version, e.g. `order_status`. */
  readonly name: string;
  readonly columns: Readonly<Record<string, ColumnType>>;
  readonly key: readonly string[];
}

/** A table of one projection version as it exists in a store. */
export interface VersionedTable {
  readonly definition: TableDefinition;
  /** Physical name, e.g. `p_order_status_v2`. */
  readonly name: string;
  /** Schema the table lives in (SQL stores); empty for memory. */
  readonly schema: string;
  /** `"schema"."name"`, ready to splice into SQL text. */
  readonly qualified: string;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Throws unless `value` is a plain lower-case SQL identifier (safe to splice unquoted or quoted). */
export function assertIdentifier(what: string, value: string): void {
  if (!IDENTIFIER.test(value)) throw new InvalidIdentifierError(what, value);
}

/** The physical name of a projection table for one version: `p_<name>_v<version>`. */
export function versionedTableName(tableName: string, version: number): string {
  if (!Number.isInteger(version) || version < 1)
    throw new RangeError(`version must be a positive integer: ${version}`);
  const name = `p_${tableName}_v${version}`;
  assertIdentifier('versioned table name', name);
  return name;
}

/** Checks a definition's names and that its key columns are declared. */
export function validateTableDefinition(definition: TableDefinition): void {
  assertIdentifier('table name', definition.name);
  const columns = Object.keys(definition.columns);
  if (columns.length === 0) throw new TypeError(`table ${definition.name} has no columns`);
  for (const column of columns) assertIdentifier(`column of ${definition.name}`, column);
  if (definition.key.length === 0) throw new TypeError(`table ${definition.name} has no key columns`);
  for (const column of definition.key) {
    if (!(column in definition.columns))
      throw new TypeError(`key column ${column} of ${definition.name} is not declared`);
  }
}
