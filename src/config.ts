/**
 * The one typed, validated configuration. Only this module reads `process.env`.
 *
 * Every invalid value is named in the start-up error, e.g.
 *   "Invalid configuration: PORT must be an integer between 1 and 65535 (got "abc")".
 */
import path from 'node:path';
import { z } from 'zod';

import { ConfigError } from './errors.js';

const DEV_KEY_ENCRYPTION_KEY = 'development-only-key-encryption-key-do-not-use-in-production';
const DEV_COOKIE_SECRET = 'development-only-cookie-secret-do-not-use-in-production';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const port = z.coerce
  .number({ message: 'must be an integer between 1 and 65535' })
  .int('must be an integer between 1 and 65535')
  .min(1, 'must be an integer between 1 and 65535')
  .max(65535, 'must be an integer between 1 and 65535');

const seconds = (min: number) =>
  z.coerce
    .number({ message: `must be a whole number of seconds >= ${min}` })
    .int(`must be a whole number of seconds >= ${min}`)
    .min(min, `must be a whole number of seconds >= ${min}`);

const httpUrl = z
  .string()
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'https:' || u.protocol === 'http:') && !u.search && !u.hash;
    } catch {
      return false;
    }
  }, 'must be an http(s) URL without query or fragment');

const LOCALES = ['en', 'de', 'fr', 'it'] as const;
export type Locale = (typeof LOCALES)[number];
export const SUPPORTED_LOCALES: readonly Locale[] = LOCALES;

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test'], { message: 'must be development, production or test' }).default('development'),
  PORT: port.default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  ISSUER: httpUrl.optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// connection URL')
    .optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1, 'must be at least 1').max(200).default(10),
  DATA_DIR: z.string().min(1).default('./data'),
  KEY_ENCRYPTION_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  COOKIE_SECRETS: z
    .string()
    .optional()
    .refine((v) => v === undefined || v.split(',').every((s) => s.trim().length >= 32), 'must be a comma-separated list of secrets of at least 32 characters each'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { message: 'must be one of fatal, error, warn, info, debug, trace, silent' }).default('info'),
  SANDBOX: bool.optional(),
  SIMULATOR_PORT: port.optional(),
  DEFAULT_LOCALE: z.enum(LOCALES, { message: 'must be one of en, de, fr, it' }).default('en'),
  TRUST_PROXY: bool.default(false),
  SWEEP_INTERVAL_SECONDS: seconds(10).default(300),
  ACCESS_TOKEN_TTL: seconds(60).default(3600),
  ID_TOKEN_TTL: seconds(60).default(3600),
  REFRESH_TOKEN_TTL: seconds(300).default(14 * 24 * 3600),
  SESSION_TTL: seconds(300).default(14 * 24 * 3600),
  CLIENT_CACHE_SECONDS: z.coerce.number().int().min(0, 'must be 0 (off) or more seconds').default(30),
  RESOURCE_SERVERS: z.string().optional(),
});

export interface ResourceServer {
  /** The resource indicator (RFC 8707) an RP names; becomes the JWT access token's `aud`. */
  identifier: string;
  /** Scopes the resource server accepts (space separated in configuration). */
  scope: string;
}

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  issuer: string;
  databaseUrl: string | undefined;
  databasePoolMax: number;
  dataDir: string;
  keyEncryptionKey: string;
  cookieSecrets: string[];
  /** True when development defaults for secrets are in use (logged as a warning at start). */
  insecureDefaults: string[];
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  sandbox: boolean;
  simulatorPort: number;
  defaultLocale: Locale;
  trustProxy: boolean;
  sweepIntervalSeconds: number;
  ttl: { accessToken: number; idToken: number; refreshToken: number; session: number };
  clientCacheSeconds: number;
  resourceServers: ResourceServer[];
}

function parseResourceServers(raw: string | undefined): ResourceServer[] {
  if (!raw) return [];
  // Format: "https://api.example.ch=read write;https://other.example.ch=admin"
  return raw
    .split(';')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const eq = entry.indexOf('=');
      const identifier = (eq === -1 ? entry : entry.slice(0, eq)).trim();
      const scope = eq === -1 ? '' : entry.slice(eq + 1).trim();
      if (!httpUrl.safeParse(identifier).success) {
        throw new ConfigError(`Invalid configuration: RESOURCE_SERVERS entry "${identifier}" must be an http(s) URL`);
      }
      return { identifier, scope };
    });
}

/** Parse and validate a configuration from an environment-like record. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned = Object.fromEntries(
    Object.keys(schema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]),
  );
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? 'configuration');
      const got = env[key];
      const shown = got === undefined ? '' : isSecretKey(key) ? ' (value hidden)' : ` (got "${got}")`;
      return `${key} ${issue.message}${shown}`;
    });
    throw new ConfigError(`Invalid configuration: ${lines.join('; ')}`);
  }
  const c = parsed.data;
  const production = c.NODE_ENV === 'production';
  const insecureDefaults: string[] = [];
  if (!c.KEY_ENCRYPTION_KEY) {
    if (production) throw new ConfigError('Invalid configuration: KEY_ENCRYPTION_KEY is required when NODE_ENV=production');
    insecureDefaults.push('KEY_ENCRYPTION_KEY');
  }
  if (!c.COOKIE_SECRETS) {
    if (production) throw new ConfigError('Invalid configuration: COOKIE_SECRETS is required when NODE_ENV=production');
    insecureDefaults.push('COOKIE_SECRETS');
  }
  const sandbox = c.SANDBOX ?? !production;
  const issuer = (c.ISSUER ?? `http://localhost:${c.PORT}`).replace(/\/+$/, '');
  if (production && !issuer.startsWith('https://')) {
    throw new ConfigError(`Invalid configuration: ISSUER must be an https URL when NODE_ENV=production (got "${issuer}")`);
  }
  return {
    env: c.NODE_ENV,
    port: c.PORT,
    host: c.HOST,
    issuer,
    databaseUrl: c.DATABASE_URL,
    databasePoolMax: c.DATABASE_POOL_MAX,
    dataDir: c.DATA_DIR === ':memory:' ? ':memory:' : path.resolve(c.DATA_DIR),
    keyEncryptionKey: c.KEY_ENCRYPTION_KEY ?? DEV_KEY_ENCRYPTION_KEY,
    cookieSecrets: c.COOKIE_SECRETS ? c.COOKIE_SECRETS.split(',').map((s) => s.trim()) : [DEV_COOKIE_SECRET],
    insecureDefaults,
    logLevel: c.LOG_LEVEL,
    sandbox,
    simulatorPort: c.SIMULATOR_PORT ?? (c.PORT === 65535 ? 65534 : c.PORT + 1),
    defaultLocale: c.DEFAULT_LOCALE,
    trustProxy: c.TRUST_PROXY,
    sweepIntervalSeconds: c.SWEEP_INTERVAL_SECONDS,
    ttl: {
      accessToken: c.ACCESS_TOKEN_TTL,
      idToken: c.ID_TOKEN_TTL,
      refreshToken: c.REFRESH_TOKEN_TTL,
      session: c.SESSION_TTL,
    },
    clientCacheSeconds: c.CLIENT_CACHE_SECONDS,
    resourceServers: parseResourceServers(c.RESOURCE_SERVERS),
  };
}

function isSecretKey(key: string): boolean {
  return /SECRET|KEY|PASSWORD|DATABASE_URL/.test(key);
}
