/** Provisions a real Apache Kafka broker or three-node cluster from Maven Central jars, for development and tests. */
export { type ConsoleRecord, consoleConsume, consoleProduce, createTopic } from './console-tools.ts';
export {
  BrokerExitedError,
  BrokerStartTimeoutError,
  ClusterLayoutMismatchError,
  JavacNotFoundError,
  JavaNotFoundError,
  KafkaJarsDownloadError,
  KafkaProtocolError,
  KafkaToolError,
  LocalKafkaError,
  MavenNotFoundError,
  NoLocalKafkaError,
  PortInUseError,
} from './errors.ts';
export { KAFKA_VERSION, kafkaCacheDir, kafkaJars } from './jars.ts';
export { javaPartitions } from './java-partitions.ts';
export {
  type BrokerMetadata,
  type ClusterMetadata,
  fetchMetadata,
  type PartitionMetadata,
  type TopicMetadata,
} from './kafka-wire.ts';
export {
  defaultDataDir,
  type LocalKafka,
  openLocalKafka,
  type StartLocalKafkaOptions,
  startLocalKafka,
} from './local-kafka.ts';
export type { LocalKafkaNode } from './local-node.ts';
