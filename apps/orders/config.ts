import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { type ServerConfig, serverConfigFromEnv } from '@sluice/http';
import type { StoreConfig } from '@sluice/store';

/** A part of the shop a process runs: the HTTP api (with the gateway), the command processor, the projectors. */
export type ShopRole = 'api' | 'processor' | 'projector';
/** What `SLUICE_ROLE` / `--role` accepts. */
export type RoleChoice = ShopRole | 'all';

const ROLE_CHOICES: readonly RoleChoice[] = ['all', 'api', 'processor', 'projector'];

/** Everything the shop is configured with, in one typed object. */
export interface ShopConfig {
  readonly role: RoleChoice;
  readonly roles: ReadonlySet<ShopRole>;
  /** Where local state lives (`SLUICE_DATA_DIR`, default `.sluice`): instance id, dev secret, PGlite, Kafka. */
  readonly dataDir: string;
  /** `KAFKA_BROKERS`; undefined means: provision a local broker. */
  readonly brokers: readonly string[] | undefined;
  readonly topicPrefix: string;
  readonly partitions: number;
  readonly resultPartitions: number;
  readonly store: StoreConfig;
  readonly instanceId: string;
  readonly server: ServerConfig;
  readonly fulfilment: { readonly mode: 'auto' | 'off'; readonly everyMs: number };
  /** `SLUICE_QUERY_CACHE`: query answers the API keeps until their projection changes; 0 turns it off. */
  readonly queryCacheEntries: number;
  /** Started by `npm start` (`--dev`): development defaults apply. */
  readonly dev: boolean;
  /** Things worth telling the person starting the shop (generated secrets, refused dev login). */
  readonly notes: readonly string[];
}

/** A configuration value that is missing or unusable; the message names the variable and the fix. */
export class ShopConfigError extends Error {
  readonly code = 'INVALID_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'ShopConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Values kept under the data directory, read (or generated) by {@link loadShopConfig}. */
export interface KeptValues {
  readonly instanceId?: string;
  readonly tokenSecret?: string;
}

function positive(env: Env, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new ShopConfigError(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return value;
}

/** Whether a host name binds loopback only. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '[::1]';
}

/** The `--role`/`--dev` flags of the command line. */
export function parseArgs(argv: readonly string[]): { role?: string; dev: boolean } {
  let role: string | undefined;
  let dev = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--dev') dev = true;
    else if (arg === '--role') role = argv[++i] ?? '';
    else if (arg.startsWith('--role=')) role = arg.slice('--role='.length);
    else
      throw new ShopConfigError(
        `unknown argument ${arg}; usage: main.ts [--dev] [--role api|processor|projector|all]`,
      );
  }
  return role === undefined ? { dev } : { role, dev };
}

function rolesOf(choice: string): { role: RoleChoice; roles: Set<ShopRole> } {
  if (!ROLE_CHOICES.includes(choice as RoleChoice))
    throw new ShopConfigError(
      `SLUICE_ROLE / --role must be one of ${ROLE_CHOICES.join(', ')}, got ${choice}`,
    );
  const role = choice as RoleChoice;
  return { role, roles: new Set(role === 'all' ? ['api', 'processor', 'projector'] : [role]) };
}

function storeOf(env: Env, dataDir: string, role: RoleChoice): StoreConfig {
  const kind = env.SLUICE_READ_STORE || (env.DATABASE_URL ? 'postgres' : 'pglite');
  const schema = env.SLUICE_READ_SCHEMA ? { schema: env.SLUICE_READ_SCHEMA } : {};
  if (kind !== 'postgres' && role !== 'all')
    throw new ShopConfigError(
      `--role ${role} runs one part of the shop in its own process; the parts share the read store, so set DATABASE_URL (PostgreSQL). The embedded ${kind} store belongs to one process: use --role all, or no --role.`,
    );
  if (kind === 'postgres')
    return { kind, ...(env.DATABASE_URL ? { connectionString: env.DATABASE_URL } : {}), ...schema };
  if (kind === 'pglite')
    return { kind, dataDir: env.SLUICE_PGLITE_DIR || join(dataDir, 'pglite'), ...schema };
  if (kind === 'memory') return { kind };
  throw new ShopConfigError(`SLUICE_READ_STORE must be postgres, pglite or memory, got ${kind}`);
}

/**
 * The shop's configuration from the environment and command line: the only place that reads them.
 * `kept` supplies the instance id and development token secret kept under the data directory.
 */
export function parseShopConfig(env: Env, argv: readonly string[], kept: KeptValues = {}): ShopConfig {
  const args = parseArgs(argv);
  const dev = args.dev;
  const notes: string[] = [];
  const { role, roles } = rolesOf(args.role ?? (env.SLUICE_ROLE || 'all'));
  const dataDir = resolve(env.SLUICE_DATA_DIR || '.sluice');
  const brokers = env.KAFKA_BROKERS
    ? env.KAFKA_BROKERS.split(',')
        .map((broker) => broker.trim())
        .filter((broker) => broker !== '')
    : undefined;
  if (brokers !== undefined && brokers.length === 0)
    throw new ShopConfigError('KAFKA_BROKERS names no broker; unset it to provision a local Kafka');
  const host = env.HOST || '127.0.0.1';
  let devLogin = env.SLUICE_DEV_LOGIN === '1';
  if (env.SLUICE_DEV_LOGIN !== undefined && !['', '0', '1'].includes(env.SLUICE_DEV_LOGIN))
    throw new ShopConfigError(`SLUICE_DEV_LOGIN must be 1 or 0, got ${env.SLUICE_DEV_LOGIN}`);
  if (devLogin && !isLoopback(host))
    throw new ShopConfigError(
      `SLUICE_DEV_LOGIN=1 hands out a token for any user id: it is refused on HOST=${host}, which is not loopback. Bind 127.0.0.1, or unset SLUICE_DEV_LOGIN.`,
    );
  if (dev && env.SLUICE_DEV_LOGIN === undefined) {
    devLogin = isLoopback(host);
    if (!devLogin) notes.push(`dev login is off: HOST=${host} is not loopback`);
  }
  const fulfilmentText = env.SLUICE_FULFILMENT || (dev ? 'auto' : 'off');
  if (fulfilmentText !== 'auto' && fulfilmentText !== 'off')
    throw new ShopConfigError(`SLUICE_FULFILMENT must be auto or off, got ${fulfilmentText}`);
  const instanceId = env.SLUICE_INSTANCE_ID || kept.instanceId;
  if (instanceId === undefined || !/^[A-Za-z0-9._-]{1,100}$/.test(instanceId))
    throw new ShopConfigError(
      `SLUICE_INSTANCE_ID must be 1-100 letters, digits, '.', '_' or '-', got ${JSON.stringify(instanceId)}`,
    );
  const operatorToken = env.SLUICE_OPERATOR_TOKEN;
  if (operatorToken !== undefined && operatorToken !== '' && operatorToken.length < 16)
    throw new ShopConfigError('SLUICE_OPERATOR_TOKEN must have at least 16 characters');
  const secret = env.SLUICE_TOKEN_SECRET || kept.tokenSecret;
  if (secret !== undefined && new TextEncoder().encode(secret).length < 32)
    throw new ShopConfigError(
      'SLUICE_TOKEN_SECRET must have at least 32 bytes (e.g. openssl rand -base64 48)',
    );
  let server: ServerConfig;
  try {
    server = serverConfigFromEnv(
      { ...env, HOST: host, SLUICE_DEV_LOGIN: devLogin ? '1' : '0' },
      secret === undefined ? {} : { tokenSecret: secret },
    );
  } catch (error) {
    throw new ShopConfigError((error as Error).message);
  }
  if (server.port > 65_535) throw new ShopConfigError(`PORT must be at most 65535, got ${server.port}`);
  return {
    role,
    roles,
    dataDir,
    brokers,
    topicPrefix: env.SLUICE_TOPIC_PREFIX ?? '',
    partitions: positive(env, 'SLUICE_PARTITIONS', 12),
    resultPartitions: positive(env, 'SLUICE_RESULT_PARTITIONS', 12),
    store: storeOf(env, dataDir, role),
    instanceId,
    server,
    fulfilment: { mode: fulfilmentText, everyMs: positive(env, 'SLUICE_FULFILMENT_EVERY_MS', 3000) },
    queryCacheEntries: env.SLUICE_QUERY_CACHE === '0' ? 0 : positive(env, 'SLUICE_QUERY_CACHE', 10_000),
    dev,
    notes,
  };
}

async function keptValue(file: string, generate: () => string, onCreate: () => void): Promise<string> {
  try {
    const text = (await readFile(file, 'utf8')).trim();
    if (text !== '') return text;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const value = generate();
  // `wx`: two processes starting together keep whichever wrote first.
  try {
    await writeFile(file, `${value}\n`, { flag: 'wx', mode: 0o600 });
    onCreate();
    return value;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return (await readFile(file, 'utf8')).trim();
  }
}

/**
 * Reads the configuration, first generating what development keeps under the data directory: the
 * instance id (`instance-id`) and, when `SLUICE_TOKEN_SECRET` is unset, a token secret (`token-secret`).
 */
export async function loadShopConfig(
  env: Env = process.env,
  argv: readonly string[] = process.argv.slice(2),
): Promise<ShopConfig> {
  parseArgs(argv); // usage errors before touching the disk
  const dataDir = resolve(env.SLUICE_DATA_DIR || '.sluice');
  const created: string[] = [];
  let kept: KeptValues = {};
  if (!env.SLUICE_INSTANCE_ID || !env.SLUICE_TOKEN_SECRET) await mkdir(dataDir, { recursive: true });
  if (!env.SLUICE_INSTANCE_ID) {
    const file = join(dataDir, 'instance-id');
    kept = {
      instanceId: await keptValue(
        file,
        () => `shop-${randomUUID().slice(0, 8)}`,
        () => created.push(file),
      ),
    };
  }
  if (!env.SLUICE_TOKEN_SECRET) {
    const file = join(dataDir, 'token-secret');
    const tokenSecret = await keptValue(
      file,
      () => randomBytes(48).toString('base64url'),
      () => created.push(file),
    );
    kept = { ...kept, tokenSecret };
  }
  const config = parseShopConfig(env, argv, kept);
  const notes = [...config.notes, ...created.map((file) => `generated ${file} (kept for later starts)`)];
  if (!env.SLUICE_TOKEN_SECRET && !config.dev)
    notes.push('SLUICE_TOKEN_SECRET is unset: using the development secret kept under the data directory');
  return { ...config, notes };
}
