import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** One partition's lag of a projection: end offset minus its next offset. */
export interface ProjectionLagSample {
  readonly projection: string;
  readonly topic: string;
  readonly partition: number;
  readonly lag: number | bigint;
}

/** Options of {@link createSluiceMetrics}. */
export interface SluiceMetricsOptions {
  /** The registry the app owns; a new one by default. */
  readonly registry?: Registry;
  /** Read at every scrape to set `sluice_projection_lag`. */
  readonly projectionLag?: () => Promise<readonly ProjectionLagSample[]> | readonly ProjectionLagSample[];
  /** Node's default process metrics (on by default). */
  readonly defaultMetrics?: boolean;
}

/** Sluice's metrics, registered in one prom-client registry. */
export interface SluiceMetrics {
  readonly registry: Registry;
  readonly commands: Counter<'code'>;
  readonly commandDuration: Histogram<'code'>;
  readonly batchSize: Histogram;
  readonly projectionLag: Gauge<'projection' | 'topic' | 'partition'>;
}

/** Creates and registers `sluice_commands_total`, `sluice_command_duration_seconds`, `sluice_batch_size`, `sluice_projection_lag`. */
export function createSluiceMetrics(options: SluiceMetricsOptions = {}): SluiceMetrics {
  const registry = options.registry ?? new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const commands = new Counter({
    name: 'sluice_commands_total',
    help: 'Commands answered by the HTTP gateway, by result code (OK, a rejection code, or PENDING)',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const commandDuration = new Histogram({
    name: 'sluice_command_duration_seconds',
    help: 'Time from sending a command to receiving its result',
    labelNames: ['code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const batchSize = new Histogram({
    name: 'sluice_batch_size',
    help: 'Records per batch handled by a command processor or projector',
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2000, 5000],
    registers: [registry],
  });
  const lagSource = options.projectionLag;
  const projectionLag = new Gauge({
    name: 'sluice_projection_lag',
    help: 'Records a projection has still to apply, per source partition',
    labelNames: ['projection', 'topic', 'partition'] as const,
    registers: [registry],
    async collect() {
      if (lagSource === undefined) return;
      const samples = await lagSource();
      this.reset(); // partitions that went away must not keep their last value
      for (const sample of samples)
        this.set(
          { projection: sample.projection, topic: sample.topic, partition: String(sample.partition) },
          Number(sample.lag),
        );
    },
  });
  return { registry, commands, commandDuration, batchSize, projectionLag };
}

/** Counts a command's outcome and, when it has a result, how long it took. */
export function recordCommand(metrics: SluiceMetrics, code: string, seconds?: number): void {
  metrics.commands.inc({ code });
  if (seconds !== undefined) metrics.commandDuration.observe({ code }, seconds);
}

/** Records a batch's size: pass it to the processor's or projector's `onBatch`. */
export function recordBatch(metrics: SluiceMetrics, size: number): void {
  metrics.batchSize.observe(size);
}

/** An `onBatch` callback for `CommandProcessor`: `new CommandProcessor({ …, onBatch: batchRecorder(metrics) })`. */
export function batchRecorder(metrics: SluiceMetrics): (stats: { readonly commands: number }) => void {
  return (stats) => recordBatch(metrics, stats.commands);
}
