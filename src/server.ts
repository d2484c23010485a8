/**
 * Start-up in one place: configuration → database (+ migrations) → keys → provider → app → listen.
 * Used by `npm start` (src/main.ts), the tests and the benchmarks.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import type Provider from 'oidc-provider';

import { accountClaims, findAccountById } from './accounts/index.js';
import { composeApp } from './app.js';
import type { Config } from './config.js';
import { createDb, isEmbedded, migrate, type Db } from './db/index.js';
import { createLogger, type Logger } from './logger.js';
import { startSweeper } from './oidc/adapter.js';
import { ensureKeys, loadJwks } from './oidc/keys.js';
import { createProvider } from './oidc/provider.js';

export interface RunningServer {
  url: string;
  provider: Provider;
  db: Db;
  log: Logger;
  server: http.Server;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Use this database instead of creating one from the configuration (tests). */
  db?: Db;
  log?: Logger;
}

export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const log = opts.log ?? createLogger(config.logLevel);
  for (const name of config.insecureDefaults) {
    log.warn(`${name} is not set: using a development default. Set it before exposing this server.`);
  }
  const ownsDb = !opts.db;
  const db = opts.db ?? createDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: config.databasePoolMax });
  const applied = await migrate(db);
  if (applied.length) log.info({ migrations: applied }, 'database migrated');

  await ensureKeys(db, config.keyEncryptionKey);
  const jwks = await loadJwks(db, config.keyEncryptionKey);

  const provider = createProvider({
    config,
    db,
    jwks,
    log,
    accounts: {
      findAccount: async (sub) => {
        const account = await findAccountById(db, sub);
        return account ? accountClaims(account) : undefined;
      },
    },
  });
  composeApp({ config, db, log, provider });

  const stopSweeper = startSweeper(db, config.sweepIntervalSeconds, (err) => log.error({ err }, 'sweeping expired rows failed'));

  const server = http.createServer(provider.callback());
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;
  log.info({ url, issuer: config.issuer, database: isEmbedded(db) ? 'embedded' : 'postgres', sandbox: config.sandbox }, 'listening');

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      stopSweeper();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 10_000).unref();
      });
      if (ownsDb) await db.destroy();
    })();
    return closing;
  };

  return { url, provider, db, log, server, close };
}
