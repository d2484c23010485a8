/**
 * Test helpers for Freja eID: the real vectors (../shared/vectors/freja, see its SOURCES.md), the
 * trust built from them, and signing with certificates made on the spot.
 */
import fs from 'node:fs';

import { CompactSign } from 'jose';

import { generateSigningPki, type FrejaSandboxPki } from '../../../src/simulators/freja/index.js';
import { FrejaTrust } from '../../../src/verification/freja/index.js';

const VECTORS = new URL('../../../../shared/vectors/freja/', import.meta.url);

export function vectorText(path: string): string {
  return fs.readFileSync(new URL(path, VECTORS), 'utf8');
}

export function vectorJson<T = unknown>(path: string): T {
  return JSON.parse(vectorText(path)) as T;
}

export const AUTH_JWS = () => vectorText('jws/auth-getOneResult-details-APPROVED-INFERRED-x5t-2LQ-2022.jws').trim();
export const SIGN_JWS = () => vectorText('jws/sign-getOneResult-details-APPROVED-SIMPLE-EMAIL-x5t-2LQ-2023.jws').trim();
export const AUTH_DECODED = () => vectorJson<{ header: Record<string, unknown>; payload: Record<string, unknown> }>('jws/auth-getOneResult-details-APPROVED-INFERRED-x5t-2LQ-2022.decoded.json');

export const CERT_2LQ = 'certs/test-jws-Freja_eID_TEST_Org_Signing-x5t-2LQIrINOzwWAVDhoYybqUcXXmVs.pem';
export const CERT_DIZ = 'certs/test-jws-Freja_eID_TEST_JWS_Signing-x5t-DiZbzBfysUm6-IwI-GtienEsbjc.pem';
export const TEST_CAS = ['certs/test-RSA_TEST_Issuing_CA.pem', 'certs/test-RSA_Test_Root_CA.pem'];

/** The Freja TEST environment's signing certificates with their chain, as an operator would configure them. */
export function testTrust(signers: string[] = [CERT_2LQ, CERT_DIZ], cas: string[] = TEST_CAS): FrejaTrust {
  return FrejaTrust.fromPem(signers.map(vectorText), cas.map(vectorText));
}

/** While the 2LQ certificate was valid: the time of the real authentication result. */
export const AT_2022 = new Date(1658992582017 + 5_000);

const b64url = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

/** Replace one part of a compact JWS (0 header, 1 payload, 2 signature). */
export function withPart(jws: string, index: 0 | 1 | 2, value: string): string {
  const parts = jws.split('.');
  parts[index] = value;
  return parts.join('.');
}

export function withHeader(jws: string, header: Record<string, unknown>): string {
  return withPart(jws, 0, b64url(JSON.stringify(header)));
}

export function withPayload(jws: string, payload: Record<string, unknown>): string {
  return withPart(jws, 1, b64url(JSON.stringify(payload)));
}

/** Flip one character of the signature (keeping it base64url). */
export function flipSignature(jws: string): string {
  const [h, p, s] = jws.split('.') as [string, string, string];
  const i = Math.floor(s.length / 2);
  const c = s[i] === 'A' ? 'B' : 'A';
  return `${h}.${p}.${s.slice(0, i)}${c}${s.slice(i + 1)}`;
}

let pkiPromise: Promise<FrejaSandboxPki> | undefined;
/** One freshly made root → issuing CA → JWS signer per test file. */
export function freshPki(): Promise<FrejaSandboxPki> {
  pkiPromise ??= generateSigningPki();
  return pkiPromise;
}

export function trustOf(pki: FrejaSandboxPki): FrejaTrust {
  return FrejaTrust.fromPem([pki.signingPem], [pki.issuingPem, pki.rootPem]);
}

export async function signAs(pki: FrejaSandboxPki, payload: Record<string, unknown>, header: Record<string, unknown> = { x5t: pki.x5t, alg: 'RS256' }): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader(header as { alg: string }).sign(pki.signingKey);
}
