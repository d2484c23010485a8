/**
 * The identification partner's callback to the service provider: a JWT signed with the
 * simulator's own key (ES256), POSTed as `application/jwt` to the callbackUrl of the identification.
 */
import { randomUUID } from 'node:crypto';

import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

import type { SimIdentification } from './state.js';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function createSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = `srs-sim-${randomUUID().slice(0, 8)}`;
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

export async function signCallback(key: SigningKey, issuer: string, i: SimIdentification, now: Date, lifetimeSeconds = 300): Promise<string> {
  const current = i.statuses[i.statuses.length - 1]!;
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({
    refId: i.refId,
    orderId: i.orderId,
    isp: i.issuer,
    method: i.method,
    status: current.status,
    ...(i.evidenceId ? { evidenceId: i.evidenceId } : {}),
    ...(i.identity && current.status !== 'Identification cancelled by user'
      ? { identificationData: { firstName: i.identity.firstName, lastName: i.identity.lastName, dob: i.identity.dob, nationality: i.identity.nationality } }
      : {}),
  })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
    .setIssuer(issuer)
    .setAudience(i.callbackUrl ?? '')
    .setIssuedAt(iat)
    .setExpirationTime(iat + lifetimeSeconds)
    .setJti(randomUUID())
    .sign(key.privateKey);
}

/** POST the JWT; the outcome as a short text for the tester ("HTTP 200", "failed: ECONNREFUSED"). */
export async function deliverCallback(url: string, jwt: string, timeoutMs = 5000): Promise<string> {
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/jwt' }, body: jwt, signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return `HTTP ${res.status}`;
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return `failed: ${cause?.code ?? (err as Error).name}`;
  }
}
