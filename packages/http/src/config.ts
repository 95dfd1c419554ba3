import { MAX_COMMAND_BYTES } from '@sluice/core';

/** Everything the HTTP server is configured with, in one typed object. */
export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  /** HS256 key for user tokens (`SLUICE_TOKEN_SECRET`), at least 32 bytes. */
  readonly tokenSecret: string;
  readonly tokenTtlSeconds: number;
  /** `SLUICE_OPERATOR_TOKEN`: a static bearer secret acting as `operator:<operatorName>`. */
  readonly operatorToken?: string;
  readonly operatorName: string;
  /** `POST /api/auth/dev-login` exists only when true (`SLUICE_DEV_LOGIN=1`). */
  readonly devLogin: boolean;
  readonly secureCookies: boolean;
  /** Request body limit in bytes; 256 KB, the command size limit. */
  readonly bodyLimit: number;
  /** How long `POST /api/commands` waits for a result before answering 202. */
  readonly commandTimeoutMs: number;
  /** How long a query with `?after=` waits for its projection before answering 503. */
  readonly queryTimeoutMs: number;
  readonly heartbeatMs: number;
  readonly logLevel: string;
}

/** A configuration value that is missing or unusable. */
export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function integer(env: Env, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new ConfigError(`${name} must be a non-negative integer, got ${text}`);
  return value;
}

/**
 * Reads the server configuration from the environment (the only place that does). `fallback` supplies
 * what the app computes itself, e.g. a development token secret kept under `.sluice/`.
 */
export function serverConfigFromEnv(
  env: Env = process.env,
  fallback: Partial<ServerConfig> = {},
): ServerConfig {
  const tokenSecret = env.SLUICE_TOKEN_SECRET || fallback.tokenSecret;
  if (tokenSecret === undefined)
    throw new ConfigError(
      'SLUICE_TOKEN_SECRET is not set (at least 32 random bytes, e.g. openssl rand -base64 48)',
    );
  const operatorToken = env.SLUICE_OPERATOR_TOKEN || fallback.operatorToken;
  return {
    port: integer(env, 'PORT', fallback.port ?? 3000),
    host: env.HOST || fallback.host || '127.0.0.1',
    tokenSecret,
    tokenTtlSeconds: integer(env, 'SLUICE_TOKEN_TTL_SECONDS', fallback.tokenTtlSeconds ?? 8 * 3600),
    ...(operatorToken === undefined ? {} : { operatorToken }),
    operatorName: env.SLUICE_OPERATOR_NAME || fallback.operatorName || 'admin',
    devLogin:
      env.SLUICE_DEV_LOGIN === undefined ? (fallback.devLogin ?? false) : env.SLUICE_DEV_LOGIN === '1',
    secureCookies: env.SLUICE_SECURE_COOKIES === '1' || (fallback.secureCookies ?? false),
    bodyLimit: MAX_COMMAND_BYTES,
    commandTimeoutMs: integer(env, 'SLUICE_COMMAND_TIMEOUT_MS', fallback.commandTimeoutMs ?? 5_000),
    queryTimeoutMs: integer(env, 'SLUICE_QUERY_TIMEOUT_MS', fallback.queryTimeoutMs ?? 5_000),
    heartbeatMs: fallback.heartbeatMs ?? 15_000,
    logLevel: env.LOG_LEVEL || fallback.logLevel || 'info',
  };
}
