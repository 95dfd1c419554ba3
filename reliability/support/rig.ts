import type { TestContext } from 'node:test';
import type { TestDeployment } from '../../packages/kafka/src/testing/deployment.ts';
import { AuditLog } from './audit.ts';
import { AuditedProducer, UserLoad } from './load.ts';
import { openTally, type Tally } from './tally.ts';
import { type Verdict, verifyRun } from './verify.ts';

/** What a load scenario runs against a deployment: audit, audited producer, read store, load. */
export interface LoadRig {
  readonly audit: AuditLog;
  readonly producer: AuditedProducer;
  readonly tally: Tally;
  readonly load: UserLoad;
  /** Stops the load, then verifies topics and read store (see `verifyRun`). */
  finish(): Promise<Verdict>;
}

/**
 * Starts the applied-commands projector and steady UpdateUser load on a deployment; all of it stops at
 * teardown, before the deployment's topics go.
 */
export async function startLoadRig(
  t: TestContext,
  deployment: TestDeployment,
  options: { scenario: string; rate: number; users: number },
): Promise<LoadRig> {
  const audit = await AuditLog.create(t, options.scenario);
  const tally = await openTally(t, deployment);
  await tally.startProjector();
  const producer = new AuditedProducer(deployment.connection, deployment.topics.commands, audit);
  deployment.defer(() => producer.close());
  const load = new UserLoad({ producer, partitions: deployment.partitions, ...options });
  deployment.defer(() => load.stop().catch(() => undefined));
  return {
    audit,
    producer,
    tally,
    load,
    async finish() {
      await load.stop();
      return verifyRun({ deployment, audit, aggregateTypes: ['user'], tally });
    },
  };
}
