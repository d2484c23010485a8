import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AccountStore } from '../../../src/simulators/mobileid/accounts.js';
import { loadOrCreatePki, type SandboxPki } from '../../../src/simulators/mobileid/pki.js';
import { opensslX509Text, VECTORS } from './mobileid-helpers.js';

const now = () => new Date();

describe('Mobile ID simulator PKI', () => {
  let pki: SandboxPki;
  let accounts: AccountStore;

  beforeAll(async () => {
    pki = await loadOrCreatePki({ dir: undefined, now });
    accounts = await AccountStore.open(pki, undefined, now);
  });

  it('has a self-signed RSA root that signs with RSASSA-PSS, like Swisscom Root CA 4', () => {
    const root = new X509Certificate(pki.rootCaPem);
    expect(root.subject).toContain('CN=ServiceCore Sandbox Mobile ID Root CA');
    expect(root.issuer).toBe(root.subject);
    expect(root.ca).toBe(true);
    expect(root.verify(root.publicKey)).toBe(true);
    expect(root.publicKey.asymmetricKeyDetails?.modulusLength).toBe(4096);
    const text = opensslX509Text(pki.root.certDer);
    expect(text).toMatch(/Signature Algorithm: rsassaPss/);
    expect(text).toMatch(/Salt Length: 0x20/);
    expect(text).toMatch(/Certificate Sign, CRL Sign/);
  });

  it('has an issuing CA under the root, CA:TRUE pathlen:0', () => {
    const root = new X509Certificate(pki.rootCaPem);
    const issuing = new X509Certificate(pki.issuingCaPem);
    expect(issuing.subject).toContain('CN=ServiceCore Sandbox Mobile ID Issuing CA');
    expect(issuing.checkIssued(root)).toBe(true);
    expect(issuing.verify(root.publicKey)).toBe(true);
    expect(opensslX509Text(pki.issuing.certDer)).toMatch(/CA:TRUE, pathlen:0/);
  });

  it('issues EC P-256 user certificates shaped like the real MIDCHE... certificates', async () => {
    const account = await accounts.getOrCreate('41700092501');
    expect(account.algorithm).toBe('EC');
    expect(account.serial).toMatch(/^MIDCHE[A-Z0-9]{10}$/);
    const cert = new X509Certificate(Buffer.from(account.certDer));
    expect(cert.subject).toBe(`serialNumber=${account.serial}\nCN=${account.serial}:PN`);
    expect(cert.checkIssued(new X509Certificate(pki.issuingCaPem))).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    const years = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / (365.25 * 86_400_000);
    expect(years).toBeGreaterThan(2.99);
    expect(years).toBeLessThan(3.01);

    const text = opensslX509Text(account.certDer);
    const real = opensslX509Text(new X509Certificate(readFileSync(`${VECTORS}/certs/user-MIDCHEO16P1O6E92-ec-rubin4.pem`)).raw);
    for (const line of [
      'Signature Algorithm: rsassaPss',
      'X509v3 Key Usage: critical',
      'Digital Signature',
      'TLS Web Client Authentication',
      'X509v3 Authority Key Identifier',
      'X509v3 Subject Key Identifier',
      'Authority Information Access',
      'X509v3 CRL Distribution Points',
      'Policy: 0.4.0.2042.1.3',
    ]) {
      expect(real).toContain(line);
      expect(text).toContain(line);
    }
  });

  it('issues RSA 2048 keys for the RSA test number', async () => {
    const account = await accounts.getOrCreate('41700092502');
    expect(account.algorithm).toBe('RSA');
    const cert = new X509Certificate(Buffer.from(account.certDer));
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it('activates a number once even when two requests arrive together', async () => {
    const [a, b] = await Promise.all([accounts.getOrCreate('41795550101'), accounts.getOrCreate('41795550101')]);
    expect(a.serial).toBe(b.serial);
  });

  it('re-activation makes a new key and a new serial', async () => {
    const before = await accounts.getOrCreate('41791234567');
    const after = await accounts.reactivate('41791234567');
    expect(after.serial).not.toBe(before.serial);
    expect(after.serial).toMatch(/^MIDCHE[A-Z0-9]{10}$/);
    const pub = (der: Uint8Array) => new X509Certificate(Buffer.from(der)).publicKey.export({ type: 'spki', format: 'pem' });
    expect(pub(after.certDer)).not.toEqual(pub(before.certDer));
    expect((await accounts.getOrCreate('41791234567')).serial).toBe(after.serial);
  });
});

describe('Mobile ID simulator PKI persistence', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mid-pki-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the CA and the accounts in the data directory and exports the root PEM', async () => {
    const first = await loadOrCreatePki({ dir, now });
    const store = await AccountStore.open(first, dir, now);
    const account = await store.getOrCreate('41790000001');

    expect(readFileSync(path.join(dir, 'root-ca.pem'), 'utf8')).toBe(first.rootCaPem);
    expect(existsSync(path.join(dir, 'ca.json'))).toBe(true);
    expect(statSync(path.join(dir, 'ca.json')).mode & 0o077).toBe(0);

    const second = await loadOrCreatePki({ dir, now });
    expect(second.rootCaPem).toBe(first.rootCaPem);
    expect(second.issuingCaPem).toBe(first.issuingCaPem);
    const reopened = await AccountStore.open(second, dir, now);
    expect(reopened.find('41790000001')?.serial).toBe(account.serial);

    const renewed = await reopened.reactivate('41790000001', { algorithm: 'RSA' });
    const third = await AccountStore.open(second, dir, now);
    expect(third.find('41790000001')?.serial).toBe(renewed.serial);
    expect(third.find('41790000001')?.algorithm).toBe('RSA');
  });
});
