/** The targets of #15 (2 cores) and the Kafka Streams figures it compares with, by metric path. */

/** A target: the metric must be at least or at most this. */
export interface Target {
  readonly at: 'least' | 'most';
  readonly value: number;
}

export const TARGETS: Readonly<Record<string, Target>> = {
  drainCommandsPerSec: { at: 'least', value: 20_000 },
  drainVsNull: { at: 'least', value: 0.7 },
  'latencyAt1kMs.p99': { at: 'most', value: 100 },
  'visibilityLatencyMs.p99': { at: 'most', value: 100 },
  'rebuildEventsPerSec.postgres': { at: 'least', value: 50_000 },
  queryP99Ms: { at: 'most', value: 5 },
  processorRssMb: { at: 'most', value: 400 },
};

/** Kafka Streams (EOS v2, 1 stream thread, RocksDB) on the same job, as #15 reports it. */
export const KAFKA_STREAMS: Readonly<Record<string, string>> = {
  drainCommandsPerSec: '~38,000',
  'latencyAt1kMs.p50': '~80',
  'latencyAt1kMs.p99': '150–390',
  processorRssMb: '~390',
};

/** The value at a dotted path of the results, if it is a number. */
export function valueAt(results: Readonly<Record<string, unknown>>, path: string): number | undefined {
  let value: unknown = results;
  for (const part of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[part];
  return typeof value === 'number' ? value : undefined;
}

/** Each target with the measured value and whether it is met (absent when not measured). */
export function evaluateTargets(results: Readonly<Record<string, unknown>>) {
  const evaluated: Record<string, { target: string; value: number; met: boolean }> = {};
  for (const [path, target] of Object.entries(TARGETS)) {
    const value = valueAt(results, path);
    if (value === undefined) continue;
    const met = target.at === 'least' ? value >= target.value : value <= target.value;
    evaluated[path] = { target: `${target.at === 'least' ? '≥' : '≤'} ${target.value}`, value, met };
  }
  return evaluated;
}
