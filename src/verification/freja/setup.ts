/**
 * Builds the Freja eID verification from the configuration: the REST client (mutual TLS with the
 * relying party's certificate), the signing certificates and their chain, and the policy
 * (policies/freja.json). Every problem is a ConfigError naming the variable, at start.
 */
import path from 'node:path';

import { readConfiguredFile, readConfiguredPem, type FrejaConfig } from '../../config.js';
import type { Db } from '../../db/index.js';
import { ConfigError } from '../../errors.js';
import type { MethodKind } from '../../qor/index.js';
import { FrejaClient, type FrejaClientEvent } from './client.js';
import { loadFrejaPolicy, type FrejaPolicy } from './policy.js';
import { FrejaVerifications, type FrejaLog } from './requests.js';
import { FrejaTrust } from './trust.js';

export interface FrejaSetup {
  verifications: FrejaVerifications;
  client: FrejaClient;
  policy: FrejaPolicy;
  trust: FrejaTrust;
}

export interface FrejaSetupOptions {
  config: FrejaConfig;
  /** Base URL (the configured one, or the sandbox simulator's). */
  url: string;
  /** Further signing certificates and CAs (the sandbox simulator's). */
  extraSigningPems?: string[];
  extraCaPems?: string[];
  /** Mutual TLS credentials are required (production). */
  requireClientCertificate: boolean;
  policyDir: string;
  db: Db;
  log: FrejaLog & { debug?(obj: object, msg: string): void };
  kind: MethodKind;
  expiresAt(verifiedAt: Date): Date;
}

export function setUpFreja(opts: FrejaSetupOptions): FrejaSetup {
  const { config } = opts;
  if (!config.clientCertFile !== !config.clientKeyFile) {
    throw new ConfigError('Invalid configuration: FREJA_CLIENT_CERT_FILE and FREJA_CLIENT_KEY_FILE must be set together');
  }
  if (config.clientCertFile && config.clientPfxFile) {
    throw new ConfigError('Invalid configuration: set either FREJA_CLIENT_PFX_FILE or FREJA_CLIENT_CERT_FILE/FREJA_CLIENT_KEY_FILE, not both');
  }
  if (opts.requireClientCertificate && !config.clientCertFile && !config.clientPfxFile) {
    throw new ConfigError('Invalid configuration: Freja eID needs the relying party certificate for mutual TLS: set FREJA_CLIENT_PFX_FILE (and FREJA_CLIENT_PFX_PASSWORD) or FREJA_CLIENT_CERT_FILE and FREJA_CLIENT_KEY_FILE');
  }
  const signingPems = [...config.signingCertFiles.map((f) => readConfiguredPem(f, 'FREJA_SIGNING_CERT_FILES')), ...(opts.extraSigningPems ?? [])];
  const caPems = [...config.caFiles.map((f) => readConfiguredPem(f, 'FREJA_CA_FILES')), ...(opts.extraCaPems ?? [])];
  let trust: FrejaTrust;
  try {
    trust = FrejaTrust.fromPem(signingPems, caPems);
  } catch (err) {
    throw new ConfigError(`Invalid configuration: FREJA_SIGNING_CERT_FILES or FREJA_CA_FILES holds a certificate that cannot be read (${(err as Error).message})`);
  }
  if (trust.signerCount === 0) {
    throw new ConfigError('Invalid configuration: FREJA_SIGNING_CERT_FILES must name the Freja eID JWS signing certificate(s) when FREJA_URL is set');
  }
  const policy = loadFrejaPolicy(path.join(opts.policyDir, 'freja.json'));
  const client = new FrejaClient({
    baseUrl: opts.url,
    timeoutMs: config.timeoutMs,
    ...(config.clientCertFile && config.clientKeyFile
      ? { clientCertPem: readConfiguredPem(config.clientCertFile, 'FREJA_CLIENT_CERT_FILE'), clientKeyPem: readConfiguredPem(config.clientKeyFile, 'FREJA_CLIENT_KEY_FILE') }
      : {}),
    ...(config.clientPfxFile ? { clientPfx: readConfiguredFile(config.clientPfxFile, 'FREJA_CLIENT_PFX_FILE'), clientPfxPassword: config.clientPfxPassword ?? '' } : {}),
    ...(config.serverCaFile ? { serverCaPem: readConfiguredPem(config.serverCaFile, 'FREJA_SERVER_CA_FILE') } : {}),
    ...(config.relyingPartyId ? { relyingPartyId: config.relyingPartyId } : {}),
    onEvent: (event: FrejaClientEvent) => opts.log.debug?.(event, 'freja eid call'),
  });
  const verifications = new FrejaVerifications(opts.db, client, { policy, trust, pollIntervalMs: config.pollIntervalMs, kind: opts.kind, expiresAt: opts.expiresAt }, opts.log);
  return { verifications, client, policy, trust };
}
