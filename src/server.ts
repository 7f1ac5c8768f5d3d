// The signal handlers come first, before the app's modules load: see stop-signals.ts.
import { StartAborted, trapStopSignals } from './stop-signals.js';
import type { Config } from './config.js';
import type { Deps } from './deps.js';

const signals = trapStopSignals();
const [{ buildApp }, { bootstrapIfEmpty }, { loadConfig }, { createDeps }, { createLogger }, { serveMetricsOn }] = await Promise.all([
  import('./app.js'),
  import('./bootstrap.js'),
  import('./config.js'),
  import('./deps.js'),
  import('./logging.js'),
  import('./http/metrics.js'),
]);

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
  // What start-up has opened, closed in reverse if a signal aborts it.
  const opened: { close(): unknown }[] = [];
  const abortStart = async (signal: string) => {
    logger.info({ signal }, `start-up aborted by ${signal}; closing what was opened`);
    for (const resource of opened.reverse()) await resource.close();
    logger.info('stopped');
    process.exit(0);
  };
  // A start-up that hangs (an unreachable database) still ends after the grace period.
  signals.onStop(() => {
    setTimeout(() => {
      logger.error('start-up or shutdown did not finish in time after the signal; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
  });
  try {
    await start(config, logger, opened);
  } catch (error) {
    if (error instanceof StartAborted) await abortStart(error.signal);
    throw error;
  }
}

async function start(config: Config, logger: ReturnType<typeof createLogger>, opened: { close(): unknown }[]) {
  signals.throwIfReceived();
  let deps: Deps;
  try {
    deps = await createDeps(config, { logger });
  } catch (error) {
    logger.fatal({ reason: (error as Error).message }, `fleetvault cannot start: ${(error as Error).message}`);
    process.exit(1);
  }
  opened.push(deps);
  logger.debug('start-up: database ready');
  signals.throwIfReceived();
  const bootstrap = await deps.database.withStartupLock(() => bootstrapIfEmpty(deps, config));
  if (bootstrap) {
    logger.info(
      { file: bootstrap.file, fleet_id: bootstrap.fleetId, client_id: bootstrap.clientId },
      `empty database: created the default fleet and an admin client; its credentials are in ${bootstrap.file}`,
    );
  }
  signals.throwIfReceived();
  const { metrics } = deps;
  const app = await buildApp(deps, { logger });
  opened.push(app);
  logger.debug('start-up: app built');
  signals.throwIfReceived();
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
  signals.throwIfReceived();
  const metricsServer = config.metricsPort === undefined ? undefined : await serveMetricsOn(metrics, config.metricsPort, config.host);
  if (metricsServer) {
    opened.push(metricsServer);
    logger.info({ port: config.metricsPort }, `metrics served on port ${config.metricsPort} only`);
  }
  signals.throwIfReceived();
  // The outbox is sent from every replica (claims never overlap); deps.close() stops it before the database closes.
  deps.webhookDispatcher.start();

  const stop = async (signal: string) => {
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
  signals.onStop((signal) => void stop(signal));
}

await main();
