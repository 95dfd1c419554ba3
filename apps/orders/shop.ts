import { join } from 'node:path';
import { bookingCommands, bookingDeciders } from '@sluice/booking';
import { seatAvailabilityProjection } from '@sluice/booking/projections';
import { createCommandRegistry, type Decider } from '@sluice/core';
import {
  batchRecorder,
  buildServer,
  createLogger,
  createSluiceMetrics,
  type SluiceMetrics,
} from '@sluice/http';
import {
  CommandGateway,
  CommandProcessor,
  createAdmin,
  ensureTopics,
  type KafkaConnection,
  replyPartitionFor,
  sluiceTopics,
  topicNames,
} from '@sluice/kafka';
import { type LocalKafka, startLocalKafka } from '@sluice/local-kafka';
import { shopCommands, shopDeciders } from '@sluice/orders/domain';
import {
  commandResultsProjection,
  itemsByBandProjection,
  orderStatusProjection,
  usersProjection,
} from '@sluice/orders/projections';
import {
  type AnyProjection,
  openReadStore,
  type ProjectionProgress,
  Projector,
  ReadSide,
  type ReadStore,
  RebuildCarrier,
} from '@sluice/store';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { shopDomainCodes, shopRoutes } from './api/index.ts';
import type { ShopConfig } from './config.ts';
import { FulfilmentWorker } from './fulfilment.ts';
import { StoreProjectionAdmin } from './projection-admin.ts';
import { mergedChangeFeed, ownerOfChange, ShopQueries } from './read-model.ts';

/** Every command type the shop accepts: the shop's and the booking example's. */
export const registry = createCommandRegistry([
  ...shopCommands.definitions(),
  ...bookingCommands.definitions(),
]);
/** Deciders by aggregate type. */
export const deciders: ReadonlyMap<string, Decider<unknown>> = new Map(
  Object.entries({ ...shopDeciders, ...bookingDeciders }) as [string, Decider<unknown>][],
);
/** Every projection the shop runs. */
export const projections: readonly AnyProjection[] = [
  orderStatusProjection,
  itemsByBandProjection,
  usersProjection,
  commandResultsProjection,
  seatAvailabilityProjection,
];
/** Projections whose changes go to `GET /api/stream` (results stay private to `GET /api/commands/:id`). */
const streamed = projections.filter((p) => p !== commandResultsProjection);

const WEB_DIST = join(import.meta.dirname, 'web', 'dist');

/** A running shop: what it started, for tests and for an orderly stop. */
export interface ShopHandles {
  readonly config: ShopConfig;
  readonly brokers: readonly string[];
  readonly connection: KafkaConnection;
  readonly store: ReadStore;
  readonly metrics: SluiceMetrics;
  readonly logger: Logger;
  readonly localKafka?: LocalKafka;
  readonly processor?: CommandProcessor;
  readonly projectors: readonly Projector[];
  readonly gateway?: CommandGateway;
  readonly queries?: ShopQueries;
  readonly app?: FastifyInstance;
  /** `http://host:port` when the api role runs. */
  readonly url?: string;
  readonly fulfilment?: FulfilmentWorker;
  /** Milliseconds spent on each start-up step. */
  readonly timings: Readonly<Record<string, number>>;
  /** Stops everything this process started, in order; a local Kafka is left running (it is shared). */
  stop(): Promise<void>;
}

/** Options of {@link startShop} besides the configuration. */
export interface StartShopOptions {
  /** Progress lines while a local Kafka is provisioned. */
  readonly onProgress?: (message: string) => void;
  /** Called when a part fails for good (e.g. a duplicate instance id): the process should stop. */
  readonly onFatal?: (error: unknown) => void;
  readonly logger?: Logger;
}

/** Starts the roles the configuration names and returns their handles. */
export async function startShop(config: ShopConfig, options: StartShopOptions = {}): Promise<ShopHandles> {
  const began = performance.now();
  const timings: Record<string, number> = {};
  const lap = (name: string, from: number): void => {
    timings[name] = Math.round(performance.now() - from);
  };
  const logger = options.logger ?? createLogger(config.server.logLevel);
  const onFatal =
    options.onFatal ?? ((error: unknown) => logger.error({ err: error }, 'a part of the shop failed'));
  const closers: (() => Promise<unknown>)[] = [];
  const stop = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse())
      await close().catch((error: unknown) => logger.error({ err: error }, 'stopping a part failed'));
  };
  // The embedded store takes seconds to open: open it while Kafka is provisioned and the topics checked.
  const storeStarted = performance.now();
  const opening = openReadStore(config.store).then((store) => {
    lap('store', storeStarted);
    return store;
  });
  opening.catch(() => undefined); // handled where it is awaited; this only keeps an early failure from being "unhandled"
  closers.push(async () => (await opening.catch(() => undefined))?.close());
  try {
    let step = performance.now();
    let localKafka: LocalKafka | undefined;
    let brokers = config.brokers;
    if (brokers === undefined) {
      localKafka = await startLocalKafka({
        dataDir: join(config.dataDir, 'kafka'),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
      brokers = localKafka.brokers;
    }
    lap('kafka', step);
    const connection: KafkaConnection = {
      brokers,
      clientId: `${config.topicPrefix}shop-${config.instanceId}`,
    };
    step = performance.now();
    const admin = createAdmin(connection);
    closers.push(() => admin.close());
    const aggregateTypes = [...new Set([...registry.aggregateTypes()])];
    await ensureTopics(
      admin,
      sluiceTopics({
        prefix: config.topicPrefix,
        aggregateTypes,
        partitions: config.partitions,
        resultPartitions: config.resultPartitions,
      }),
    );
    lap('topics', step);
    const store = await opening;

    const projectors: Projector[] = [];
    let rebuildCarrier: RebuildCarrier | undefined;
    // Lag per source partition, read from the store and Kafka (right whichever process projects).
    let projectionAdmin: StoreProjectionAdmin | undefined;
    const metrics = createSluiceMetrics({
      projectionLag: async () => (projectionAdmin ? projectionAdmin.lagSamples() : []),
    });
    const prefix = config.topicPrefix;
    const base = { config, brokers, connection, store, metrics, logger, projectors, timings, stop };
    const handles: { -readonly [K in keyof ShopHandles]?: ShopHandles[K] } = {
      ...base,
      ...(localKafka ? { localKafka } : {}),
    };

    if (config.roles.has('projector')) {
      step = performance.now();
      for (const projection of projections) {
        const projector = new Projector({ store, connection, projection, topicPrefix: prefix });
        projector.on('failure', (error: unknown) =>
          logger.warn({ err: error, projection: projection.name }, 'projector batch failed; retrying'),
        );
        projector.on('stopped-on-poison', (detail: unknown) =>
          logger.error({ detail, projection: projection.name }, 'projection stopped on a poison event'),
        );
        await projector.start();
        closers.push(() => projector.stop());
        projectors.push(projector);
      }
      // Rebuilds started by another process (an API process, the CLI) go on here if it dies.
      const carrier = new RebuildCarrier({
        store,
        connection,
        projections,
        topicPrefix: prefix,
        buildsHere: (name, version) =>
          projectors.some((p) => p.progress().projection === name && p.version === version) ||
          projectionAdmin?.builds(name, version) === true,
      });
      carrier.on('carrying', (detail: unknown) => logger.info(detail, 'carrying on a rebuild'));
      carrier.on('failure', (error: unknown) =>
        logger.warn({ err: error }, 'rebuild carrier failed; retrying'),
      );
      carrier.start();
      closers.push(() => carrier.stop());
      rebuildCarrier = carrier;
      lap('projectors', step);
    }

    if (config.roles.has('processor')) {
      step = performance.now();
      const processor = new CommandProcessor({
        connection,
        registry,
        deciders,
        instanceId: config.instanceId,
        topicPrefix: prefix,
        partitions: config.partitions,
        resultPartitions: config.resultPartitions,
        onBatch: batchRecorder(metrics),
        logger,
      });
      processor.start().catch(onFatal);
      closers.push(() => processor.stop());
      handles.processor = processor;
      lap('processor', step);
    }

    if (config.roles.has('api')) {
      step = performance.now();
      const gateway = new CommandGateway({
        connection,
        registry,
        topicPrefix: prefix,
        partitions: config.partitions,
        resultPartitions: config.resultPartitions,
        replyPartition: replyPartitionFor(config.instanceId, config.resultPartitions),
        timeoutMs: config.server.commandTimeoutMs,
      });
      await gateway.start();
      closers.push(() => gateway.close());
      const readSide = new ReadSide({
        store,
        projections,
        topicPrefix: prefix,
        cache: config.queryCacheEntries > 0 && { maxEntries: config.queryCacheEntries },
      });
      closers.push(() => readSide.close());
      const queries = new ShopQueries(readSide);
      projectionAdmin = new StoreProjectionAdmin({
        store,
        connection,
        projections,
        topicPrefix: prefix,
        progress: () =>
          new Map<string, ProjectionProgress>(projectors.map((p) => [p.progress().projection, p.progress()])),
        carried: () => rebuildCarrier?.carried() ?? new Map(),
        // Without the projector role, rebuilds are left to the projector processes (their carriers).
        buildsRebuilds: config.roles.has('projector'),
      });
      const operatorAdmin = projectionAdmin;
      closers.push(() => operatorAdmin.close());
      const operators = config.server.operatorToken !== undefined;
      let fulfilment: FulfilmentWorker | undefined;
      if (config.fulfilment.mode === 'auto') {
        fulfilment = new FulfilmentWorker({
          queries,
          sender: gateway,
          everyMs: config.fulfilment.everyMs,
          logger,
        });
        fulfilment.start();
        closers.push(() => fulfilment!.stop());
      }
      const commandsTopic = topicNames(prefix).commands;
      const app = await buildServer(config.server, {
        registry,
        sender: gateway,
        results: queries,
        waiter: queries,
        feed: mergedChangeFeed(readSide, streamed),
        streamFilter: (principal, event) => {
          if ('operator' in principal) return true;
          // Seat maps are public; everything else belongs to one user.
          if (
            (event.data as { projection?: string } | undefined)?.projection ===
            seatAvailabilityProjection.name
          )
            return true;
          return ownerOfChange(event) === principal.userId;
        },
        readiness: [
          { name: 'kafka', check: async () => void (await admin.metadata({ topics: [commandsTopic] })) },
          { name: 'store', check: async () => void (await store.listStatuses()) },
          { name: 'projections', check: () => projectionsServing(store) },
        ],
        metrics,
        domainCodes: shopDomainCodes,
        logger,
        routes: shopRoutes({
          commands: { registry, sender: gateway, metrics, timeoutMs: config.server.commandTimeoutMs },
          queries,
          operators,
          admin: operatorAdmin,
          webDist: WEB_DIST,
        }),
        openApi: {
          title: 'Sluice shop',
          version: '0.1.0',
          description: 'The reference online shop on Sluice',
        },
      });
      await app.listen({ port: config.server.port, host: config.server.host });
      // Closed last-registered-first: HTTP stops accepting before the gateway and fulfilment go.
      closers.push(() => app.close());
      const address = app.server.address();
      const port = typeof address === 'object' && address !== null ? address.port : config.server.port;
      const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
      Object.assign(handles, {
        gateway,
        queries,
        app,
        url: `http://${host}:${port}`,
        ...(fulfilment ? { fulfilment } : {}),
      });
      lap('api', step);
    }
    lap('total', began);
    return handles as ShopHandles;
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Every projection has an active version and none has stopped on a poison event. */
async function projectionsServing(store: ReadStore): Promise<void> {
  const statuses = new Map((await store.listStatuses()).map((s) => [s.projection, s]));
  const problems: string[] = [];
  for (const { name } of projections) {
    const status = statuses.get(name);
    const active = status?.versions.find((v) => v.version === status.activeVersion);
    if (active === undefined) problems.push(`${name} has no active version`);
    else if (active.state === 'failed')
      problems.push(`${name} v${active.version} stopped: ${active.lastError?.message ?? 'failed'}`);
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
}
