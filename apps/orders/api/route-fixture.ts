import { buildServer, createLogger, createSluiceMetrics, type ServerConfig } from '@sluice/http';
import {
  InMemoryChangeFeed,
  InMemoryCommandBus,
  ownRowsFilter,
  TEST_OPERATOR_TOKEN,
  testConfig,
} from '@sluice/http/testing';
import {
  type AnyProjection,
  MemoryReadStore,
  prepareProjectionTables,
  ReadSide,
  type Row,
  topicPartitionKey,
  upsertChange,
} from '@sluice/store';
import type { FastifyInstance } from 'fastify';
import type { ProjectionAdmin, ProjectionStatusView, RebuildView } from '../projection-admin.ts';
import { ShopQueries } from '../read-model.ts';
import { projections, registry } from '../shop.ts';
import { shopDomainCodes, shopRoutes } from './index.ts';

/** A projection admin that records what it was asked: the routes' test double for the rebuild machinery. */
export class RecordingProjectionAdmin implements ProjectionAdmin {
  readonly started: string[] = [];
  views = new Map<string, RebuildView>();
  async statuses(): Promise<ProjectionStatusView[]> {
    return [{ projection: 'order_status', activeVersion: 1, versions: [] }];
  }
  async startRebuild(name: string): Promise<RebuildView> {
    if (!projections.some((p) => p.name === name))
      throw Object.assign(new Error(`no ${name}`), { code: 'UNKNOWN_PROJECTION' });
    if (this.views.get(name)?.state === 'running')
      throw Object.assign(new Error('running'), { code: 'REBUILD_RUNNING' });
    this.started.push(name);
    const view: RebuildView = {
      projection: name,
      version: 2,
      state: 'running',
      done: '0',
      total: '10',
      eventsPerSecond: 0,
      caughtUp: false,
      active: false,
    };
    this.views.set(name, view);
    return view;
  }
  async cancelRebuild(name: string): Promise<number | undefined> {
    if (!projections.some((p) => p.name === name))
      throw Object.assign(new Error(`no ${name}`), { code: 'UNKNOWN_PROJECTION' });
    const view = this.views.get(name);
    if (view?.state !== 'running') return undefined;
    this.views.set(name, { ...view, state: 'failed', error: 'cancelled' });
    return view.version;
  }
  async rebuild(name: string): Promise<RebuildView | undefined> {
    return this.views.get(name);
  }
  async watch(name: string, onProgress: (view: RebuildView) => void): Promise<void> {
    const view = this.views.get(name)!;
    onProgress({ ...view, done: '5' });
    onProgress({ ...view, done: '10', state: 'done', caughtUp: true, active: true });
  }
}

/** The shop's routes over in-memory ports and a memory read store the test fills. */
export interface RouteFixture {
  readonly app: FastifyInstance;
  readonly bus: InMemoryCommandBus;
  readonly store: MemoryReadStore;
  readonly admin: RecordingProjectionAdmin;
  bearer(userId: string): Promise<string>;
  readonly operator: string;
  /** Writes rows into a projection's active tables. */
  seed(projection: AnyProjection, table: string, rows: readonly Row[]): Promise<void>;
  /** Sets a projection's next offset for a topic/partition, as a projector would. */
  advance(projection: AnyProjection, topic: string, partition: number, next: bigint): Promise<void>;
}

/** Builds the shop's server for route tests; `t.after(() => fixture.app.close())` is the caller's. */
export async function routeFixture(
  config: Partial<ServerConfig> = {},
  webDist = '/nonexistent',
): Promise<RouteFixture> {
  const store = new MemoryReadStore();
  const readSide = new ReadSide({ store, projections });
  const queries = new ShopQueries(readSide);
  const bus = new InMemoryCommandBus(registry);
  const admin = new RecordingProjectionAdmin();
  const server = testConfig(config);
  const metrics = createSluiceMetrics({ defaultMetrics: false });
  const app = await buildServer(server, {
    registry,
    sender: bus,
    results: bus,
    waiter: queries,
    feed: new InMemoryChangeFeed(),
    streamFilter: ownRowsFilter,
    metrics,
    domainCodes: shopDomainCodes,
    logger: createLogger('silent'),
    routes: shopRoutes({
      commands: { registry, sender: bus, metrics, timeoutMs: server.commandTimeoutMs },
      queries,
      operators: server.operatorToken !== undefined,
      admin,
      webDist,
    }),
  });
  const activated = new Set<string>();
  async function activate(projection: AnyProjection) {
    const tables = await prepareProjectionTables(store, projection, 1);
    if (!activated.has(projection.name)) {
      await store.setStatus(projection.name, 1, 'running');
      await store.activateVersion(projection.name, 1);
      activated.add(projection.name);
    }
    return tables;
  }
  return {
    app,
    bus,
    store,
    admin,
    operator: `Bearer ${TEST_OPERATOR_TOKEN}`,
    bearer: async (userId) => `Bearer ${await app.tokens.issue(userId)}`,
    async seed(projection, table, rows) {
      const tables = await activate(projection);
      const definition = projection.tables[table]!;
      await store.transaction((tx) =>
        store.writeRows(
          tx,
          tables[table]!,
          rows.map((row) => upsertChange(definition, row)),
        ),
      );
    },
    async advance(projection, topic, partition, next) {
      await activate(projection);
      const expected = await store.readOffsets(projection.name, 1);
      const tp = topicPartitionKey(topic, partition);
      await store.transaction((tx) =>
        store.commitOffsets(tx, projection.name, 1, new Map([[tp, expected.get(tp)]]), new Map([[tp, next]])),
      );
    },
  };
}
