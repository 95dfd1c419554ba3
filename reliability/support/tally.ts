import type { TestContext } from 'node:test';
import { type PositionEntry, positionToken } from '@sluice/core';
import { defineProjection, Projector, ReadSide, type ReadStore } from '@sluice/store';
import { openTestStore } from '@sluice/store/testing';
import type { TestDeployment } from '../../packages/kafka/src/testing/deployment.ts';
import type { EventView } from '../../packages/kafka/src/testing/exactly-once.ts';

/**
 * One row per applied UpdateUser command, with how many times it was applied: a read model in which
 * a batch applied twice (or skipped) shows, unlike one that only keeps the latest name.
 */
export const appliedCommands = defineProjection({
  name: 'applied_commands',
  version: 1,
  topics: ['user-events'],
  tables: {
    applied: {
      name: 'applied_commands',
      columns: { command_id: 'text', user_id: 'text', version: 'integer', applied: 'integer' },
      key: ['command_id'],
    },
  },
  async apply(events, { applied }) {
    await applied.load(events.map((e) => ({ command_id: e.metadata.commandId })));
    for (const event of events) {
      const key = { command_id: event.metadata.commandId };
      const times = Number(applied.get(key)?.applied ?? 0) + 1;
      const { aggregateId: user_id, version } = event.metadata;
      applied.upsert({ ...key, user_id, version, applied: times });
    }
  },
});

/** The read store of a scenario: PostgreSQL in a schema of its own, dropped at the end. */
export interface Tally {
  readonly store: ReadStore;
  readonly schema: string;
  readonly readSide: ReadSide;
  /** Starts an in-process projector of the serving version; stopped at teardown. */
  startProjector(): Promise<Projector>;
}

/** Opens a fresh PostgreSQL read store for {@link appliedCommands} on the deployment's events. */
export async function openTally(t: TestContext, deployment: TestDeployment): Promise<Tally> {
  const db = await openTestStore('postgres');
  t.after(() => db.close());
  const readSide = new ReadSide({
    store: db.store,
    projections: [appliedCommands],
    topicPrefix: deployment.prefix,
  });
  return {
    store: db.store,
    schema: db.schema,
    readSide,
    async startProjector() {
      const projector = new Projector({
        store: db.store,
        connection: deployment.connection,
        projection: appliedCommands,
        topicPrefix: deployment.prefix,
        renewEveryMs: 500,
      });
      // The deployment's teardown runs before the store's (registered earlier): stop before close.
      deployment.defer(() => projector.stop());
      await projector.start();
      return projector;
    },
  };
}

/** What the read store shows against the accepted commands. */
export interface TallyCheck {
  /** Accepted commands without a row. */
  readonly missing: string[];
  /** Rows applied more than once. */
  readonly doubled: string[];
  /** Rows of commands nobody sent, or with a version that differs from the event's. */
  readonly strange: string[];
}

/**
 * Waits until the active version has read past the last of `events` (generous deadline), then
 * compares its rows with the accepted command ids and the events they wrote.
 */
export async function checkTally(
  tally: Tally,
  accepted: ReadonlySet<string>,
  events: readonly EventView[],
  topic: string,
): Promise<TallyCheck> {
  const last = new Map<number, PositionEntry>();
  for (const event of events)
    last.set(event.partition, { topic, partition: event.partition, offset: String(event.offset) });
  await tally.readSide.waitForPosition(appliedCommands.name, positionToken(last.values()), 180_000);
  const { applied } = await tally.readSide.tables(appliedCommands.name);
  const rows = await tally.store.findRows(applied!);
  const versions = new Map(events.map((e) => [e.commandId, e.version]));
  const seen = new Set<string>();
  const doubled: string[] = [];
  const strange: string[] = [];
  for (const row of rows) {
    const id = String(row.command_id);
    seen.add(id);
    if (Number(row.applied) !== 1) doubled.push(`${id} applied ${row.applied} times`);
    if (!accepted.has(id)) strange.push(`${id} was never accepted`);
    else if (versions.get(id) !== Number(row.version))
      strange.push(`${id} at version ${row.version}, its event has ${versions.get(id)}`);
  }
  const missing = [...accepted].filter((id) => !seen.has(id));
  return { missing, doubled, strange };
}
