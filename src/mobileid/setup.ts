/**
 * Builds the Mobile ID login service from the configuration: the REST client (mutual TLS when a
 * client certificate is configured), the trust anchors and the login policy.
 */
import path from 'node:path';

import { readConfiguredPem, readTlsFiles, type MobileIdConfig } from '../config.js';
import type { Db } from '../db/index.js';
import { CertificateStore, defaultTrustAnchors } from './certificates.js';
import { MobileIdClient } from './client.js';
import { MobileIdLogins, type LoginLog } from './login.js';
import { loadMobileIdPolicy, type MobileIdPolicy } from './policy.js';

export interface MobileIdSetup {
  logins: MobileIdLogins;
  client: MobileIdClient;
  policy: MobileIdPolicy;
}

export function setUpMobileId(opts: {
  config: MobileIdConfig;
  /** Base URL (the configured one, or the sandbox simulator's). */
  url: string;
  /** Extra roots for user certificates (the sandbox simulator's). */
  extraTrustAnchorsPem?: string[];
  policyDir: string;
  db: Db;
  log: LoginLog;
}): MobileIdSetup {
  const { config } = opts;
  const configuredAnchors = config.trustAnchorFiles.map((f) => readConfiguredPem(f, 'MOBILEID_TRUST_ANCHOR_FILES'));
  let trustAnchors = configuredAnchors.length ? CertificateStore.fromPem(...configuredAnchors) : defaultTrustAnchors();
  if (opts.extraTrustAnchorsPem?.length) trustAnchors = trustAnchors.concat(CertificateStore.fromPem(...opts.extraTrustAnchorsPem));

  const client = new MobileIdClient({
    baseUrl: opts.url,
    apId: config.apId,
    ...(config.apPassword ? { apPassword: config.apPassword } : {}),
    ...readTlsFiles(config, 'MOBILEID'),
    signatureProfile: config.signatureProfile,
  });
  const policy = loadMobileIdPolicy(path.join(opts.policyDir, 'mobileid.json'));
  const logins = new MobileIdLogins(
    opts.db,
    client,
    {
      dtbdPrefix: config.dtbdPrefix,
      defaultCountryCode: config.defaultCountryCode,
      signatureProfile: config.signatureProfile,
      pollIntervalMs: config.pollIntervalMs,
      perNumber: config.rateLimitPerNumber,
      perIp: config.rateLimitPerIp,
      trustAnchors,
      receipt: config.receipt,
    },
    opts.log,
  );
  return { logins, client, policy };
}
