import { type Admin, ConfigResourceTypes } from '@platformatic/kafka';
import { TopicMismatchError } from './errors.ts';
import { hasKafkaError } from './kafka-errors.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The default number of partitions of `commands`, the event topics and `processor-state`. */
export const DEFAULT_PARTITIONS = 12;
/** The default number of partitions of `command-results` (one per gateway instance at most). */
export const DEFAULT_RESULT_PARTITIONS = 12;

/** What a topic is for; it decides the checks made on an existing topic. */
export type TopicRole = 'commands' | 'events' | 'processor-state' | 'command-results' | 'commands-dlq';

/** A topic Sluice needs, with the configuration it is created with. */
export interface TopicSpec {
  readonly name: string;
  readonly role: TopicRole;
  readonly partitions: number;
  readonly configs: Readonly<Record<string, string>>;
}

/** The names of Sluice's topics under a prefix. */
export interface TopicNames {
  readonly commands: string;
  readonly processorState: string;
  readonly commandResults: string;
  readonly commandsDlq: string;
  /** The events topic of an aggregate type, e.g. `order-events`. */
  events(aggregateType: string): string;
}

/** Topic names with an optional prefix (`SLUICE_TOPIC_PREFIX`, e.g. `shop.`). */
export function topicNames(prefix = ''): TopicNames {
  // One string per aggregate type: the processor asks for it with every event it writes.
  const eventTopics = new Map<string, string>();
  return {
    commands: `${prefix}commands`,
    processorState: `${prefix}processor-state`,
    commandResults: `${prefix}command-results`,
    commandsDlq: `${prefix}commands-dlq`,
    events(aggregateType) {
      let name = eventTopics.get(aggregateType);
      if (name === undefined) {
        name = `${prefix}${aggregateType}-events`;
        eventTopics.set(aggregateType, name);
      }
      return name;
    },
  };
}

/** Options for {@link sluiceTopics}. */
export interface SluiceTopicsOptions {
  readonly prefix?: string;
  /** Aggregate types; each gets a `<type>-events` topic. */
  readonly aggregateTypes: readonly string[];
  /** Partitions of `commands`, events and `processor-state`; fixed for the life of a deployment. */
  readonly partitions?: number;
  readonly resultPartitions?: number;
}

/** The topics of DESIGN section 2 with their configurations. */
export function sluiceTopics(options: SluiceTopicsOptions): TopicSpec[] {
  const names = topicNames(options.prefix);
  const partitions = options.partitions ?? DEFAULT_PARTITIONS;
  return [
    {
      name: names.commands,
      role: 'commands',
      partitions,
      configs: {
        'cleanup.policy': 'delete',
        'retention.ms': String(7 * DAY_MS),
        'max.message.bytes': String(4 * 1024 * 1024),
      },
    },
    ...options.aggregateTypes.map(
      (type): TopicSpec => ({
        name: names.events(type),
        role: 'events',
        partitions,
        configs: { 'cleanup.policy': 'delete', 'retention.ms': '-1', 'retention.bytes': '-1' },
      }),
    ),
    {
      name: names.processorState,
      role: 'processor-state',
      partitions,
      configs: {
        'cleanup.policy': 'compact',
        'segment.ms': String(60 * 60 * 1000),
        'min.cleanable.dirty.ratio': '0.1',
        'max.message.bytes': String(4 * 1024 * 1024),
      },
    },
    {
      name: names.commandResults,
      role: 'command-results',
      partitions: options.resultPartitions ?? DEFAULT_RESULT_PARTITIONS,
      configs: { 'cleanup.policy': 'delete', 'retention.ms': String(7 * DAY_MS) },
    },
    {
      name: names.commandsDlq,
      role: 'commands-dlq',
      partitions: 1,
      configs: {
        'cleanup.policy': 'delete',
        'retention.ms': String(30 * DAY_MS),
        'max.message.bytes': String(4 * 1024 * 1024),
      },
    },
  ];
}

/** What {@link ensureTopics} did. */
export interface EnsureTopicsResult {
  readonly created: string[];
  readonly verified: string[];
}

/**
 * Creates the missing topics and verifies the existing ones. A peer creating the same topic at the
 * same moment is fine; an existing topic with the wrong partitions or policy is a {@link TopicMismatchError}.
 */
export async function ensureTopics(
  admin: Admin,
  specs: readonly TopicSpec[],
  options: { replicationFactor?: number } = {},
): Promise<EnsureTopicsResult> {
  const existing = new Set(await admin.listTopics({ includeInternals: false }));
  const created: string[] = [];
  for (const spec of specs) {
    if (existing.has(spec.name)) continue;
    try {
      await admin.createTopics({
        topics: [spec.name],
        partitions: spec.partitions,
        replicas: options.replicationFactor ?? -1,
        configs: Object.entries(spec.configs).map(([name, value]) => ({ name, value })),
      });
      created.push(spec.name);
    } catch (error) {
      if (!hasKafkaError(error, 'TOPIC_ALREADY_EXISTS')) throw error;
    }
  }
  await waitForLeaders(
    admin,
    specs.map((spec) => spec.name),
  );
  const verified = specs.filter((spec) => !created.includes(spec.name)).map((spec) => spec.name);
  await verifyTopics(
    admin,
    specs.filter((spec) => verified.includes(spec.name)),
  );
  return { created, verified };
}

/** Checks partition counts and the configurations that matter for correctness. */
export async function verifyTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<void> {
  if (specs.length === 0) return;
  const metadata = await admin.metadata({ topics: specs.map((spec) => spec.name), forceUpdate: true });
  const described = await admin.describeConfigs({
    resources: specs.map((spec) => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName: spec.name })),
  });
  for (const spec of specs) {
    const actualPartitions = metadata.topics.get(spec.name)?.partitionsCount;
    if (actualPartitions !== spec.partitions) {
      throw new TopicMismatchError(
        spec.name,
        `Topic "${spec.name}" has ${actualPartitions} partitions; Sluice needs ${spec.partitions} ` +
          `(${partitionReason(spec.role)}). Delete and recreate it with ${spec.partitions} partitions, ` +
          'or configure Sluice with the partition count the deployment was created with.',
      );
    }
    const configs = new Map(
      (described.find((resource) => resource.resourceName === spec.name)?.configs ?? []).map((config) => [
        config.name,
        config.value,
      ]),
    );
    checkConfig(
      spec,
      'cleanup.policy',
      configs.get('cleanup.policy') ?? null,
      (actual, wanted) => actual === wanted,
    );
    if (spec.configs['retention.ms'] !== undefined) {
      checkConfig(spec, 'retention.ms', configs.get('retention.ms') ?? null, retentionIsEnough);
    }
  }
}

function partitionReason(role: TopicRole): string {
  switch (role) {
    case 'commands':
    case 'events':
    case 'processor-state':
      return '`commands`, the event topics and `processor-state` must share one partitioning';
    case 'command-results':
      return 'gateways address result partitions by number';
    case 'commands-dlq':
      return 'the dead-letter topic keeps one order';
  }
}

/** A longer retention is harmless, a shorter one loses data; -1 (forever) satisfies everything. */
function retentionIsEnough(actual: string, wanted: string): boolean {
  if (actual === '-1') return true;
  if (wanted === '-1') return false;
  return Number(actual) >= Number(wanted);
}

function checkConfig(
  spec: TopicSpec,
  name: string,
  actual: string | null,
  accept: (actual: string, wanted: string) => boolean,
): void {
  const wanted = spec.configs[name];
  if (wanted === undefined || (actual !== null && accept(actual, wanted))) return;
  throw new TopicMismatchError(
    spec.name,
    `Topic "${spec.name}" has ${name}=${actual}; Sluice needs ${name}=${wanted}. Fix it with: ` +
      `kafka-configs.sh --bootstrap-server <brokers> --alter --entity-type topics --entity-name ${spec.name} ` +
      `--add-config ${name}=${wanted}`,
  );
}

/** Waits until every partition of the topics has a leader, so the first produce does not race creation. */
export async function waitForLeaders(
  admin: Admin,
  topics: readonly string[],
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const metadata = await admin.metadata({ topics: [...topics], forceUpdate: true });
      const ready = topics.every((topic) => {
        const partitions = metadata.topics.get(topic)?.partitions ?? [];
        return partitions.length > 0 && partitions.every((partition) => partition.leader >= 0);
      });
      if (ready) return;
    } catch (error) {
      if (!hasKafkaError(error, 'UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE')) throw error;
    }
    if (Date.now() > deadline)
      throw new Error(`Topics ${topics.join(', ')} have no leaders after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
