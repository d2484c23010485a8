/**
 * The certificates Freja eID results are checked against: the configured JWS signing
 * certificates, found by the `x5t` header (base64url SHA-1 of the DER), each of which must chain
 * through the configured issuing CA(s) to a configured root, everything valid at the time of the
 * check.
 */
import { createHash, X509Certificate } from 'node:crypto';

import { jwsInvalid } from './errors.js';

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const MAX_CHAIN = 5;
const MIN_RSA_BITS = 2048;

export interface TrustedSigner {
  x5t: string;
  certificate: X509Certificate;
}

/** Every certificate in the PEM texts (files may hold one or several). */
export function certificatesFromPem(...pems: string[]): X509Certificate[] {
  return pems.flatMap((pem) => (pem.match(PEM_CERT) ?? []).map((block) => new X509Certificate(block)));
}

/** `x5t` of a certificate: base64url(SHA-1(DER)). */
export function thumbprint(certificate: X509Certificate): string {
  return createHash('sha1').update(certificate.raw).digest('base64url');
}

function isSelfSigned(c: X509Certificate): boolean {
  return c.subject === c.issuer && c.checkIssued(c) && c.verify(c.publicKey);
}

function validAt(c: X509Certificate, at: Date): boolean {
  return Date.parse(c.validFrom) <= at.getTime() && at.getTime() <= Date.parse(c.validTo);
}

function describe(c: X509Certificate): string {
  return (/CN=([^\n,]+)/.exec(c.subject)?.[1] ?? 'certificate').slice(0, 80);
}

export class FrejaTrust {
  private readonly signers = new Map<string, X509Certificate>();
  private readonly anchors: X509Certificate[];
  private readonly intermediates: X509Certificate[];

  /**
   * @param signingCerts the JWS signing certificates (any CA certificates among them are ignored)
   * @param caCerts the issuing CAs and roots they chain to; the self-signed ones are the roots
   */
  constructor(signingCerts: readonly X509Certificate[], caCerts: readonly X509Certificate[]) {
    for (const c of signingCerts) if (!c.ca) this.signers.set(thumbprint(c), c);
    this.anchors = caCerts.filter(isSelfSigned);
    this.intermediates = caCerts.filter((c) => c.ca && !isSelfSigned(c));
  }

  static fromPem(signingPems: readonly string[], caPems: readonly string[]): FrejaTrust {
    return new FrejaTrust(certificatesFromPem(...signingPems), certificatesFromPem(...caPems));
  }

  /** A trust store with further certificates (e.g. the sandbox's). */
  concat(other: FrejaTrust): FrejaTrust {
    return new FrejaTrust([...this.signers.values(), ...other.signers.values()], [...this.anchors, ...this.intermediates, ...other.anchors, ...other.intermediates]);
  }

  get signerCount(): number {
    return this.signers.size;
  }

  get thumbprints(): string[] {
    return [...this.signers.keys()];
  }

  /**
   * The signing certificate named by `x5t`, once it and its chain to a root are valid at `at`.
   * Throws FrejaError `jws_invalid` naming the failed check.
   */
  signer(x5t: string, at: Date): TrustedSigner {
    const certificate = this.signers.get(x5t);
    if (!certificate) throw jwsInvalid(`signer: no configured signing certificate has x5t ${x5t.slice(0, 43)}`);
    if (!validAt(certificate, at)) throw jwsInvalid(`certificate: ${describe(certificate)} is not valid at ${at.toISOString()} (valid ${certificate.validFrom} to ${certificate.validTo})`);
    const details = certificate.publicKey.asymmetricKeyDetails;
    if (certificate.publicKey.asymmetricKeyType !== 'rsa' || (details?.modulusLength ?? 0) < MIN_RSA_BITS) {
      throw jwsInvalid(`certificate: ${describe(certificate)} does not hold an RSA key of at least ${MIN_RSA_BITS} bits`);
    }
    this.verifyChain(certificate, at);
    return { x5t, certificate };
  }

  private verifyChain(leaf: X509Certificate, at: Date): void {
    let current = leaf;
    for (let depth = 0; depth < MAX_CHAIN; depth += 1) {
      const anchor = this.anchors.find((a) => current.checkIssued(a) && current.verify(a.publicKey));
      if (anchor) {
        if (!validAt(anchor, at)) throw jwsInvalid(`chain: root ${describe(anchor)} is not valid at ${at.toISOString()}`);
        return;
      }
      const issuer = this.intermediates.find((i) => i !== current && current.checkIssued(i) && current.verify(i.publicKey));
      if (!issuer) throw jwsInvalid(`chain: no configured CA issued ${describe(current)}`);
      if (!validAt(issuer, at)) throw jwsInvalid(`chain: ${describe(issuer)} is not valid at ${at.toISOString()}`);
      current = issuer;
    }
    throw jwsInvalid('chain: longer than allowed');
  }
}
