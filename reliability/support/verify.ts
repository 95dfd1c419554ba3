import assert from 'node:assert/strict';
import type { CommandResult } from '@sluice/core';
import { waitForResults } from '../../packages/kafka/src/testing/command-fixture.ts';
import type { TestDeployment } from '../../packages/kafka/src/testing/deployment.ts';
import {
  type EventView,
  eventViews,
  exactlyOnceViolations,
  resultsById,
} from '../../packages/kafka/src/testing/exactly-once.ts';
import { readBoth } from '../../packages/kafka/src/testing/topic-oracle.ts';
import type { AuditEntry, AuditLog } from './audit.ts';
import { checkTally, type Tally } from './tally.ts';

/** The figures of a verified run. */
export interface Verdict {
  /** Distinct good commands the broker acknowledged. */
  readonly accepted: number;
  /** Accepted commands without a result, or accepted (OK) without their events or read-store row. */
  readonly lost: number;
  /** Commands whose events were written more than once, or whose read-store row was applied twice. */
  readonly duplicated: number;
  readonly results: Map<string, CommandResult[]>;
  readonly events: Map<string, EventView[]>;
  readonly audit: AuditEntry[];
}

/** What {@link verifyRun} reads. */
export interface VerifyOptions {
  readonly deployment: TestDeployment;
  readonly audit: AuditLog;
  readonly aggregateTypes: readonly string[];
  /** The applied-commands read model, checked against `user` events. */
  readonly tally?: Tally;
}

/**
 * After the load and the faults: reads the topics read_committed with our consumer and the Java
 * console consumer (they must agree), checks that each audited offset holds its command, that every
 * accepted command has a result and its events exactly once, and that the read store applied each
 * exactly once. Asserts all of it and returns the figures.
 */
export async function verifyRun(options: VerifyOptions): Promise<Verdict> {
  const { deployment, audit } = options;
  const { connection, topics } = deployment;
  const entries = await audit.entries();
  const commands = await readBoth(connection, topics.commands, { compare: 'position', idleMs: 3_000 });
  const byPosition = new Map(commands.map((r) => [`${r.partition}/${r.offset}`, r]));
  for (const entry of entries) {
    const record = byPosition.get(`${entry.partition}/${entry.offset}`);
    assert.ok(record, `accepted ${entry.commandId} at ${entry.partition}/${entry.offset}: no such record`);
    if (entry.kind === 'good')
      assert.ok(
        record.value.toString().includes(entry.commandId),
        `the record at ${entry.partition}/${entry.offset} is not command ${entry.commandId}`,
      );
  }

  const ids = new Set(entries.filter((e) => e.kind === 'good').map((e) => e.commandId));
  await waitForResults(connection, topics.commandResults, ids, 240_000);
  const results = resultsById(await readBoth(connection, topics.commandResults));
  const events = new Map<string, EventView[]>();
  for (const type of options.aggregateTypes)
    events.set(type, eventViews(await readBoth(connection, topics.events(type))));

  // Redelivered or re-sent commands may have several (identical) results: sentOnce is false.
  const violations = exactlyOnceViolations({ commandIds: ids, results, events, sentOnce: false });
  const eventsOf = new Map<string, number>();
  for (const list of events.values())
    for (const event of list) eventsOf.set(event.commandId, (eventsOf.get(event.commandId) ?? 0) + 1);
  const lostIds = new Set<string>();
  for (const id of ids) {
    const first = results.get(id)?.[0];
    if (!first || (first.code === 'OK' && first.version !== undefined && !eventsOf.has(id))) lostIds.add(id);
  }
  const doubledIds = new Set([...eventsOf].filter(([, n]) => n > 1).map(([id]) => id));
  if (options.tally) {
    const userEvents = events.get('user') ?? [];
    const applied = new Set(userEvents.map((e) => e.commandId).filter((id) => ids.has(id)));
    const check = await checkTally(options.tally, applied, userEvents, topics.events('user'));
    for (const id of check.missing) lostIds.add(id);
    for (const line of check.doubled) doubledIds.add(line.split(' ')[0] ?? line);
    assert.deepEqual(check, { missing: [], doubled: [], strange: [] }, 'read store');
  }
  assert.deepEqual(violations, [], 'exactly-once over the topics');
  assert.equal(lostIds.size, 0, `lost: ${[...lostIds].slice(0, 5).join(', ')}`);
  assert.equal(doubledIds.size, 0, `duplicated: ${[...doubledIds].slice(0, 5).join(', ')}`);
  return {
    accepted: ids.size,
    lost: lostIds.size,
    duplicated: doubledIds.size,
    results,
    events,
    audit: entries,
  };
}
