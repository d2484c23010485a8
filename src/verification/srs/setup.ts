/**
 * Builds the SRS method from the configuration: the client (mutual TLS when configured), the
 * callback verifier and the identification service. In the sandbox, the endpoints and keys
 * default to the simulator's.
 */
import path from 'node:path';

import { readTlsFiles, type SrsConfig } from '../../config.js';
import type { Db } from '../../db/index.js';
import { ConfigError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { CallbackVerifier, keySources } from './callback-jwt.js';
import { SrsClient } from './client.js';
import { SrsIdentifications } from './identifications.js';
import { loadSrsPolicy, type SrsPolicy } from './policy.js';
import { dbReplayStore } from './store.js';

/** Where the simulator is, in the sandbox. */
export interface SrsEndpoints {
  url: string;
  tokenUrl: string;
  rasUrl: string;
  clientId: string;
  clientSecret: string;
  callbackIssuer: string;
  callbackJwksUrl: string;
}

export interface SrsSetup {
  client: SrsClient;
  identifications: SrsIdentifications;
  verifier: CallbackVerifier;
  policy: SrsPolicy;
  callbackUrl: string;
}

/** The path of the callback endpoint. */
export const SRS_CALLBACK_PATH = '/callbacks/srs';

/** The SRS configuration to use, or undefined when SRS is not configured (and no sandbox runs). */
export function resolveSrsConfig(config: SrsConfig, sandbox: SrsEndpoints | undefined): (SrsConfig & SrsEndpoints) | undefined {
  if (!config.url) {
    if (!sandbox) return undefined;
    return {
      ...config,
      ...sandbox,
      ...(config.callbackKeyFile ? { callbackKeyFile: config.callbackKeyFile } : {}),
    };
  }
  const missing = (
    [
      ['SRS_TOKEN_URL', config.tokenUrl],
      ['SRS_RAS_URL', config.rasUrl],
      ['SRS_CLIENT_ID', config.clientId],
      ['SRS_CLIENT_SECRET', config.clientSecret],
      ['SRS_CALLBACK_ISSUER', config.callbackIssuer],
    ] as const
  )
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (!config.callbackJwksUrl && !config.callbackKeyFile) missing.push('SRS_CALLBACK_JWKS_URL or SRS_CALLBACK_KEY_FILE' as never);
  if (missing.length) throw new ConfigError(`Invalid configuration: SRS_URL is set, so ${missing.join(', ')} must be set too`);
  if (!config.clientCertFile !== !config.clientKeyFile) {
    throw new ConfigError('Invalid configuration: SRS_CLIENT_CERT_FILE and SRS_CLIENT_KEY_FILE must be set together');
  }
  return {
    ...config,
    url: config.url,
    tokenUrl: config.tokenUrl!,
    rasUrl: config.rasUrl!,
    clientId: config.clientId!,
    clientSecret: config.clientSecret!,
    callbackIssuer: config.callbackIssuer!,
    callbackJwksUrl: config.callbackJwksUrl ?? '',
  };
}

export function setUpSrs(opts: {
  config: SrsConfig;
  sandbox: SrsEndpoints | undefined;
  issuer: string;
  policyDir: string;
  validityDays: number;
  db: Db;
  log: Logger;
}): SrsSetup | undefined {
  const c = resolveSrsConfig(opts.config, opts.sandbox);
  if (!c) return undefined;
  const policy = loadSrsPolicy(path.join(opts.policyDir, 'srs.json'));
  const log = opts.log.child({ provider: 'srs' });
  const client = new SrsClient({
    url: c.url!,
    tokenUrl: c.tokenUrl,
    rasUrl: c.rasUrl,
    clientId: c.clientId,
    clientSecret: c.clientSecret,
    scope: c.scope,
    timeoutMs: c.timeoutMs,
    catalogueCacheSeconds: c.catalogueCacheSeconds,
    ...readTlsFiles(c, 'SRS'),
    onEvent: (e) => log.debug(e, 'srs call'),
  });
  const callbackUrl = `${opts.issuer}${SRS_CALLBACK_PATH}`;
  const verifier = new CallbackVerifier({
    issuer: c.callbackIssuer,
    audience: callbackUrl,
    keys: keySources({ jwksUrl: c.callbackJwksUrl || undefined, keyFile: c.callbackKeyFile, timeoutMs: c.timeoutMs }),
    replay: dbReplayStore(opts.db),
  });
  const identifications = new SrsIdentifications(
    opts.db,
    client,
    {
      policy,
      claimedIdentity: c.claimedIdentity,
      callbackUrl,
      pollIntervalMs: c.pollIntervalMs,
      identificationTtlSeconds: c.identificationTtlSeconds,
      validityDays: opts.validityDays,
      timeoutMs: c.timeoutMs,
    },
    log,
  );
  return { client, identifications, verifier, policy, callbackUrl };
}
