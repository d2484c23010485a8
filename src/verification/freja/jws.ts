/**
 * Verification of a Freja eID signed result (compact JWS, RS256, `x5t` header) before anything
 * in it is believed. Checks, each failure being FrejaError `jws_invalid` whose detail starts with
 * the check that failed:
 *   format      three base64url parts, a JSON header, a JSON object as payload
 *   header      `alg` is RS256 (nothing else is accepted), `x5t` present, no `crit`
 *   signer      a configured signing certificate has that `x5t`; it and its chain are valid now
 *   signature   the RS256 signature verifies with that certificate's key
 */
import { createHash } from 'node:crypto';

import { compactVerify, decodeProtectedHeader } from 'jose';

import { jwsInvalid } from './errors.js';
import type { FrejaTrust } from './trust.js';

const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAX_JWS_LENGTH = 128 * 1024;

export interface VerifiedJws {
  payload: Record<string, unknown>;
  /** The signing certificate's thumbprint. */
  x5t: string;
  /** SHA-256 of the compact JWS (hex): what replay protection remembers. */
  digest: string;
}

export function jwsDigest(jws: string): string {
  return createHash('sha256').update(jws, 'utf8').digest('hex');
}

export async function verifyFrejaJws(jws: string, trust: FrejaTrust, opts: { now: Date }): Promise<VerifiedJws> {
  if (jws.length > MAX_JWS_LENGTH || !COMPACT.test(jws)) throw jwsInvalid('format: not a compact JWS');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    throw jwsInvalid('format: the header is not JSON');
  }
  if (header.alg !== 'RS256') throw jwsInvalid(`header: alg ${String(header.alg).slice(0, 20)} is not RS256`);
  if (typeof header.x5t !== 'string' || !/^[A-Za-z0-9_-]{27}$/.test(header.x5t)) throw jwsInvalid('header: x5t missing or not a SHA-1 thumbprint');
  if (header.crit !== undefined) throw jwsInvalid('header: crit is not supported');
  const { certificate } = trust.signer(header.x5t, opts.now);

  let payloadBytes: Uint8Array;
  try {
    ({ payload: payloadBytes } = await compactVerify(jws, certificate.publicKey, { algorithms: ['RS256'] }));
  } catch {
    throw jwsInvalid('signature: does not verify with the certificate named by x5t');
  }
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payloadBytes));
  } catch {
    throw jwsInvalid('format: the payload is not JSON');
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw jwsInvalid('format: the payload is not a JSON object');
  return { payload: payload as Record<string, unknown>, x5t: header.x5t, digest: jwsDigest(jws) };
}
