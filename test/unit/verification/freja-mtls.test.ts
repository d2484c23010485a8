/**
 * Mutual TLS to Freja eID: the client presents the relying party certificate (PEM pair or the
 * PKCS#12 keystore Freja issues), checks the server against the configured CA, and a server that
 * does not get a client certificate refuses the connection (reported as an outage, not a crash).
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { webcrypto } from 'node:crypto';
import type { TLSSocket } from 'node:tls';

import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FrejaClient } from '../../../src/verification/freja/index.js';

const engine = new pkijs.CryptoEngine({ name: 'mtls-test', crypto: webcrypto as unknown as Crypto });

const pem = (label: string, der: ArrayBuffer) => `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64').replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;

/** A self-signed certificate for 127.0.0.1, usable by a server and a client. */
async function selfSigned(cn: string): Promise<{ cert: string; key: string }> {
  const keys = (await webcrypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ value: Date.now() % 1_000_000 });
  const name = new pkijs.AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1js.Utf8String({ value: cn }) });
  cert.issuer.typesAndValues.push(name);
  cert.subject.typesAndValues.push(name);
  cert.notBefore.value = new Date(Date.now() - 60_000);
  cert.notAfter.value = new Date(Date.now() + 86_400_000);
  const san = new pkijs.GeneralNames({ names: [new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: Uint8Array.of(127, 0, 0, 1).buffer }) })] });
  cert.extensions = [
    new pkijs.Extension({ extnID: '2.5.29.17', extnValue: san.toSchema().toBER(false) }),
    new pkijs.Extension({ extnID: '2.5.29.19', critical: true, extnValue: new pkijs.BasicConstraints({ cA: true }).toSchema().toBER(false) }),
  ];
  await cert.subjectPublicKeyInfo.importKey(keys.publicKey, engine);
  await cert.sign(keys.privateKey, 'SHA-256', engine);
  return { cert: pem('CERTIFICATE', cert.toSchema(true).toBER(false)), key: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
}

let server: https.Server;
let url: string;
let serverId: { cert: string; key: string };
let clientId: { cert: string; key: string };
const seen: string[] = [];

beforeAll(async () => {
  [serverId, clientId] = await Promise.all([selfSigned('freja-test-server'), selfSigned('relying-party')]);
  server = https.createServer({ cert: serverId.cert, key: serverId.key, ca: [clientId.cert], requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    seen.push(String(peer.subject?.CN ?? ''));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ authRef: 'mtls-ok' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const INIT = { userInfoType: 'INFERRED' as const, userInfo: '', minRegistrationLevel: 'EXTENDED' as const, attributesToReturn: [] };

describe('mutual TLS to Freja eID', () => {
  it('presents the relying party certificate and trusts only the configured server CA', async () => {
    const client = new FrejaClient({ baseUrl: url, clientCertPem: clientId.cert, clientKeyPem: clientId.key, serverCaPem: serverId.cert, timeoutMs: 2000 });
    expect(await client.initAuthentication(INIT)).toEqual({ authRef: 'mtls-ok' });
    expect(seen).toContain('relying-party');
    await client.close();
  });

  it('is refused without a client certificate, and refuses a server it does not trust', async () => {
    const anonymous = new FrejaClient({ baseUrl: url, serverCaPem: serverId.cert, timeoutMs: 2000 });
    await expect(anonymous.initAuthentication(INIT)).rejects.toMatchObject({ code: 'unavailable', transient: true });
    await anonymous.close();
    const untrusting = new FrejaClient({ baseUrl: url, clientCertPem: clientId.cert, clientKeyPem: clientId.key, serverCaPem: clientId.cert, timeoutMs: 2000 });
    await expect(untrusting.initAuthentication(INIT)).rejects.toMatchObject({ code: 'unavailable', detail: expect.stringMatching(/TLS failure/) });
    await untrusting.close();
  });
});
