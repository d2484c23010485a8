/** Start the real server on a free loopback port, against a test database. */
import net from 'node:net';

import { loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/index.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import type { VerificationMethod } from '../../src/verification/index.js';
import { migratedDb } from './db.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface TestServerOptions {
  db: Db;
  port?: number;
  env?: Record<string, string>;
  verificationMethods?: VerificationMethod[];
  /** Where the server logs (default: nowhere, or TEST_LOG_LEVEL to stdout). */
  log?: Logger;
  jwksRefreshMs?: number;
}

export async function startTestServer(opts: TestServerOptions): Promise<RunningServer> {
  const port = opts.port ?? (await freePort());
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    ISSUER: `http://127.0.0.1:${port}`,
    DATA_DIR: ':memory:',
    LOG_LEVEL: 'silent',
    SANDBOX: 'false',
    ...opts.env,
  });
  return startServer(config, {
    db: opts.db,
    log: opts.log ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    ...(opts.verificationMethods ? { verificationMethods: opts.verificationMethods } : {}),
    ...(opts.jwksRefreshMs ? { jwksRefreshMs: opts.jwksRefreshMs } : {}),
  });
}

/**
 * A server in sandbox mode (the simulators on a free port) on a fresh database of its own.
 * `cleanup` drops the database; close the server first.
 */
export async function startSandboxServer(
  opts: { env?: Record<string, string>; verificationMethods?: VerificationMethod[]; log?: Logger } = {},
): Promise<{ server: RunningServer; cleanup(): Promise<void> }> {
  const t = await migratedDb();
  const server = await startTestServer({
    db: t.db,
    env: { SANDBOX: 'true', SIMULATOR_PORT: String(await freePort()), ...opts.env },
    ...(opts.verificationMethods ? { verificationMethods: opts.verificationMethods } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
  return { server, cleanup: t.cleanup };
}
