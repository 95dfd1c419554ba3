/**
 * The shop's command line: `node apps/orders/main.ts [--dev] [--role api|processor|projector|all]`.
 * `npm start` passes `--dev` (dev login on loopback, fulfilment on, a local Kafka when KAFKA_BROKERS
 * is unset). Ctrl-C or SIGTERM stops it in order.
 */
import { missingProcessorNodeFlags } from '@sluice/kafka';
import { loadShopConfig, type ShopConfig, ShopConfigError } from './config.ts';
import { type ShopHandles, startShop } from './shop.ts';

export { loadShopConfig, parseShopConfig, type ShopConfig } from './config.ts';
export { type ShopHandles, startShop } from './shop.ts';

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function describeStore(config: ShopConfig): string {
  const store = config.store;
  if (store.kind === 'postgres') {
    const url = store.connectionString ?? 'postgres (default)';
    return `PostgreSQL ${url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')}`;
  }
  return store.kind === 'pglite' ? `PGlite in ${store.dataDir}` : 'memory (rebuilt from Kafka at start)';
}

async function main(): Promise<void> {
  const began = performance.now();
  let config: ShopConfig;
  try {
    config = await loadShopConfig();
  } catch (error) {
    if (error instanceof ShopConfigError) {
      process.stderr.write(`sluice shop: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  for (const note of config.notes) say(`note: ${note}`);
  const missing = missingProcessorNodeFlags();
  if (config.roles.has('processor') && missing.length > 0)
    say(
      `note: the processor holds its aggregates in this process; start it with node ${missing.join(' ')} for a heap its size (packages/kafka/README.md)`,
    );
  if (config.brokers === undefined)
    say(`KAFKA_BROKERS is unset: starting a local Kafka (data in ${config.dataDir}/kafka)…`);
  let handles: ShopHandles | undefined;
  let stopping: Promise<void> | undefined;
  const shutdown = (signal: string, code = 0): void => {
    if (stopping) {
      // A second Ctrl-C: the user does not want to wait.
      process.exit(130);
    }
    say(`\n${signal}: stopping (HTTP, gateway, processor, projectors, store)…`);
    stopping = (handles?.stop() ?? Promise.resolve()).then(() => {
      if (handles?.localKafka) say('the local Kafka keeps running (stop it with: npx sluice kafka stop)');
      process.exit(code);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  handles = await startShop(config, {
    onProgress: (message) => say(`  kafka: ${message}`),
    onFatal: (error) => {
      const message = (error as Error).message ?? String(error);
      // A part that fails while the shop stops (its clients closed under it) must not cut the stop short.
      if (stopping) {
        process.stderr.write(`sluice shop: while stopping: ${message}\n`);
        return;
      }
      process.stderr.write(`sluice shop: ${message}\n`);
      shutdown('fatal', 1);
    },
  });
  const seconds = ((performance.now() - began) / 1000).toFixed(1);
  say(`Sluice shop ready in ${seconds} s (role ${config.role})`);
  if (handles.url) say(`  http:   ${handles.url}  (docs ${handles.url}/docs)`);
  say(`  kafka:  ${handles.brokers.join(',')}${handles.localKafka ? ' (local)' : ''}`);
  say(`  store:  ${describeStore(config)}`);
  if (config.topicPrefix) say(`  topics: prefix ${config.topicPrefix}`);
  if (config.server.devLogin) say('  dev login: POST /api/auth/dev-login {"userId":"1"}');
  if (config.fulfilment.mode === 'auto') say(`  fulfilment: every ${config.fulfilment.everyMs} ms`);
  say(`  timings (ms): ${JSON.stringify(handles.timings)}`);
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `sluice shop failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  });
}
