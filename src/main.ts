/**
 * `npm start`: configuration → database → server (migrations, policy, simulators, listen); run
 * until SIGTERM/SIGINT, then shut down gracefully.
 *
 * A start that fails because of a configuration value (a port in use, a DATABASE_URL whose server
 * refuses its user or database, a DATA_DIR that is a file, …) ends with one line naming
 * the variable and exit code 78 (EX_CONFIG). A PostgreSQL server still out of reach after
 * DATABASE_WAIT_SECONDS ends it with one line and exit code 69 (EX_UNAVAILABLE): a supervisor that
 * starts it again once the database is up does the right thing.
 */
import { loadConfig, startupError, unreachableDatabaseMessage, type Config, type StartupStep } from './config.js';
import { createDb, type Db } from './db/index.js';
import { isDatabaseUnavailable } from './db/unavailable.js';
import { AppError, ConfigError } from './errors.js';
import { createLogger, type Logger } from './logger.js';
import { startServer } from './server.js';

/** sysexits.h EX_CONFIG: the configuration is wrong; starting again unchanged will not help. */
const EXIT_CONFIG = 78;
/** sysexits.h EX_UNAVAILABLE: a service the server needs is not there; starting again later may work. */
const EXIT_UNAVAILABLE = 69;
/** Between two attempts to reach the database at start. */
const DATABASE_RETRY_MS = 1000;

/** The database stayed out of reach for DATABASE_WAIT_SECONDS: exit 69 with this message. */
class DatabaseUnreachable extends Error {}

/** Run one start-up step; a failure a configuration value explains becomes a ConfigError naming it. */
async function step<T>(config: Config, name: StartupStep, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw (err instanceof DatabaseUnreachable ? undefined : startupError(err, config, name)) ?? err;
  }
}

/**
 * The database of the configuration, connected once: an unreachable one fails here, not in a
 * migration. A PostgreSQL server that is not there yet (starting with the app, restarting) is
 * waited for up to DATABASE_WAIT_SECONDS; any other failure stops the start at once.
 */
async function openDatabase(config: Config, log: Logger): Promise<Db> {
  const db = createDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: config.databasePoolMax, log });
  const until = Date.now() + config.databaseWaitSeconds * 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      await db.raw('select 1');
      if (attempt > 1) log.info({ attempts: attempt }, 'database reachable');
      return db;
    } catch (err) {
      const unavailable = !!config.databaseUrl && isDatabaseUnavailable(err);
      if (!unavailable || Date.now() + DATABASE_RETRY_MS > until) {
        await db.destroy().catch(() => undefined);
        throw unavailable ? new DatabaseUnreachable(unreachableDatabaseMessage(err, config)) : err;
      }
      if (attempt === 1) log.warn({ waitSeconds: config.databaseWaitSeconds, code: (err as { code?: unknown }).code }, 'database not reachable yet: waiting for it');
      await new Promise((resolve) => setTimeout(resolve, DATABASE_RETRY_MS));
    }
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const db = await step(config, 'database', () => openDatabase(config, log));
  const running = await step(config, 'server', () => startServer(config, { db, log }));
  const shutdown = (signal: string) => {
    running.log.info({ signal }, 'shutting down');
    running
      .close()
      .then(() => db.destroy())
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        running.log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof DatabaseUnreachable) {
    console.error(err.message);
    process.exit(EXIT_UNAVAILABLE);
  }
  if (err instanceof ConfigError) {
    console.error(err.detail ?? err.message);
    process.exit(EXIT_CONFIG);
  }
  const message = err instanceof AppError ? err.detail ?? err.message : err instanceof Error ? err.message || String((err as NodeJS.ErrnoException).code ?? err.name) : String(err);
  console.error('Start-up failed:', message);
  process.exit(1);
});
