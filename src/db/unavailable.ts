/**
 * Whether an error means the database cannot be reached right now (a restart, a failover, a
 * network fault, a full connection pool), as opposed to a fault of the statement or the data.
 * Such requests are answered with 503 and Retry-After (`src/web/unavailable.ts`), not as a bug.
 * Errors of our own (AppError, e.g. a provider out of reach behind a Mobile ID fault) never count,
 * whatever their cause.
 */
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';

/** Node's socket errors on the way to the server. */
const SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * PostgreSQL's SQLSTATEs of a server that is going away or not there yet: class 08 (connection
 * exception), admin_shutdown, crash_shutdown, cannot_connect_now (starting up or shutting down),
 * too_many_connections.
 */
const SERVER_STATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** What node-postgres and knex say when a connection dies or none can be had. */
const CLIENT_MESSAGES = /^(Connection terminated|Connection ended unexpectedly|Client has encountered a connection error|Knex: Timeout acquiring a connection)/;

export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || err instanceof AppError || depth > 3) return false;
  const { code, name, message, cause } = err as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown };
  if (name === 'KnexTimeoutError') return true;
  if (typeof code === 'string') {
    if (SOCKET_ERRORS.has(code) || SERVER_STATES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true;
    // A database that does not take connections for now (ALTER DATABASE … ALLOW_CONNECTIONS false).
    if (code === '55000' && typeof message === 'string' && /not currently accepting connections/.test(message)) return true;
  }
  if (typeof message === 'string' && CLIENT_MESSAGES.test(message)) return true;
  if (err instanceof AggregateError && err.errors.some((e) => isDatabaseUnavailable(e, depth + 1))) return true;
  return isDatabaseUnavailable(cause, depth + 1);
}

/** One warning for a request or job the database's absence failed: what the driver said, nothing of the statement. */
export function logUnavailable(log: Logger, err: unknown, what = 'database unavailable'): void {
  const { message, code } = err as { message?: unknown; code?: unknown };
  log.warn({ err: { message, code }, databaseUnavailable: true }, what);
}

/** The error handler of a background job or a request: a warning while the database is out of reach, else the error with its stack. */
export function logFailure(log: Logger, what: string): (err: unknown) => void {
  return (err) => (isDatabaseUnavailable(err) ? logUnavailable(log, err, what) : log.error({ err }, what));
}
