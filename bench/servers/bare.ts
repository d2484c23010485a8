/**
 * A bare oidc-provider: the same version, no middleware of ours, its own in-memory storage, one
 * equivalent confidential client. The yardstick for this server.
 */
import http from 'node:http';
import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';

import { exportJWK, generateKeyPair, calculateJwkThumbprint, type JWK } from 'jose';
import Provider, { type Configuration } from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';

import { failStart, readArgs, serveControl } from './control.js';

const TTL = 3600;
const REFRESH_TTL = 14 * 24 * 3600;
/**
 * oidc-provider's default adapter keeps 1000 entries (an LRU): far fewer than the refresh tokens the
 * benchmark mints beforehand. Same adapter, larger store.
 */
const STORE_ENTRIES = 2_000_000;

async function signingKey(alg: 'RS256' | 'ES256'): Promise<JWK> {
  const { privateKey, publicKey } =
    alg === 'RS256'
      ? await generateKeyPair('RS256', { modulusLength: 2048, extractable: true })
      : await generateKeyPair('ES256', { extractable: true });
  const kid = await calculateJwkThumbprint(await exportJWK(publicKey));
  return { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
}

async function main(): Promise<void> {
  const args = readArgs();
  const issuer = `http://127.0.0.1:${args.port}`;
  const clientId = 'bench';
  const clientSecret = crypto.randomBytes(32).toString('base64url');
  const accountId = crypto.randomUUID();
  const store = new LRU({ maxSize: STORE_ENTRIES });

  const configuration: Configuration = {
    adapter: (model: string) => new MemoryAdapter(model, store),
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
        redirect_uris: ['https://rp.bench.example/callback'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [await signingKey('RS256'), await signingKey('ES256')] } as Configuration['jwks'],
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
    },
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
    rotateRefreshToken: true,
    ttl: {
      AccessToken: TTL,
      ClientCredentials: TTL,
      IdToken: TTL,
      AuthorizationCode: 60,
      Interaction: 3600,
      Grant: REFRESH_TTL,
      Session: REFRESH_TTL,
      RefreshToken: REFRESH_TTL,
    },
  };
  const provider = new Provider(issuer, configuration);
  const server = http.createServer(provider.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(args.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  serveControl({
    provider,
    info: {
      url: `http://127.0.0.1:${port}`,
      clientId,
      clientSecret,
      accountId,
      details: { storage: `oidc-provider in-memory adapter (LRU of ${STORE_ENTRIES} entries)`, rotateRefreshToken: true, logs: 'none' },
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}

main().catch(failStart);
