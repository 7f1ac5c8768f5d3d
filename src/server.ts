import { buildApp } from './app.js';
import { bootstrapIfEmpty } from './bootstrap.js';
import { type Config, loadConfig } from './config.js';
import { createDeps } from './deps.js';
import { createLogger } from './http/logging.js';
import { createMetrics, serveMetricsOn } from './http/metrics.js';

const SHUTDOWN_GRACE_MS = 10_000;

async function main() {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`fleetvault: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const logger = createLogger(config.logLevel);
  let deps;
  try {
    deps = await createDeps(config, { logger });
  } catch (error) {
    logger.fatal({ reason: (error as Error).message }, `fleetvault cannot start: ${(error as Error).message}`);
    process.exit(1);
  }
  const bootstrap = await deps.database.withStartupLock(() => bootstrapIfEmpty(deps, config));
  if (bootstrap) {
    logger.info(
      { file: bootstrap.file, fleet_id: bootstrap.fleetId, client_id: bootstrap.clientId },
      `empty database: created the default fleet and an admin client; its credentials are in ${bootstrap.file}`,
    );
  }
  const metrics = createMetrics();
  const app = await buildApp(deps, { logger, metrics });
  let metricsServer: Awaited<ReturnType<typeof serveMetricsOn>> | undefined = undefined;
  // Handlers before listening: until a SIGTERM handler exists the default action kills the process at
  // once, so a stop sent as soon as "listening" is logged would skip the graceful shutdown.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const timer = setTimeout(() => {
      logger.error('in-flight requests did not finish in time; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    timer.unref();
    metricsServer?.close();
    await app.close();
    await deps.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    // EADDRINUSE, EACCES, EADDRNOTAVAIL: a configuration problem, said plainly rather than as a stack trace.
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    logger.fatal({ reason: code }, `fleetvault cannot listen on ${config.host}:${config.port} (${code}): check PORT and HOST`);
    await app.close();
    await deps.close();
    process.exit(1);
  }
  metricsServer = config.metricsPort === undefined ? undefined : await serveMetricsOn(metrics, config.metricsPort, config.host);
  if (metricsServer) logger.info({ port: config.metricsPort }, `metrics served on port ${config.metricsPort} only`);
}

await main();
