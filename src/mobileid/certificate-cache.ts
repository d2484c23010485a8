/**
 * What the CMS verification learns about certificates, kept between logins. A person signs with
 * the same certificate under the same CA at every login, and parsing certificates (asn1js) and
 * validating their chain (pkijs) cost more than checking the signature itself.
 *
 * - Parsed certificates, by the SHA-256 of their DER: the same bytes always parse the same way.
 * - Validated chains, by the fingerprints of the signer, of every certificate offered with it (those
 *   of the CMS and the configured intermediates) and of the trust anchors. A chain found valid
 *   counts again only while the time of verification lies within the validity of every certificate
 *   on its path; outside it, or for any other set of certificates, the chain is validated again.
 *   Failures are never kept.
 *
 * Both are bounded: beyond their size, the least recently used entry is forgotten.
 */
import crypto from 'node:crypto';

import type * as pkijs from 'pkijs';

import type { CertificateStore } from './certificates.js';

/** A Map that forgets its least recently used entry beyond `max` entries. */
export class BoundedCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(readonly max: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.max) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}

/** Distinct certificates remembered (a few KB each): the signers of recent logins and their CAs. */
const PARSED_MAX = 20_000;
/** Distinct chains remembered. */
const CHAINS_MAX = 20_000;

const parsed = new BoundedCache<string, pkijs.Certificate>(PARSED_MAX);
const fingerprints = new WeakMap<pkijs.Certificate, string>();

const sha256 = (der: Uint8Array): string => crypto.createHash('sha256').update(der).digest('base64');

/**
 * The certificate encoded by `der`: parsed with `parse` the first time these bytes are seen, the
 * same object afterwards. Callers must not modify it.
 */
export function cachedCertificate(der: Uint8Array, parse: () => pkijs.Certificate): pkijs.Certificate {
  const fp = sha256(der);
  let cert = parsed.get(fp);
  if (!cert) {
    cert = parse();
    parsed.set(fp, cert);
    fingerprints.set(cert, fp);
  }
  return cert;
}

/** SHA-256 of a certificate's DER (computed once per certificate object). */
export function fingerprint(cert: pkijs.Certificate): string {
  let fp = fingerprints.get(cert);
  if (!fp) {
    fp = sha256(new Uint8Array(cert.toSchema().toBER(false)));
    fingerprints.set(cert, fp);
  }
  return fp;
}

interface ValidatedChain {
  path: pkijs.Certificate[];
  /** The time span in which every certificate of the path is valid. */
  from: number;
  until: number;
}

const chains = new BoundedCache<string, ValidatedChain>(CHAINS_MAX);

const fingerprintSet = (certs: readonly pkijs.Certificate[]): string => [...new Set(certs.map(fingerprint))].sort().join(' ');

function chainKey(anchors: CertificateStore, signer: pkijs.Certificate, offered: readonly pkijs.Certificate[]): string {
  return `${fingerprint(signer)} | ${fingerprintSet(offered)} | ${fingerprintSet(anchors.certificates)}`;
}

/** A path validated before for this signer, these certificates offered with it and these anchors, if still valid at `now`. */
export function knownChain(
  anchors: CertificateStore,
  signer: pkijs.Certificate,
  offered: readonly pkijs.Certificate[],
  now: Date,
): pkijs.Certificate[] | undefined {
  const chain = chains.get(chainKey(anchors, signer, offered));
  const t = now.getTime();
  return chain && t >= chain.from && t <= chain.until ? chain.path : undefined;
}

/** Remember a path that pkijs found valid (and the certificates offered with it, checked). */
export function rememberChain(
  anchors: CertificateStore,
  signer: pkijs.Certificate,
  offered: readonly pkijs.Certificate[],
  path: pkijs.Certificate[],
): void {
  const from = Math.max(...path.map((c) => c.notBefore.value.getTime()));
  const until = Math.min(...path.map((c) => c.notAfter.value.getTime()));
  chains.set(chainKey(anchors, signer, offered), { path, from, until });
}
