/**
 * The one typed, validated configuration. Only this module reads `process.env`.
 *
 * Every invalid value is named in the start-up error, e.g.
 *   "Invalid configuration: PORT must be an integer between 1 and 65535 (got "abc")".
 * So is a value that fails only when it is used at start (a port in use, an unreachable
 * DATABASE_URL, an unwritable DATA_DIR): see `startupError`, which src/main.ts applies.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

import { AppError, ConfigError } from './errors.js';
import { urlPasswords, withoutSecrets } from './logger.js';

const DEV_KEY_ENCRYPTION_KEY = 'development-only-key-encryption-key-do-not-use-in-production';
const DEV_COOKIE_SECRET = 'development-only-cookie-secret-do-not-use-in-production';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/**
 * A whole number between `min` and `max`, written in decimal digits; `message` is the one thing
 * said whatever is wrong with it (not a number, a fraction, too small, too big).
 */
const wholeNumber = (min: number, max: number, message: string) =>
  z
    .string()
    .trim()
    .regex(/^[+-]?\d+$/, message)
    .transform(Number)
    .pipe(z.number().int(message).min(min, message).max(max, message));

const port = wholeNumber(1, 65535, 'must be an integer between 1 and 65535');

const seconds = (min: number) => wholeNumber(min, Number.MAX_SAFE_INTEGER, `must be a whole number of seconds >= ${min}`);

const milliseconds = (min: number, max: number) => wholeNumber(min, max, `must be a number of milliseconds between ${min} and ${max}`);

/** 0 switches it off. */
const cacheSeconds = wholeNumber(0, Number.MAX_SAFE_INTEGER, 'must be 0 (off) or a whole number of seconds');

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

const rateLimit = z
  .string()
  .regex(/^\d+\/\d+$/, 'must be MAX/SECONDS, e.g. 5/600 (at most 5 requests in 10 minutes)')
  .transform((v) => {
    const [max, windowSeconds] = v.split('/').map(Number) as [number, number];
    return { max, windowSeconds };
  });

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
  DATABASE_POOL_MAX: wholeNumber(1, 200, 'must be a whole number between 1 and 200').default(10),
  DATABASE_WAIT_SECONDS: wholeNumber(0, 600, 'must be a whole number of seconds between 0 and 600').default(30),
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
  MEMORY_SOFT_LIMIT_MB: wholeNumber(0, 1_000_000, 'must be 0 (off) or a whole number of MB up to 1000000').default(200),
  SWEEP_INTERVAL_SECONDS: seconds(10).default(300),
  ACCESS_TOKEN_TTL: seconds(60).default(3600),
  ID_TOKEN_TTL: seconds(60).default(3600),
  REFRESH_TOKEN_TTL: seconds(300).default(14 * 24 * 3600),
  SESSION_TTL: seconds(300).default(14 * 24 * 3600),
  CLIENT_CACHE_SECONDS: cacheSeconds.default(30),
  RESOURCE_SERVERS: z.string().optional(),
  POLICY_DIR: z.string().min(1).default('./policies'),
  ADMIN_ACR: z.string().regex(/^[\x21-\x7e]{1,255}$/, 'must be one acr value (a system_name, no spaces)').default('urn:servicecore:qoa:mobileid-sim'),
  MOBILEID_URL: httpUrl.optional(),
  MOBILEID_AP_ID: z.string().min(1).optional(),
  MOBILEID_AP_PASSWORD: z.string().optional(),
  MOBILEID_CLIENT_CERT_FILE: z.string().min(1).optional(),
  MOBILEID_CLIENT_KEY_FILE: z.string().min(1).optional(),
  MOBILEID_SERVER_CA_FILE: z.string().min(1).optional(),
  MOBILEID_TRUST_ANCHOR_FILES: z.string().min(1).optional(),
  MOBILEID_DTBD_PREFIX: z.string().max(40, 'must be at most 40 characters').default('ServiceCore: '),
  MOBILEID_SIGNATURE_PROFILE: z.string().url('must be a signature profile URI').default('http://mid.swisscom.ch/Any-LoA4'),
  MOBILEID_DEFAULT_COUNTRY_CODE: z.string().regex(/^[1-9]\d{0,2}$/, 'must be a country calling code such as 41').default('41'),
  MOBILEID_SERIAL_POLICY: z.enum(['reject', 'downgrade'], { message: 'must be reject or downgrade' }).default('downgrade'),
  MOBILEID_RECEIPT: bool.default(false),
  MOBILEID_POLL_INTERVAL_MS: milliseconds(500, 30_000).default(2000),
  MOBILEID_RATE_LIMIT_PER_NUMBER: rateLimit.default({ max: 5, windowSeconds: 600 }),
  MOBILEID_RATE_LIMIT_PER_IP: rateLimit.default({ max: 30, windowSeconds: 600 }),
  // Verification providers, each in its own block (SRS_*, FREJA_*, UPI_*, COUNTER_*).
  // -- srs --
  SRS_URL: httpUrl.optional(),
  SRS_TOKEN_URL: httpUrl.optional(),
  SRS_RAS_URL: httpUrl.optional(),
  SRS_CLIENT_ID: z.string().min(1).optional(),
  SRS_CLIENT_SECRET: z.string().min(1).optional(),
  SRS_SCOPE: z.string().regex(/^[\x21-\x7e]+( [\x21-\x7e]+)*$/, 'must be space-separated OAuth scopes').default('miss'),
  SRS_CLAIMED_IDENTITY: z.string().max(255, 'must be at most 255 characters').default('servicecore-login'),
  SRS_CALLBACK_ISSUER: z.string().min(1).optional(),
  SRS_CALLBACK_JWKS_URL: httpUrl.optional(),
  SRS_CALLBACK_KEY_FILE: z.string().min(1).optional(),
  SRS_CLIENT_CERT_FILE: z.string().min(1).optional(),
  SRS_CLIENT_KEY_FILE: z.string().min(1).optional(),
  SRS_SERVER_CA_FILE: z.string().min(1).optional(),
  SRS_TIMEOUT_MS: milliseconds(1000, 60_000).default(10_000),
  SRS_POLL_INTERVAL_MS: milliseconds(500, 60_000).default(5000),
  SRS_CATALOGUE_CACHE_SECONDS: cacheSeconds.default(300),
  SRS_IDENTIFICATION_TTL_SECONDS: seconds(600).default(86_400),
  // -- freja --
  FREJA_URL: httpUrl.optional(),
  FREJA_CLIENT_CERT_FILE: z.string().min(1).optional(),
  FREJA_CLIENT_KEY_FILE: z.string().min(1).optional(),
  FREJA_CLIENT_PFX_FILE: z.string().min(1).optional(),
  FREJA_CLIENT_PFX_PASSWORD: z.string().optional(),
  FREJA_SERVER_CA_FILE: z.string().min(1).optional(),
  FREJA_SIGNING_CERT_FILES: z.string().min(1).optional(),
  FREJA_CA_FILES: z.string().min(1).optional(),
  FREJA_RELYING_PARTY_ID: z.string().max(255, 'must be at most 255 characters').optional(),
  FREJA_APP_LINK: z.string().regex(/^[a-z][a-z0-9+.-]*:\S+$/i, 'must be a link prefix such as frejaeid://bindUserToTransaction?transactionReference=').optional(),
  FREJA_TIMEOUT_MS: milliseconds(200, 60_000).default(10_000),
  FREJA_POLL_INTERVAL_MS: milliseconds(1000, 30_000).default(2000),
  // -- upi --
  UPI_URL: httpUrl.optional(),
  UPI_SENDER_ID: z.string().regex(/^[a-z][a-z0-9+.-]*:\S+$/i, 'must be the eCH-0058 senderId the ZAS assigned, e.g. sedex://T1-CH-12').optional(),
  UPI_SPID_CATEGORY: z.string().regex(/^\S{1,20}$/, 'must be the SPID category the ZAS granted (1 to 20 characters, no spaces)').optional(),
  UPI_CLIENT_CERT_FILE: z.string().min(1).optional(),
  UPI_CLIENT_KEY_FILE: z.string().min(1).optional(),
  UPI_SERVER_CA_FILE: z.string().min(1).optional(),
  UPI_TIMEOUT_MS: milliseconds(200, 60_000).default(10_000),
  UPI_TEST_DELIVERY: bool.optional(),
  UPI_RATE_LIMIT_PER_ACCOUNT: rateLimit.default({ max: 5, windowSeconds: 3600 }),
  // -- counter --
  COUNTER_CASE_TTL_DAYS: wholeNumber(1, 365, 'must be a whole number of days between 1 and 365').default(30),
  COUNTER_LOCK_MINUTES: wholeNumber(1, 240, 'must be a whole number of minutes between 1 and 240').default(15),
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
  /** At start, how long to wait for a PostgreSQL server that is not reachable yet (starting, restarting). */
  databaseWaitSeconds: number;
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
  /** Resident memory the heap's growth keeps the server within (0: off; src/memory.ts). */
  memorySoftLimitMb: number;
  sweepIntervalSeconds: number;
  ttl: { accessToken: number; idToken: number; refreshToken: number; session: number };
  clientCacheSeconds: number;
  resourceServers: ResourceServer[];
  policyDir: string;
  /** The Level of Trust (acr value) an administrator's login must reach to use the admin console. */
  adminAcr: string;
  mobileId: MobileIdConfig;
  // -- verification providers: srs, freja, upi, counter --
  upi: UpiConfig;
  freja: FrejaConfig;
  counter: CounterConfig;
  srs: SrsConfig;
}

/** Swisscom Smart Registration Service (SRS); see src/verification/srs. */
export interface SrsConfig {
  /** Base URL of the SRS API (`/api/providers`, `/api/identifications`); undefined: the sandbox simulator, or SRS off. */
  url: string | undefined;
  /** OAuth2 token endpoint (client credentials). */
  tokenUrl: string | undefined;
  /** Base URL of the RAS evidence service (`/api/evidences/verify`, the verify call). */
  rasUrl: string | undefined;
  clientId: string | undefined;
  clientSecret: string | undefined;
  scope: string;
  /** The `claimedIdentity` of the verify call (our signing customer name at Swisscom). */
  claimedIdentity: string;
  /** `iss` of the identification partner's callback JWTs. */
  callbackIssuer: string | undefined;
  /** Keys of the callback JWTs: a JWKS URL and/or a PEM file (public key or certificate). */
  callbackJwksUrl: string | undefined;
  callbackKeyFile: string | undefined;
  clientCertFile: string | undefined;
  clientKeyFile: string | undefined;
  serverCaFile: string | undefined;
  /** Timeout of every outbound call (connect, headers, body), in ms. */
  timeoutMs: number;
  /** Minimum time between two status queries of one identification, in ms. */
  pollIntervalMs: number;
  catalogueCacheSeconds: number;
  /** How long an identification may take before it is given up. */
  identificationTtlSeconds: number;
}

/** The AHV register check against the ZAS UPI query service; see src/verification/ahv. */
export interface UpiConfig {
  /** The querySpid endpoint; undefined: the sandbox simulator, or the AHV check off outside the sandbox. */
  url: string | undefined;
  /** eCH-0058 senderId and SPID category assigned by the ZAS (sandbox defaults in sandbox mode). */
  senderId: string | undefined;
  spidCategory: string | undefined;
  /** PEM client certificate and key for mutual TLS, and the PEM roots of the server certificate. */
  clientCertFile: string | undefined;
  clientKeyFile: string | undefined;
  serverCaFile: string | undefined;
  /** Timeout of a query (connect, send, answer), in ms. */
  timeoutMs: number;
  /** eCH-0058 testDeliveryFlag (true towards the ZAS test environment; default in sandbox mode). */
  testDeliveryFlag: boolean;
  /** Checks one account may make (any outcome) per window. */
  rateLimitPerAccount: { max: number; windowSeconds: number };
}

export interface MobileIdConfig {
  /** Base URL of the Mobile ID service; undefined in the sandbox until the simulator runs. */
  url: string | undefined;
  apId: string;
  apPassword: string | undefined;
  clientCertFile: string | undefined;
  clientKeyFile: string | undefined;
  serverCaFile: string | undefined;
  /** PEM files of the roots user certificates must chain to; default Swisscom Root CA 2 and 4. */
  trustAnchorFiles: string[];
  dtbdPrefix: string;
  signatureProfile: string;
  defaultCountryCode: string;
  serialPolicy: 'reject' | 'downgrade';
  receipt: boolean;
  pollIntervalMs: number;
  rateLimitPerNumber: { max: number; windowSeconds: number };
  rateLimitPerIp: { max: number; windowSeconds: number };
}

export interface FrejaConfig {
  /** Base URL of the Freja eID relying-party API; undefined: the sandbox simulator, or Freja eID off outside the sandbox. */
  url: string | undefined;
  /** Client certificate and key (PEM) for mutual TLS, or the PKCS#12 keystore Freja issues and its password. */
  clientCertFile: string | undefined;
  clientKeyFile: string | undefined;
  clientPfxFile: string | undefined;
  clientPfxPassword: string | undefined;
  /** PEM roots for Freja's TLS server certificate; the system roots when absent. */
  serverCaFile: string | undefined;
  /** PEM files of the JWS signing certificates (chosen by `x5t`). */
  signingCertFiles: string[];
  /** PEM files of the issuing CA(s) and root(s) the signing certificates chain to. */
  caFiles: string[];
  /** Integrators only: the relying party requests are made for. */
  relyingPartyId: string | undefined;
  /** Prefix of the link in the QR code / "open the app" button; the authRef is appended. */
  appLink: string | undefined;
  timeoutMs: number;
  pollIntervalMs: number;
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
      const shown = got === undefined ? '' : isSecretKey(key) ? hidden(key, got) : ` (got ${JSON.stringify(got)})`;
      return `${key} ${issue.message}${shown}`;
    });
    // One line per value, however many of its checks failed.
    throw new ConfigError(`Invalid configuration: ${[...new Set(lines)].join('; ')}`);
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
  if (!c.MOBILEID_CLIENT_CERT_FILE !== !c.MOBILEID_CLIENT_KEY_FILE) {
    throw new ConfigError('Invalid configuration: MOBILEID_CLIENT_CERT_FILE and MOBILEID_CLIENT_KEY_FILE must be set together');
  }
  const issuer = (c.ISSUER ?? `http://localhost:${c.PORT}`).replace(/\/+$/, '');
  if (production && !issuer.startsWith('https://')) {
    throw new ConfigError(`Invalid configuration: ISSUER must be an https URL when NODE_ENV=production (got "${issuer}")`);
  }
  if (production && !c.MOBILEID_AP_ID) throw new ConfigError('Invalid configuration: MOBILEID_AP_ID is required when NODE_ENV=production');
  // The simulators run in the sandbox unless MOBILEID_URL points at a Mobile ID service (src/server.ts).
  const simulators = sandbox && !c.MOBILEID_URL;
  if (simulators && c.SIMULATOR_PORT === c.PORT) {
    throw new ConfigError(`Invalid configuration: SIMULATOR_PORT must differ from PORT: the sandbox simulators listen on a port of their own (got ${c.SIMULATOR_PORT} for both)`);
  }
  // The embedded database and the simulators' material live in DATA_DIR.
  if (c.DATA_DIR !== ':memory:' && (!c.DATABASE_URL || simulators)) checkDataDir(c.DATA_DIR);
  checkPolicyDir(c.POLICY_DIR);

  return {
    env: c.NODE_ENV,
    port: c.PORT,
    host: c.HOST,
    issuer,
    databaseUrl: c.DATABASE_URL,
    databasePoolMax: c.DATABASE_POOL_MAX,
    databaseWaitSeconds: c.DATABASE_WAIT_SECONDS,
    dataDir: c.DATA_DIR === ':memory:' ? ':memory:' : path.resolve(c.DATA_DIR),
    keyEncryptionKey: c.KEY_ENCRYPTION_KEY ?? DEV_KEY_ENCRYPTION_KEY,
    cookieSecrets: c.COOKIE_SECRETS ? c.COOKIE_SECRETS.split(',').map((s) => s.trim()) : [DEV_COOKIE_SECRET],
    insecureDefaults,
    logLevel: c.LOG_LEVEL,
    sandbox,
    simulatorPort: c.SIMULATOR_PORT ?? (c.PORT === 65535 ? 65534 : c.PORT + 1),
    defaultLocale: c.DEFAULT_LOCALE,
    trustProxy: c.TRUST_PROXY,
    memorySoftLimitMb: c.MEMORY_SOFT_LIMIT_MB,
    sweepIntervalSeconds: c.SWEEP_INTERVAL_SECONDS,
    ttl: {
      accessToken: c.ACCESS_TOKEN_TTL,
      idToken: c.ID_TOKEN_TTL,
      refreshToken: c.REFRESH_TOKEN_TTL,
      session: c.SESSION_TTL,
    },
    clientCacheSeconds: c.CLIENT_CACHE_SECONDS,
    resourceServers: parseResourceServers(c.RESOURCE_SERVERS),
    policyDir: path.resolve(c.POLICY_DIR),
    adminAcr: c.ADMIN_ACR,
    mobileId: {
      url: c.MOBILEID_URL ?? (sandbox ? undefined : 'https://mobileid.swisscom.com'),
      apId: c.MOBILEID_AP_ID ?? 'mid://sandbox.servicecore.ch',
      apPassword: c.MOBILEID_AP_PASSWORD,
      clientCertFile: c.MOBILEID_CLIENT_CERT_FILE,
      clientKeyFile: c.MOBILEID_CLIENT_KEY_FILE,
      serverCaFile: c.MOBILEID_SERVER_CA_FILE,
      trustAnchorFiles: c.MOBILEID_TRUST_ANCHOR_FILES ? c.MOBILEID_TRUST_ANCHOR_FILES.split(',').map((f) => f.trim()).filter(Boolean) : [],
      dtbdPrefix: c.MOBILEID_DTBD_PREFIX,
      signatureProfile: c.MOBILEID_SIGNATURE_PROFILE,
      defaultCountryCode: c.MOBILEID_DEFAULT_COUNTRY_CODE,
      serialPolicy: c.MOBILEID_SERIAL_POLICY,
      receipt: c.MOBILEID_RECEIPT,
      pollIntervalMs: c.MOBILEID_POLL_INTERVAL_MS,
      rateLimitPerNumber: c.MOBILEID_RATE_LIMIT_PER_NUMBER,
      rateLimitPerIp: c.MOBILEID_RATE_LIMIT_PER_IP,
    },
    // -- srs --
    srs: {
      url: c.SRS_URL,
      tokenUrl: c.SRS_TOKEN_URL,
      rasUrl: c.SRS_RAS_URL,
      clientId: c.SRS_CLIENT_ID,
      clientSecret: c.SRS_CLIENT_SECRET,
      scope: c.SRS_SCOPE,
      claimedIdentity: c.SRS_CLAIMED_IDENTITY,
      callbackIssuer: c.SRS_CALLBACK_ISSUER,
      callbackJwksUrl: c.SRS_CALLBACK_JWKS_URL,
      callbackKeyFile: c.SRS_CALLBACK_KEY_FILE,
      clientCertFile: c.SRS_CLIENT_CERT_FILE,
      clientKeyFile: c.SRS_CLIENT_KEY_FILE,
      serverCaFile: c.SRS_SERVER_CA_FILE,
      timeoutMs: c.SRS_TIMEOUT_MS,
      pollIntervalMs: c.SRS_POLL_INTERVAL_MS,
      catalogueCacheSeconds: c.SRS_CATALOGUE_CACHE_SECONDS,
      identificationTtlSeconds: c.SRS_IDENTIFICATION_TTL_SECONDS,
    },
    // -- freja --
    freja: {
      url: c.FREJA_URL,
      clientCertFile: c.FREJA_CLIENT_CERT_FILE,
      clientKeyFile: c.FREJA_CLIENT_KEY_FILE,
      clientPfxFile: c.FREJA_CLIENT_PFX_FILE,
      clientPfxPassword: c.FREJA_CLIENT_PFX_PASSWORD,
      serverCaFile: c.FREJA_SERVER_CA_FILE,
      signingCertFiles: c.FREJA_SIGNING_CERT_FILES ? c.FREJA_SIGNING_CERT_FILES.split(',').map((f) => f.trim()).filter(Boolean) : [],
      caFiles: c.FREJA_CA_FILES ? c.FREJA_CA_FILES.split(',').map((f) => f.trim()).filter(Boolean) : [],
      relyingPartyId: c.FREJA_RELYING_PARTY_ID,
      appLink: c.FREJA_APP_LINK,
      timeoutMs: c.FREJA_TIMEOUT_MS,
      pollIntervalMs: c.FREJA_POLL_INTERVAL_MS,
    },
    // -- upi --
    upi: {
      url: c.UPI_URL,
      senderId: c.UPI_SENDER_ID ?? (sandbox ? 'sedex://T0-ZZ-SANDBOX' : undefined),
      spidCategory: c.UPI_SPID_CATEGORY ?? (sandbox ? 'SANDBOX.SPID' : undefined),
      clientCertFile: c.UPI_CLIENT_CERT_FILE,
      clientKeyFile: c.UPI_CLIENT_KEY_FILE,
      serverCaFile: c.UPI_SERVER_CA_FILE,
      timeoutMs: c.UPI_TIMEOUT_MS,
      testDeliveryFlag: c.UPI_TEST_DELIVERY ?? sandbox,
      rateLimitPerAccount: c.UPI_RATE_LIMIT_PER_ACCOUNT,
    },
    // -- counter --
    counter: {
      caseTtlDays: c.COUNTER_CASE_TTL_DAYS,
      lockMinutes: c.COUNTER_LOCK_MINUTES,
    },
  };
}

/**
 * A file a configuration variable names (a certificate, key or keystore), read at start; a
 * ConfigError naming the variable when it cannot be read.
 */
export function readConfiguredFile(file: string, variable: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new ConfigError(`Invalid configuration: ${variable} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}: ${file})`);
  }
}

/** The same, as PEM text. */
export function readConfiguredPem(file: string, variable: string): string {
  return readConfiguredFile(file, variable).toString('utf8');
}

/**
 * A provider's mutual TLS files (`<PREFIX>_CLIENT_CERT_FILE` with `<PREFIX>_CLIENT_KEY_FILE`, and
 * `<PREFIX>_SERVER_CA_FILE`), read as PEM; the client certificate only when both of its files are set.
 */
export function readTlsFiles(
  files: { clientCertFile: string | undefined; clientKeyFile: string | undefined; serverCaFile: string | undefined },
  prefix: string,
): { clientCertPem?: string; clientKeyPem?: string; caCertsPem?: string } {
  return {
    ...(files.clientCertFile && files.clientKeyFile
      ? { clientCertPem: readConfiguredPem(files.clientCertFile, `${prefix}_CLIENT_CERT_FILE`), clientKeyPem: readConfiguredPem(files.clientKeyFile, `${prefix}_CLIENT_KEY_FILE`) }
      : {}),
    ...(files.serverCaFile ? { caCertsPem: readConfiguredPem(files.serverCaFile, `${prefix}_SERVER_CA_FILE`) } : {}),
  };
}

/** How a configured path is shown in a message: as given, and resolved when it was relative. */
function shownPath(value: string): string {
  const resolved = path.resolve(value);
  return resolved === value ? `"${value}"` : `"${value}", i.e. ${resolved}`;
}

function fileType(file: string): 'directory' | 'file' | 'missing' | 'unknown' {
  try {
    return fs.statSync(file).isDirectory() ? 'directory' : 'file';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'unknown';
  }
}

/**
 * DATA_DIR must be a directory, or a path where one can be created: its nearest existing ancestor
 * is a directory. (Whether it may be written is found out when it is: see `startupError`.)
 */
function checkDataDir(value: string): void {
  const target = path.resolve(value);
  for (let dir = target; ; dir = path.dirname(dir)) {
    const type = fileType(dir);
    if (type === 'directory' || type === 'unknown') return;
    if (type === 'file') {
      const what = dir === target ? 'it is a file' : `${dir} is a file`;
      throw new ConfigError(`Invalid configuration: DATA_DIR must be a directory or a path where one can be created: ${what} (got ${shownPath(value)})`);
    }
    if (path.dirname(dir) === dir) return;
  }
}

/** The policy files read at every start; the others (srs.json, freja.json) with their method. */
const REQUIRED_POLICY_FILES = ['qor.json', 'mobileid.json'];

function checkPolicyDir(value: string): void {
  const dir = path.resolve(value);
  const type = fileType(dir);
  const problem =
    type === 'missing' ? 'no such directory'
    : type === 'file' ? 'it is a file'
    : type === 'directory' ? REQUIRED_POLICY_FILES.filter((f) => fileType(path.join(dir, f)) !== 'file').map((f) => `${f} is missing`).join(', ')
    : '';
  if (problem) {
    throw new ConfigError(`Invalid configuration: POLICY_DIR must be a directory holding the policy files (${REQUIRED_POLICY_FILES.join(', ')}, …): ${problem} (got ${shownPath(value)})`);
  }
}

/**
 * A URL with its password (and any password-like query parameter) replaced by `***`, for messages;
 * undefined when it is no URL (then nothing of it may be shown).
 */
export function maskUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.password) url.password = '***';
  for (const name of [...url.searchParams.keys()]) {
    if (/pass|secret|key/i.test(name)) url.searchParams.set(name, '***');
  }
  return url.toString().replace(/:\*\*\*@/, ':***@').replace(/%2A%2A%2A/gi, '***');
}

/** A secret value in a message: a connection URL without its password, anything else not at all. */
function hidden(key: string, value: string): string {
  const masked = key === 'DATABASE_URL' ? maskUrl(value) : undefined;
  return masked === undefined ? ' (value hidden)' : ` (got "${masked}")`;
}

interface SystemError extends Error {
  code?: string;
  syscall?: string;
  path?: string;
  address?: string;
  port?: number;
  hostname?: string;
}

/** What went wrong, for a message: the error's text, or its code or name when it has none (an AggregateError). */
function whatFailed(err: SystemError): string {
  return (err.message || err.code || err.name).split('\n')[0]!;
}

const DATABASE_PROBLEMS: Record<string, string> = {
  ECONNREFUSED: 'the connection was refused: is PostgreSQL running at that host and port?',
  ENOTFOUND: 'its host name cannot be resolved',
  EAI_AGAIN: 'its host name cannot be resolved',
  EAI_FAIL: 'its host name cannot be resolved',
  ETIMEDOUT: 'the server did not answer in time',
  EHOSTUNREACH: 'its host cannot be reached',
  ENETUNREACH: 'its host cannot be reached',
  ECONNRESET: 'the server closed the connection',
  EPIPE: 'the server closed the connection',
  ENOENT: 'its socket does not exist: is PostgreSQL running?',
  EACCES: 'its socket may not be opened by this user',
  // PostgreSQL's SQLSTATE codes
  '28P01': 'the server refused the user name or password',
  '28000': 'the server refused the connection for this user or database',
  '3D000': 'the database it names does not exist',
  '53300': 'the server has no connection left for us',
  '57P03': 'the server is not accepting connections yet',
};

const FILE_PROBLEMS: Record<string, string> = {
  ENOTDIR: 'a part of its path is a file, not a directory',
  EEXIST: 'a file stands where a directory is needed',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EISDIR: 'a directory stands where a file is needed',
};

/** `<lead>: <what went wrong> (<code>; got "<DATABASE_URL without its password>")`. */
function databaseMessage(error: unknown, databaseUrl: string, lead: string): string {
  const err = error as SystemError;
  const code = err.code ?? (err.name === 'KnexTimeoutError' ? 'ETIMEDOUT' : undefined);
  const problem = (code && DATABASE_PROBLEMS[code]) ?? `it cannot be connected to: ${whatFailed(err)}`;
  const masked = maskUrl(databaseUrl);
  return withoutSecrets(`${lead}: ${problem} (${code ? `${code}; ` : ''}${masked === undefined ? 'value hidden' : `got "${masked}"`})`, urlPasswords(databaseUrl), '***');
}

/**
 * The start's last line when the PostgreSQL server of DATABASE_URL stayed out of reach for
 * DATABASE_WAIT_SECONDS (refused, timed out, not accepting connections): the value may well be
 * right and the server not up yet, so this is not called an invalid configuration.
 */
export function unreachableDatabaseMessage(error: unknown, config: Config): string {
  return databaseMessage(error, config.databaseUrl ?? '', `Database unavailable: DATABASE_URL could not be reached within DATABASE_WAIT_SECONDS (${config.databaseWaitSeconds} s)`);
}

/** One start-up step of src/main.ts: opening the database, or starting the server (which listens). */
export type StartupStep = 'database' | 'server';

/**
 * The configuration value behind a failed start-up step, as a ConfigError naming it (secrets
 * masked); undefined when the failure is not one a configuration value explains.
 * Errors are recognised by their code (EADDRINUSE, ECONNREFUSED, ENOTDIR, …), and by the port,
 * host or path they name.
 */
export function startupError(error: unknown, config: Config, step: StartupStep): ConfigError | undefined {
  if (error instanceof ConfigError) {
    const detail = error.detail ?? error.message;
    // A policy file that cannot be read or is invalid: name the directory it was read from.
    return detail.includes(config.policyDir) && !detail.includes('POLICY_DIR')
      ? new ConfigError(`Invalid configuration: POLICY_DIR holds a policy file that cannot be used: ${detail} (got "${config.policyDir}")`)
      : error;
  }
  if (!(error instanceof Error) || error instanceof AppError) return undefined;
  const err = error as SystemError;
  const code = err.code ?? (err.name === 'KnexTimeoutError' ? 'ETIMEDOUT' : undefined);

  if (step === 'database' && config.databaseUrl) return new ConfigError(databaseMessage(err, config.databaseUrl, 'Invalid configuration: DATABASE_URL cannot be used'));

  const inDir = (dir: string) => !!err.path && dir !== ':memory:' && (err.path === dir || err.path.startsWith(dir + path.sep));
  if ((step === 'database' && !config.databaseUrl && config.dataDir !== ':memory:') || inDir(config.dataDir)) {
    if (code && err.path) {
      const problem = FILE_PROBLEMS[code] ?? whatFailed(err);
      return new ConfigError(`Invalid configuration: DATA_DIR must be a directory this process can write in: ${problem} (${code}: ${err.path}; got "${config.dataDir}")`);
    }
    if (step === 'database') {
      return new ConfigError(`Invalid configuration: DATA_DIR holds an embedded database that cannot be opened: ${whatFailed(err)} (got "${config.dataDir}")`);
    }
  }
  if (inDir(config.policyDir) && code) {
    return new ConfigError(`Invalid configuration: POLICY_DIR cannot be read: ${FILE_PROBLEMS[code] ?? whatFailed(err)} (${code}: ${err.path}; got "${config.policyDir}")`);
  }

  if (step === 'server' && err.syscall === 'getaddrinfo' && err.hostname === config.host) {
    return new ConfigError(`Invalid configuration: HOST must be a name or address of this machine: it cannot be resolved (${code}; got "${config.host}")`);
  }
  if (step === 'server' && err.syscall === 'listen') {
    const variable = err.port === config.simulatorPort && err.port !== config.port ? 'SIMULATOR_PORT' : 'PORT';
    const portNumber = err.port ?? (variable === 'PORT' ? config.port : config.simulatorPort);
    const on = !err.address || err.address === config.host ? `on HOST ${config.host}` : `on ${err.address} (HOST ${config.host})`;
    const hint = variable === 'SIMULATOR_PORT' ? 'choose another SIMULATOR_PORT (default: PORT + 1)' : 'choose another PORT';
    switch (code) {
      case 'EADDRINUSE':
        return new ConfigError(`Invalid configuration: ${variable} ${portNumber} ${on} is already in use by another process (EADDRINUSE): stop that process or ${hint}`);
      case 'EACCES':
      case 'EPERM':
        return new ConfigError(`Invalid configuration: ${variable} ${portNumber} ${on} needs privileges this process does not have (${code}): ${hint}, above 1023`);
      case 'EADDRNOTAVAIL':
        return new ConfigError(`Invalid configuration: HOST must be an address of this machine (EADDRNOTAVAIL; got "${config.host}", ${variable} ${portNumber})`);
      default:
        return new ConfigError(`Invalid configuration: ${variable} ${portNumber} ${on} cannot be listened on: ${whatFailed(err)}`);
    }
  }
  return undefined;
}

function isSecretKey(key: string): boolean {
  return /SECRET|KEY|PASSWORD|DATABASE_URL/.test(key);
}

/** In-person identification at a counter; see src/verification/manual. */
export interface CounterConfig {
  /** How long a counter document (its QR code and short code) stays valid, in days. */
  caseTtlDays: number;
  /** How long a case stays locked to the verifier who opened it, in minutes. */
  lockMinutes: number;
}
