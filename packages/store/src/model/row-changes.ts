/** A row of a projection table: column name to value. */
export type Row = Readonly<Record<string, unknown>>;

/** One write a projection makes to a table row, identified by a row key. */
export type RowChange =
  | { readonly key: string; readonly op: 'upsert'; readonly row: Row }
  | { readonly key: string; readonly op: 'delete'; readonly row: Row };

/**
 * Folds a batch's changes so each row key is written once: the last change per key wins, so a
 * delete after upserts deletes and an upsert after a delete recreates. Keeps first-seen key order.
 */
export function foldByKey(changes: Iterable<RowChange>): RowChange[] {
  const last = new Map<string, RowChange>();
  for (const change of changes) last.set(change.key, change);
  return [...last.values()];
}

/** The row key of a row under the given key columns: the value itself for one column, else a JSON array. */
export function rowKeyOf(keyColumns: readonly string[], row: Row): string {
  if (keyColumns.length === 1) return String(row[keyColumns[0]!]);
  return JSON.stringify(keyColumns.map((c) => normaliseKeyPart(row[c])));
}

function normaliseKeyPart(value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** An upsert of `row`, keyed by the table's key columns. */
export function upsertChange(table: { readonly key: readonly string[] }, row: Row): RowChange {
  return { key: rowKeyOf(table.key, row), op: 'upsert', row };
}

/** A delete of the row whose key columns `keyRow` holds. */
export function deleteChange(table: { readonly key: readonly string[] }, keyRow: Row): RowChange {
  return { key: rowKeyOf(table.key, keyRow), op: 'delete', row: keyRow };
}

/** JSON text of a value, with bigints as decimal strings (JSON has no 64-bit integers). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}
