/**
 * This server, as production runs it (`startServer`), on the PostgreSQL database the benchmark
 * created. Logs are built at the configured level (production default: info) and written to
 * /dev/null, so their cost is measured without flooding the terminal. Further configuration
 * variables (`args.config`, e.g. Mobile ID pointed at a simulator) apply over the defaults here.
 */
import crypto from 'node:crypto';

import { pino } from 'pino';

import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { registerClient } from '../../src/oidc/clients.js';
import { startServer } from '../../src/server.js';
import { failStart, readArgs, serveControl } from './control.js';

async function main(): Promise<void> {
  const args = readArgs();
  if (!args.databaseUrl) throw new Error('databaseUrl is required');
  const logLevel = args.logLevel ?? 'info';
  const config = loadConfig({
    PORT: String(args.port),
    HOST: '127.0.0.1',
    ISSUER: `http://127.0.0.1:${args.port}`,
    DATABASE_URL: args.databaseUrl,
    ...(args.poolMax ? { DATABASE_POOL_MAX: String(args.poolMax) } : {}),
    KEY_ENCRYPTION_KEY: crypto.randomBytes(32).toString('base64url'),
    COOKIE_SECRETS: crypto.randomBytes(32).toString('base64url'),
    SANDBOX: 'false',
    // Never contacted unless overridden (the token benchmark starts no login); loopback keeps it that way.
    MOBILEID_URL: 'http://127.0.0.1:9',
    LOG_LEVEL: logLevel,
    // A memory setting an operator would choose; the benchmark passes it on from its environment.
    ...(process.env.MEMORY_SOFT_LIMIT_MB ? { MEMORY_SOFT_LIMIT_MB: process.env.MEMORY_SOFT_LIMIT_MB } : {}),
    ...args.config,
  });
  // The same kind of destination pino uses for stdout in production (synchronous SonicBoom); a
  // file instead of /dev/null when the log is wanted (BENCH_SERVER_LOG).
  const logFile = process.env.BENCH_SERVER_LOG || '/dev/null';
  const destination = pino.destination({ dest: logFile, sync: true });
  const log = createLogger(logLevel, destination as unknown as NodeJS.WritableStream);
  const running = await startServer(config, { log });

  const { client_id, client_secret } = await registerClient(running.provider, running.db, {
    client_name: 'Benchmark',
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    redirect_uris: ['https://rp.bench.example/callback'],
  });
  // id_tokens are issued for a person: the refresh grant looks the account up.
  const accountId = crypto.randomUUID();
  await running.db('accounts').insert({ id: accountId, msisdn: '41790000000' });

  serveControl({
    provider: running.provider,
    info: {
      url: running.url,
      clientId: client_id,
      clientSecret: client_secret!,
      accountId,
      details: {
        database: 'postgresql',
        databasePoolMax: config.databasePoolMax,
        logLevel,
        logDestination: logFile,
        clientCacheSeconds: config.clientCacheSeconds,
        rotateRefreshToken: true,
        ...(args.config?.MOBILEID_URL
          ? {
              mobileIdPollIntervalMs: config.mobileId.pollIntervalMs,
              mobileIdRateLimitPerNumber: `${config.mobileId.rateLimitPerNumber.max}/${config.mobileId.rateLimitPerNumber.windowSeconds}`,
              mobileIdRateLimitPerIp: `${config.mobileId.rateLimitPerIp.max}/${config.mobileId.rateLimitPerIp.windowSeconds}`,
            }
          : {}),
      },
    },
    close: async () => {
      await running.close();
      destination.flushSync();
    },
  });
}

main().catch(failStart);
