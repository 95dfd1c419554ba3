import { type KafkaConnection, PartitionReader } from '@sluice/kafka';
import {
  type AnyProjection,
  cancelRebuild,
  openReadStore,
  projectionLag,
  type ReadStore,
  rebuildProjection,
  retryProjection,
} from '@sluice/store';
import cliProgress from 'cli-progress';
import { type CliOutput, type CommandGroup, parseGroupArgs, UsageError } from '../command-group.ts';
import { findProjection, loadProjectionsApp, type ProjectionsApp } from './projections-app.ts';

const USAGE = `Usage: sluice projections <command> [options]

Read models built from the event log: their state, rebuilds and parked events.

Commands:
  status              each projection's versions, state, lag per partition and last error
  rebuild NAME        build a new version beside the active one, then switch to it (progress bar);
                      if this command stops, projector processes carry the rebuild on
  cancel NAME         stop the rebuild under way, wherever it runs (the active version stays)
  retry NAME          replay parked events (or resume a projection stopped on a poison event)

Options:
  --app MODULE        module exporting 'projections' and 'store' (default: SLUICE_APP, else
                      apps/orders/projections/index.ts)
  --brokers LIST      Kafka bootstrap brokers (default: KAFKA_BROKERS, else localhost:9092)
  --version N         rebuild: the version to build (default: one above every known version)
  --key KEY           retry: only this key's parked events
  -h, --help          show this help`;

const OPTIONS = {
  app: { type: 'string' },
  brokers: { type: 'string' },
  version: { type: 'string' },
  key: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface Options {
  app?: string;
  brokers?: string;
  version?: string;
  key?: string;
}

/** `sluice projections status|rebuild|cancel|retry`. */
export const projectionsCommands: CommandGroup = {
  name: 'projections',
  summary: 'read models: status, blue-green rebuild with progress, cancel, retry of parked events',
  usage: USAGE,
  async run(args, output) {
    const parsed = parseGroupArgs(args, OPTIONS);
    const [command, name, ...extra] = parsed.positionals;
    if (parsed.values.help || command === undefined) {
      output.out(USAGE);
      return parsed.values.help ? 0 : 2;
    }
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    if (!['status', 'rebuild', 'cancel', 'retry'].includes(command))
      throw new UsageError(`unknown command '${command}'`);
    const options: Options = parsed.values;
    const app = await loadProjectionsApp(options.app);
    const projection = command === 'status' ? undefined : findProjection(app, name);
    const store = await openReadStore(app.store);
    try {
      if (command === 'status') return await status(app, store, connectionOf(options), output);
      if (command === 'retry') return await retry(app, store, projection!, options, output);
      if (command === 'cancel') return await cancel(store, projection!, output);
      return await rebuild(app, store, projection!, connectionOf(options), options, output);
    } finally {
      await store.close();
    }
  },
};

function connectionOf(options: Options): KafkaConnection {
  const brokers = options.brokers ?? process.env.KAFKA_BROKERS ?? 'localhost:9092';
  return { brokers: brokers.split(',').map((b) => b.trim()), clientId: 'sluice-cli' };
}

async function status(app: ProjectionsApp, store: ReadStore, connection: KafkaConnection, output: CliOutput) {
  const reader = new PartitionReader({ connection });
  const prefix = app.topicPrefix ?? '';
  try {
    for (const projection of app.projections) {
      const found = await store.readStatus(projection.name);
      const active = found?.activeVersion;
      output.out(`${projection.name}  active v${active ?? '-'}  (code v${projection.version})`);
      for (const v of found?.versions ?? []) {
        output.out(`  v${v.version}  ${v.state}${v.version === active ? '  serving' : ''}`);
        const lags = await projectionLag(store, reader, projection, v.version, prefix);
        for (const topic of new Set(lags.map((l) => l.topic))) {
          const line = lags.filter((l) => l.topic === topic).map((l) => `${l.partition}:${l.lag}`);
          output.out(`    lag ${topic}  ${line.join(' ')}`);
        }
        if (v.lastError) {
          const at = v.lastError.event;
          const where = at ? ` at ${at.topic}/${at.partition}@${at.offset}` : '';
          output.out(
            `    last error${where}: ${v.lastError.message}${v.lastError.code ? ` [${v.lastError.code}]` : ''}`,
          );
        }
      }
      const parked = await store.listParked(projection.name, active);
      if (parked.length > 0)
        output.out(
          `    parked: ${parked.length} event(s) of ${new Set(parked.map((p) => p.key)).size} key(s)`,
        );
    }
  } finally {
    await reader.close();
  }
  return 0;
}

async function retry(
  app: ProjectionsApp,
  store: ReadStore,
  projection: AnyProjection,
  options: Options,
  output: CliOutput,
) {
  const report = await retryProjection(store, projection, {
    ...(app.topicPrefix === undefined ? {} : { topicPrefix: app.topicPrefix }),
    ...(options.key === undefined ? {} : { key: options.key }),
  });
  output.out(
    `${projection.name} v${report.version}: replayed ${report.replayed}, applied ${report.applied}, parked again ${report.parked}${report.resumed ? ', resumed' : ''}`,
  );
  return report.parked > 0 ? 1 : 0;
}

async function cancel(store: ReadStore, projection: AnyProjection, output: CliOutput) {
  const version = await cancelRebuild(store, projection);
  if (version === undefined) {
    output.err(`${projection.name}: no rebuild under way`);
    return 1;
  }
  output.out(`${projection.name} v${version}: rebuild cancelled (its builder stops within a lease tick)`);
  return 0;
}

async function rebuild(
  app: ProjectionsApp,
  store: ReadStore,
  projection: AnyProjection,
  connection: KafkaConnection,
  options: Options,
  output: CliOutput,
) {
  const version = options.version === undefined ? undefined : Number(options.version);
  if (version !== undefined && (!Number.isInteger(version) || version < 1))
    throw new UsageError('--version must be a positive integer');
  const run = await rebuildProjection({
    store,
    connection,
    projection,
    ...(app.topicPrefix === undefined ? {} : { topicPrefix: app.topicPrefix }),
    // A version named on the command line is built even if its rebuild was cancelled before.
    ...(version === undefined ? {} : { version, resumeCancelled: true }),
  });
  output.err(`Rebuilding ${projection.name} v${run.version} from the start of the log`);
  const bar = new cliProgress.SingleBar(
    {
      format: '{bar} {percentage}% | {value}/{total} offsets | {rate} events/s | ETA {eta_s}s',
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1, 0, { rate: 0 });
  for await (const p of run.progress()) {
    bar.setTotal(Math.max(1, Number(p.total)));
    bar.update(Number(p.done), { rate: p.eventsPerSecond });
  }
  bar.stop();
  await run.done;
  output.out(`${projection.name} v${run.version} is active`);
  return 0;
}
