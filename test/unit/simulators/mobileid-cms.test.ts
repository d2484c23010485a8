import { readFileSync } from 'node:fs';

import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';

import { AccountStore } from '../../../src/simulators/mobileid/accounts.js';
import { buildSignedData } from '../../../src/simulators/mobileid/cms.js';
import { loadOrCreatePki, type SandboxPki } from '../../../src/simulators/mobileid/pki.js';
import { opensslCmsOutline, opensslVerify, VECTORS } from './mobileid-helpers.js';

pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto: globalThis.crypto }));

const now = () => new Date();
const REAL_EC_CMS = new Uint8Array(readFileSync(`${VECTORS}/cms/postman-2024-ec-rubin4-sign.der`));

describe('Mobile ID simulator CMS', () => {
  let pki: SandboxPki;
  let accounts: AccountStore;

  beforeAll(async () => {
    pki = await loadOrCreatePki({ dir: undefined, now });
    accounts = await AccountStore.open(pki, undefined, now);
  });

  async function sign(msisdn: string, content: string): Promise<Uint8Array> {
    const account = await accounts.getOrCreate(msisdn);
    return buildSignedData({
      content,
      signerKey: account.privateKey,
      algorithm: account.algorithm,
      certificates: [account.certDer, pki.issuing.certDer, pki.root.certDer],
    });
  }

  it.each([
    ['EC', '41700092501'],
    ['RSA', '41700092502'],
  ])('verifies with openssl against the sandbox root (%s), signed content = DTBD in UTF-8', async (_alg, msisdn) => {
    const dtbd = 'ServiceCore: Anmeldung bestätigen? Grüezi ç (TXN-42)';
    const result = opensslVerify(await sign(msisdn, dtbd), pki.rootCaPem);
    expect(result.stderr).toContain('Verification successful');
    expect(result.ok).toBe(true);
    expect(result.content).toBe(dtbd);
  });

  it('does not verify against the real Swisscom root', async () => {
    const swisscomRoot = readFileSync(`${VECTORS}/certs/Swisscom_Root_CA_4.pem`, 'utf8');
    expect(opensslVerify(await sign('41700092501', 'x'), swisscomRoot).ok).toBe(false);
  });

  it('has the structure of the real EC signature (BER indefinite, attributes, algorithms, chain)', async () => {
    const ours = await sign('41700092501', 'Test: Sign in from Postman?');
    // BER indefinite-length ContentInfo, like "MIAGCSqGSIb3DQEHAqCA..."
    expect(Buffer.from(ours.subarray(0, 15)).toString('base64')).toBe(Buffer.from(REAL_EC_CMS.subarray(0, 15)).toString('base64'));

    const real = opensslCmsOutline(REAL_EC_CMS);
    const outline = opensslCmsOutline(ours);
    expect(outline).toEqual(real);
    expect(outline).toContain('object: undefined (1.2.840.113549.1.9.25.3)');
    expect(outline).toContain('signatureAlgorithm:');
    expect(outline.join('\n')).not.toContain('signingTime');
    expect(outline.filter((l) => l === 'd.certificate:')).toHaveLength(3);
  });

  it('uses sha256WithRSAEncryption for RSA keys', async () => {
    const outline = opensslCmsOutline(await sign('41700092502', 'RSA please'));
    expect(outline).toContain('algorithm: sha256WithRSAEncryption (1.2.840.113549.1.1.11)');
  });

  it('verifies with PKI.js including the chain up to the sandbox root', async () => {
    const der = await sign('41700092501', 'PKI.js check');
    const contentInfo = pkijs.ContentInfo.fromBER(new Uint8Array(der));
    expect(contentInfo.contentType).toBe(pkijs.ContentInfo.SIGNED_DATA);
    const signedData = new pkijs.SignedData({ schema: contentInfo.content });
    const root = pkijs.Certificate.fromBER(new Uint8Array(pki.root.certDer));
    const result = await signedData.verify({ signer: 0, checkChain: true, trustedCerts: [root], extendedMode: true });
    expect(result.signatureVerified).toBe(true);
    const econtent = signedData.encapContentInfo.eContent;
    expect(econtent).toBeInstanceOf(asn1js.OctetString);
    expect(new TextDecoder().decode(econtent?.valueBlock.valueHexView)).toBe('PKI.js check');
  });
});
