/**
 * Relying parties, stored in the database (model "Client" of the oidc_payloads table).
 *
 * Client secrets are generated here (256 random bits) and stored only as a SHA-256 hash: a secret
 * with that much entropy cannot be guessed from its hash, and the token endpoint stays fast.
 * Because the provider never knows a secret in clear, HMAC-based algorithms (client_secret_jwt,
 * HS256 tokens) are not offered.
 */
import crypto from 'node:crypto';

import type Provider from 'oidc-provider';
import type { ClientMetadata } from 'oidc-provider';

import type { Db } from '../db/index.js';

const HASH_PREFIX = 'sha256:';

export function hashClientSecret(secret: string): string {
  return HASH_PREFIX + crypto.createHash('sha256').update(secret, 'utf8').digest('base64url');
}

/** Makes the provider compare presented secrets against the stored hash, in constant time. */
export function installHashedClientSecrets(provider: Provider): void {
  const proto = provider.Client.prototype as unknown as {
    clientSecret?: string;
    compareClientSecret(actual: string): boolean;
  };
  proto.compareClientSecret = function compareClientSecret(this: { clientSecret?: string }, actual: string): boolean {
    const stored = this.clientSecret;
    if (typeof stored !== 'string' || typeof actual !== 'string' || !stored.startsWith(HASH_PREFIX)) return false;
    const a = Buffer.from(hashClientSecret(actual));
    const b = Buffer.from(stored);
    return a.length === b.length && crypto.timingSafeEqual(a, b);
  };
}

export interface NewClient {
  client_name: string;
  redirect_uris?: string[];
  post_logout_redirect_uris?: string[];
  grant_types?: string[];
  token_endpoint_auth_method?: string;
  default_acr_values?: string[];
  scope?: string;
  client_id?: string;
  [key: string]: unknown;
}

export interface RegisteredClient {
  client_id: string;
  /** Shown once, at registration; undefined for public clients. */
  client_secret: string | undefined;
  metadata: ClientMetadata;
}

/** Validate with the provider's own client schema and store. Prints nothing; returns the secret once. */
export async function registerClient(provider: Provider, db: Db, input: NewClient): Promise<RegisteredClient> {
  const clientId = input.client_id ?? `rp_${crypto.randomBytes(12).toString('base64url')}`;
  const authMethod = input.token_endpoint_auth_method ?? 'client_secret_basic';
  const needsSecret = authMethod === 'client_secret_basic' || authMethod === 'client_secret_post';
  const secret = needsSecret ? crypto.randomBytes(32).toString('base64url') : undefined;
  const metadata: ClientMetadata = {
    ...input,
    client_id: clientId,
    token_endpoint_auth_method: authMethod,
    ...(secret ? { client_secret: hashClientSecret(secret) } : {}),
  } as ClientMetadata;
  if (!metadata.grant_types) {
    metadata.grant_types = metadata.redirect_uris?.length ? ['authorization_code', 'refresh_token'] : ['client_credentials'];
  }
  if (!metadata.redirect_uris?.length) {
    metadata.redirect_uris = [];
    metadata.response_types = [];
  }
  await provider.Client.validate(metadata);
  const existing = await db('oidc_payloads').where({ model: 'Client', id: clientId }).first();
  if (existing) throw new Error(`a client with client_id ${clientId} already exists`);
  await db('oidc_payloads').insert({ model: 'Client', id: clientId, payload: JSON.stringify(metadata) });
  return { client_id: clientId, client_secret: secret, metadata };
}

export async function listClients(db: Db): Promise<ClientMetadata[]> {
  const rows = (await db('oidc_payloads').where({ model: 'Client' }).select('payload').orderBy('id')) as { payload: ClientMetadata | string }[];
  return rows.map((r) => {
    const payload = typeof r.payload === 'string' ? (JSON.parse(r.payload) as ClientMetadata) : r.payload;
    const { client_secret: _hidden, ...rest } = payload;
    return rest as ClientMetadata;
  });
}

export async function deleteClient(db: Db, clientId: string): Promise<boolean> {
  return (await db('oidc_payloads').where({ model: 'Client', id: clientId }).delete()) > 0;
}
