/** Sluice on Kafka: topics, transactional sessions, the group consumer and the command processor. */
export * from './client.ts';
export * from './errors.ts';
export type { FaultPoint } from './fault.ts';
export { faultPoint } from './fault.ts';
export * from './gateway.ts';
export * from './group-consumer.ts';
export * from './kafka-errors.ts';
export * from './partition-reader.ts';
export * from './partitioning.ts';
export type { AggregateEntry, PartitionState } from './processor/aggregate-state.ts';
export type { BatchStages, BatchStats } from './processor/batch-stats.ts';
export * from './processor/command-processor.ts';
export { DeadLetterHeaders } from './processor/dead-letters.ts';
export { OffsetForecastMissedError } from './processor/offset-forecast.ts';
export {
  type CommandProcessorOptions,
  DEFAULT_LINGER_MS,
  DEFAULT_MAX_BATCH,
  missingProcessorNodeFlags,
  PROCESSOR_NODE_FLAGS,
  type ProcessorLogger,
} from './processor/processor-options.ts';
export { StateRestoreError } from './processor/restore.ts';
export * from './read-topic.ts';
export * from './topics.ts';
export * from './txn-session.ts';
