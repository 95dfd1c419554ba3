import {
  defaultDataDir,
  kafkaJars,
  type LocalKafka,
  type LocalKafkaNode,
  openLocalKafka,
  startLocalKafka,
} from '@sluice/local-kafka';
import { type CliOutput, type CommandGroup, parseGroupArgs, UsageError } from '../command-group.ts';

const USAGE = `Usage: sluice kafka <command> [options]

Runs a real Apache Kafka broker (or a three-node cluster) on this machine, from Maven Central jars.

Commands:
  start [--brokers 1|3] [--port N]   start, or reuse, the local cluster; waits until it answers
  stop [--node N]                    stop every node, or only node N (SIGTERM, then waits)
  kill --node N                      SIGKILL node N (a crash, for failure tests)
  restart [--node N]                 restart every node, or only node N
  status                             each node's id, port, pid, state and data directory

Options:
  --data DIR      cluster data directory (default: .sluice/kafka under the current directory)
  --brokers 1|3   number of KRaft nodes, only when the cluster is first created (default 1)
  --port N        client port of node 1 (default 9092); node n uses N+2(n-1), its controller the next port
  --node N        node id (1, 2 or 3)
  -h, --help      show this help`;

const OPTIONS = {
  data: { type: 'string' },
  brokers: { type: 'string' },
  port: { type: 'string' },
  node: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type KafkaCommandOptions = { data?: string; brokers?: string; port?: string; node?: string };

/** `sluice kafka start|stop|kill|restart|status`. */
export const kafkaCommands: CommandGroup = {
  name: 'kafka',
  summary: 'run a local Apache Kafka broker or three-node cluster (start, stop, kill, restart, status)',
  usage: USAGE,
  async run(args, output) {
    const parsed = parseGroupArgs(args, OPTIONS);
    const [command, ...extra] = parsed.positionals;
    if (parsed.values.help || command === undefined) {
      output.out(USAGE);
      return parsed.values.help ? 0 : 2;
    }
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const options: KafkaCommandOptions = parsed.values;
    switch (command) {
      case 'start':
        return start(options, output);
      case 'stop':
        return eachNode(options, output, 'stop');
      case 'kill':
        if (options.node === undefined) throw new UsageError('kill needs --node N');
        return eachNode(options, output, 'kill');
      case 'restart':
        return restart(options, output);
      case 'status':
        return status(options, output);
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  },
};

async function start(options: KafkaCommandOptions, output: CliOutput): Promise<number> {
  const brokers = options.brokers === undefined ? undefined : parseBrokers(options.brokers);
  const port = options.port === undefined ? undefined : parseInteger('--port', options.port);
  const kafka = await startLocalKafka({
    dataDir: options.data ?? defaultDataDir(),
    ...(brokers === undefined ? {} : { brokers }),
    ...(port === undefined ? {} : { port }),
    onProgress: (message) => output.err(message),
  });
  printStatus(kafka, output);
  output.out(`\nKAFKA_BROKERS=${kafka.brokers.join(',')}`);
  return 0;
}

async function eachNode(
  options: KafkaCommandOptions,
  output: CliOutput,
  action: 'stop' | 'kill',
): Promise<number> {
  const kafka = openLocalKafka({ dataDir: options.data ?? defaultDataDir() });
  const nodes = selectNodes(kafka, options.node);
  await Promise.all(
    nodes.map(async (node) => {
      const pid = node.pid();
      if (pid === undefined) {
        output.out(`node ${node.id}: not running`);
        return;
      }
      await node[action]();
      output.out(`node ${node.id}: ${action === 'stop' ? 'stopped' : 'killed'} (pid ${pid})`);
    }),
  );
  return 0;
}

async function restart(options: KafkaCommandOptions, output: CliOutput): Promise<number> {
  const dataDir = options.data ?? defaultDataDir();
  const kafka = openLocalKafka({ dataDir });
  if (options.node === undefined) {
    await kafka.stop();
    const restarted = await startLocalKafka({ dataDir, onProgress: (message) => output.err(message) });
    printStatus(restarted, output);
    return 0;
  }
  await kafkaJars({ onProgress: (message) => output.err(message) });
  for (const node of selectNodes(kafka, options.node)) {
    output.err(`Restarting node ${node.id}`);
    await node.restart();
  }
  printStatus(kafka, output);
  return 0;
}

function status(options: KafkaCommandOptions, output: CliOutput): number {
  printStatus(openLocalKafka({ dataDir: options.data ?? defaultDataDir() }), output);
  return 0;
}

function printStatus(kafka: LocalKafka, output: CliOutput): void {
  const rows = [['node', 'port', 'pid', 'state', 'data']];
  kafka.nodes.forEach((node, index) => {
    const pid = node.pid();
    const dir = `${kafka.dataDir}/node-${index + 1}`;
    rows.push([
      String(node.id),
      String(node.port),
      pid === undefined ? '-' : String(pid),
      pid ? 'running' : 'stopped',
      dir,
    ]);
  });
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows)
    output.out(
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    );
}

function selectNodes(kafka: LocalKafka, node: string | undefined): LocalKafkaNode[] {
  if (node === undefined) return kafka.nodes;
  const id = parseInteger('--node', node);
  const found = kafka.nodes.find((candidate) => candidate.id === id);
  if (found === undefined)
    throw new UsageError(`no node ${id}: this cluster has nodes 1..${kafka.nodes.length}`);
  return [found];
}

function parseBrokers(value: string): 1 | 3 {
  if (value === '1') return 1;
  if (value === '3') return 3;
  throw new UsageError(`--brokers must be 1 or 3, not '${value}'`);
}

function parseInteger(name: string, value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) throw new UsageError(`${name} must be a positive integer`);
  return number;
}
