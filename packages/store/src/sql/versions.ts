import { sql } from 'kysely';
import { VersionLaggingError } from '../errors.ts';
import { lagOf } from '../model/ordering.ts';
import { toJson } from '../model/row-changes.ts';
import type { ProjectionError, ProjectionState, ProjectionStatus, VersionStatus } from '../read-store.ts';
import { appendResetSql } from './change-log.ts';
import { lockProjectionWriters, selectOffsets } from './offsets.ts';
import type { SqlExecutor } from './sql-tx.ts';

interface VersionRow {
  projection: string;
  version: number | null;
  state: ProjectionState;
  last_error: {
    message: string;
    code?: string;
    event?: { topic: string; partition: number; offset: string };
  } | null;
  activated_at: Date | null;
  retired_at: Date | null;
  updated_at: Date;
  active_version: number | null;
}

/**
 * Upserts a version's state and last error; with `unlessStopped`, leaves a `stopped` version as it is.
 * Whether it wrote.
 */
export async function setStatusSql(
  db: SqlExecutor,
  schema: string,
  projection: string,
  version: number,
  state: ProjectionState,
  lastError: ProjectionError | undefined,
  unlessStopped = false,
): Promise<boolean> {
  await sql`INSERT INTO ${sql.table(`${schema}.projections`)} (projection) VALUES (${projection})
    ON CONFLICT DO NOTHING`.execute(db);
  const error = lastError === undefined ? null : toJson(lastError);
  const versions = sql.table(`${schema}.projection_versions`);
  const guard = unlessStopped ? sql`WHERE ${versions}.state <> 'stopped'` : sql``;
  const { rows } = await sql<{
    version: number;
  }>`INSERT INTO ${versions} (projection, version, state, last_error)
    VALUES (${projection}, ${version}, ${state}, ${error}::jsonb)
    ON CONFLICT (projection, version) DO UPDATE
      SET state = EXCLUDED.state, last_error = EXCLUDED.last_error, updated_at = now()
      ${guard}
    RETURNING version`.execute(db);
  return rows.length > 0;
}

/** Statuses of one projection or of all, grouped per projection. */
export async function readStatusesSql(
  db: SqlExecutor,
  schema: string,
  projection?: string,
): Promise<ProjectionStatus[]> {
  const filter = projection === undefined ? sql`` : sql`WHERE p.projection = ${projection}`;
  const { rows } =
    await sql<VersionRow>`SELECT p.projection, p.active_version, v.version, v.state, v.last_error,
      v.activated_at, v.retired_at, v.updated_at
    FROM ${sql.table(`${schema}.projections`)} p
    LEFT JOIN ${sql.table(`${schema}.projection_versions`)} v ON v.projection = p.projection AND v.dropped_at IS NULL
    ${filter}
    ORDER BY p.projection, v.version`.execute(db);
  const byProjection = new Map<string, { active: number | null; versions: VersionStatus[] }>();
  for (const r of rows) {
    const entry = byProjection.get(r.projection) ?? { active: r.active_version, versions: [] };
    byProjection.set(r.projection, entry);
    if (r.version === null) continue;
    entry.versions.push({
      version: r.version,
      state: r.state,
      lastError: r.last_error === null ? undefined : parseError(r.last_error),
      activatedAt: r.activated_at ?? undefined,
      retiredAt: r.retired_at ?? undefined,
      updatedAt: r.updated_at,
    });
  }
  return [...byProjection].map(([name, e]) => ({
    projection: name,
    activeVersion: e.active ?? undefined,
    versions: e.versions,
  }));
}

function parseError(raw: NonNullable<VersionRow['last_error']>): ProjectionError {
  const event = raw.event && { ...raw.event, offset: BigInt(raw.event.offset) };
  return {
    message: raw.message,
    ...(raw.code === undefined ? {} : { code: raw.code }),
    ...(event ? { event } : {}),
  };
}

/**
 * The switch rule, inside the caller's transaction: lock the active version's offsets, require the
 * candidate to be at or past them on every partition, switch, retire the old version, append a reset.
 * Returns false when `version` already was active.
 */
export async function activateVersionSql(
  db: SqlExecutor,
  schema: string,
  projection: string,
  version: number,
): Promise<boolean> {
  await lockProjectionWriters(db, schema, projection);
  const projections = sql.table(`${schema}.projections`);
  const versions = sql.table(`${schema}.projection_versions`);
  await sql`INSERT INTO ${projections} (projection) VALUES (${projection}) ON CONFLICT DO NOTHING`.execute(
    db,
  );
  const { rows } = await sql<{ active_version: number | null }>`SELECT active_version FROM ${projections}
    WHERE projection = ${projection} FOR UPDATE`.execute(db);
  const active = rows[0]?.active_version ?? null;
  if (active === version) return false;
  if (active !== null) {
    const activeOffsets = await selectOffsets(db, schema, projection, active, true);
    const candidate = await selectOffsets(db, schema, projection, version);
    const lagging = lagOf(activeOffsets, candidate);
    if (lagging.length > 0) throw new VersionLaggingError(projection, active, version, lagging);
    await sql`UPDATE ${versions} SET retired_at = now(), updated_at = now()
      WHERE projection = ${projection} AND version = ${active}`.execute(db);
  }
  await sql`UPDATE ${projections} SET active_version = ${version}, updated_at = now()
    WHERE projection = ${projection}`.execute(db);
  await sql`INSERT INTO ${versions} (projection, version, state, activated_at) VALUES (${projection}, ${version}, 'running', now())
    ON CONFLICT (projection, version) DO UPDATE
      SET state = 'running', activated_at = now(), retired_at = NULL, dropped_at = NULL, updated_at = now()`.execute(
    db,
  );
  await appendResetSql(db, schema, projection, version);
  return true;
}

/** Retired versions past the grace period that are not active, locked for dropping. */
export async function retiredVersionsSql(
  db: SqlExecutor,
  schema: string,
  graceMs: number,
  projection?: string,
): Promise<Array<{ projection: string; version: number }>> {
  const only = projection === undefined ? sql`` : sql`AND v.projection = ${projection}`;
  const { rows } = await sql<{ projection: string; version: number }>`SELECT v.projection, v.version
    FROM ${sql.table(`${schema}.projection_versions`)} v
    JOIN ${sql.table(`${schema}.projections`)} p ON p.projection = v.projection
    WHERE v.retired_at IS NOT NULL AND v.dropped_at IS NULL
      AND v.retired_at <= now() - ${Math.floor(graceMs)} * interval '1 millisecond'
      AND p.active_version IS DISTINCT FROM v.version ${only}
    ORDER BY v.projection, v.version
    FOR UPDATE OF v SKIP LOCKED`.execute(db);
  return rows;
}

/** Marks a version dropped and forgets its offsets, lease and parked events. */
export async function markDroppedSql(db: SqlExecutor, schema: string, projection: string, version: number) {
  await sql`UPDATE ${sql.table(`${schema}.projection_versions`)} SET dropped_at = now(), updated_at = now()
    WHERE projection = ${projection} AND version = ${version}`.execute(db);
  for (const table of ['projection_offsets', 'projection_leases', 'parked_events']) {
    await sql`DELETE FROM ${sql.table(`${schema}.${table}`)}
      WHERE projection = ${projection} AND version = ${version}`.execute(db);
  }
}
