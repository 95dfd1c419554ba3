/** Base of every error this package throws; `code` is stable and safe to match on. */
export class LocalKafkaError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** `java` (17 or newer) is not on PATH. */
export class JavaNotFoundError extends LocalKafkaError {
  constructor(detail: string) {
    super(
      'JAVA_NOT_FOUND',
      `Java 17 or newer is needed to run Kafka (${detail}). Install it, e.g. ` +
        '`apt-get install -y openjdk-17-jdk-headless`, or set KAFKA_BROKERS to use an existing cluster.',
    );
  }
}

/** `javac` is not on PATH (a JRE without the JDK): needed to compile the partitioner oracle. */
export class JavacNotFoundError extends LocalKafkaError {
  constructor() {
    super(
      'JAVAC_NOT_FOUND',
      'javac is needed for javaPartitions(): `apt-get install -y openjdk-17-jdk-headless`.',
    );
  }
}

/** `mvn` is not on PATH, so the Kafka jars cannot be fetched from Maven Central. */
export class MavenNotFoundError extends LocalKafkaError {
  constructor() {
    super(
      'MAVEN_NOT_FOUND',
      'Maven is needed once to download the Kafka jars from Maven Central: `apt-get install -y maven`, ' +
        'or set KAFKA_BROKERS to use an existing cluster.',
    );
  }
}

/** Maven ran but did not produce the jars. */
export class KafkaJarsDownloadError extends LocalKafkaError {
  constructor(output: string) {
    super('KAFKA_JARS_DOWNLOAD_FAILED', `Downloading the Kafka jars with Maven failed:\n${output}`);
  }
}

/** A port the node needs is held by a process that is not this node. */
export class PortInUseError extends LocalKafkaError {
  readonly port: number;

  constructor(port: number, nodeId: number) {
    super(
      'PORT_IN_USE',
      `Port ${port} (Kafka node ${nodeId}) is already in use by another process. ` +
        'Stop that process, or choose another base port (--port / { port }).',
    );
    this.port = port;
  }
}

/** The broker process ended while it was starting; `logTail` holds the end of its log. */
export class BrokerExitedError extends LocalKafkaError {
  readonly logTail: string;

  constructor(nodeId: number, logFile: string, logTail: string) {
    super(
      'BROKER_EXITED',
      `Kafka node ${nodeId} exited while starting. Last lines of ${logFile}:\n${logTail}`,
    );
    this.logTail = logTail;
  }
}

/** The broker is alive but did not answer a metadata request in time. */
export class BrokerStartTimeoutError extends LocalKafkaError {
  constructor(nodeIds: number[], timeoutMs: number, logTail: string) {
    super(
      'BROKER_START_TIMEOUT',
      `Kafka node(s) ${nodeIds.join(', ')} did not become ready within ${timeoutMs} ms.\n${logTail}`,
    );
  }
}

/** The data directory holds a cluster with another layout (broker count or ports). */
export class ClusterLayoutMismatchError extends LocalKafkaError {
  constructor(dataDir: string, existing: string, requested: string) {
    super(
      'CLUSTER_LAYOUT_MISMATCH',
      `${dataDir} holds a Kafka cluster of ${existing}, but ${requested} was requested. ` +
        'Use another data directory, or stop the cluster and delete the directory.',
    );
  }
}

/** No local cluster has been created in the data directory. */
export class NoLocalKafkaError extends LocalKafkaError {
  constructor(dataDir: string) {
    super('NO_LOCAL_KAFKA', `No local Kafka cluster in ${dataDir} (start one with \`sluice kafka start\`).`);
  }
}

/** A Kafka command line tool (storage format, console consumer, ...) failed. */
export class KafkaToolError extends LocalKafkaError {
  constructor(tool: string, exitCode: number | null, output: string) {
    super('KAFKA_TOOL_FAILED', `${tool} failed (exit ${exitCode}):\n${output}`);
  }
}

/** The broker answered a wire-protocol request with something this client cannot read. */
export class KafkaProtocolError extends LocalKafkaError {
  constructor(message: string) {
    super('KAFKA_PROTOCOL_ERROR', message);
  }
}
