import { join } from 'node:path';

/** How a local cluster is laid out; kept in `<dataDir>/cluster.json` so later commands find it. */
export interface ClusterLayout {
  clusterId: string;
  brokers: 1 | 3;
  /** Client port of node 1; node n listens on `port + 2(n-1)`, its controller on the next port. */
  port: number;
}

export interface NodeLayout {
  id: number;
  port: number;
  controllerPort: number;
  dir: string;
}

export const DEFAULT_PORT = 9092;

/** The nodes of a cluster: ids 1..n, client ports port, port+2, port+4, controllers one above each. */
export function nodeLayouts(layout: ClusterLayout, dataDir: string): NodeLayout[] {
  return Array.from({ length: layout.brokers }, (_, index) => {
    const port = layout.port + 2 * index;
    return { id: index + 1, port, controllerPort: port + 1, dir: join(dataDir, `node-${index + 1}`) };
  });
}

/** Files of one node inside its folder. */
export function nodeFiles(node: NodeLayout) {
  return {
    properties: join(node.dir, 'server.properties'),
    log4j: join(node.dir, 'log4j2.properties'),
    logDir: join(node.dir, 'data'),
    meta: join(node.dir, 'data', 'meta.properties'),
    pid: join(node.dir, 'kafka.pid'),
    log: join(node.dir, 'kafka.log'),
  };
}

/** server.properties for one KRaft combined-mode node (broker and controller in one process). */
export function serverProperties(layout: ClusterLayout, node: NodeLayout, all: NodeLayout[]): string {
  const replication = layout.brokers === 1 ? 1 : 3;
  const minIsr = layout.brokers === 1 ? 1 : 2;
  const voters = all.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(',');
  return [
    '# Written by @sluice/local-kafka on every start; edits are overwritten.',
    'process.roles=broker,controller',
    `node.id=${node.id}`,
    `controller.quorum.voters=${voters}`,
    `listeners=PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    `advertised.listeners=PLAINTEXT://localhost:${node.port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${nodeFiles(node).logDir}`,
    'num.partitions=1',
    `default.replication.factor=${replication}`,
    `min.insync.replicas=${minIsr}`,
    `offsets.topic.replication.factor=${replication}`,
    `transaction.state.log.replication.factor=${replication}`,
    `transaction.state.log.min.isr=${minIsr}`,
    `share.coordinator.state.topic.replication.factor=${replication}`,
    `share.coordinator.state.topic.min.isr=${minIsr}`,
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    '',
  ].join('\n');
}

/** log4j2 configuration: warnings and errors only, to the console (the node's log file). */
export const QUIET_LOG4J2 = [
  'rootLogger.level=WARN',
  'rootLogger.appenderRef.stdout.ref=STDOUT',
  'appender.stdout.type=Console',
  'appender.stdout.name=STDOUT',
  'appender.stdout.layout.type=PatternLayout',
  'appender.stdout.layout.pattern=[%d] %p %m (%c)%n',
  '',
].join('\n');

/** log4j2 configuration for command line tools: errors only, to stderr, so stdout stays data. */
export const TOOLS_LOG4J2 = [
  'rootLogger.level=ERROR',
  'rootLogger.appenderRef.stderr.ref=STDERR',
  'appender.stderr.type=Console',
  'appender.stderr.name=STDERR',
  'appender.stderr.target=SYSTEM_ERR',
  'appender.stderr.layout.type=PatternLayout',
  'appender.stderr.layout.pattern=%p %m (%c)%n',
  '',
].join('\n');
