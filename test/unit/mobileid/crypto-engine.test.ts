import crypto from 'node:crypto';

import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { pkiCrypto } from '../../../src/mobileid/crypto-engine.js';

const subtle = globalThis.crypto.subtle;
const data = new TextEncoder().encode('ServiceCore: Log in? (K7Q2)');

interface Case {
  name: string;
  generate: RsaHashedKeyGenParams | EcKeyGenParams;
  sign: globalThis.AlgorithmIdentifier | RsaPssParams | EcdsaParams;
}

const cases: Case[] = [
  { name: 'ECDSA P-256 / SHA-256', generate: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } },
  { name: 'ECDSA P-384 / SHA-384', generate: { name: 'ECDSA', namedCurve: 'P-384' }, sign: { name: 'ECDSA', hash: { name: 'SHA-384' } } as EcdsaParams },
  {
    name: 'RSASSA-PKCS1-v1_5 / SHA-256',
    generate: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    sign: { name: 'RSASSA-PKCS1-v1_5' },
  },
  {
    name: 'RSA-PSS / SHA-256, salt 32',
    generate: { name: 'RSA-PSS', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    sign: { name: 'RSA-PSS', saltLength: 32 },
  },
];

const flip = (bytes: ArrayBuffer, at: number): Uint8Array<ArrayBuffer> => {
  const copy = new Uint8Array(bytes.slice(0));
  copy[at] = (copy[at] ?? 0) ^ 0x01;
  return copy;
};

describe('the pkijs crypto engine of Mobile ID', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.each(cases)('checks $name signatures as WebCrypto does', async ({ generate, sign }) => {
    const { publicKey, privateKey } = (await subtle.generateKey(generate, false, ['sign', 'verify'])) as CryptoKeyPair;
    const signature = await subtle.sign(sign, privateKey, data);
    const variants: [string, BufferSource, BufferSource][] = [
      ['valid', signature, data],
      ['changed signature', flip(signature, 5), data],
      ['changed data', signature, flip(data.buffer as ArrayBuffer, 3)],
      ['truncated signature', signature.slice(0, signature.byteLength - 1), data],
      ['empty signature', new Uint8Array(0), data],
    ];
    const expected = await Promise.all(variants.map(([, sig, signed]) => subtle.verify(sign, publicKey, sig, signed)));
    // Computed in place: no job for WebCrypto.
    const webCrypto = vi.spyOn(subtle, 'verify');
    for (const [i, [label, sig, signed]] of variants.entries()) {
      expect({ label, result: await pkiCrypto.verify(sign, publicKey, sig, signed) }).toEqual({ label, result: expected[i] });
    }
    expect(webCrypto).not.toHaveBeenCalled();
    expect(await pkiCrypto.verify(sign, publicKey, signature, data)).toBe(true);
  });

  it('refuses, as WebCrypto does, a key that does not fit the algorithm or may not verify', async () => {
    const rsa = (await subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true,
      ['sign', 'verify'],
    )) as CryptoKeyPair;
    const signature = await subtle.sign({ name: 'RSASSA-PKCS1-v1_5' }, rsa.privateKey, data);
    const webCrypto = vi.spyOn(subtle, 'verify');
    await expect(pkiCrypto.verify({ name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams, rsa.publicKey, signature, data)).rejects.toThrow();
    await expect(pkiCrypto.verify({ name: 'RSASSA-PKCS1-v1_5' }, rsa.privateKey, signature, data)).rejects.toThrow();
    const signOnly = await subtle.importKey('jwk', await subtle.exportKey('jwk', rsa.publicKey), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, []);
    await expect(pkiCrypto.verify({ name: 'RSASSA-PKCS1-v1_5' }, signOnly, signature, data)).rejects.toThrow();
    expect(webCrypto).toHaveBeenCalledTimes(3);
  });

  it('computes digests as WebCrypto does, by name or algorithm object', async () => {
    const webCrypto = vi.spyOn(subtle, 'digest');
    for (const name of ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512']) {
      const expected = Buffer.from(await subtle.digest(name, data));
      expect(Buffer.from(await pkiCrypto.digest(name, data))).toEqual(expected);
      expect(Buffer.from(await pkiCrypto.digest({ name }, data.subarray(0)))).toEqual(expected);
    }
    expect(webCrypto).toHaveBeenCalledTimes(4); // the expected values only
  });

  it('imports the key of a certificate once and checks signatures with it', async () => {
    const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const info = new pkijs.PublicKeyInfo({ schema: asn1js.fromBER(new Uint8Array(spki)).result });
    const algorithm = new pkijs.AlgorithmIdentifier({ algorithmId: '1.2.840.10045.4.3.2' }); // ecdsa-with-SHA256
    const first = await pkiCrypto.getPublicKey(info, algorithm);
    expect(await pkiCrypto.getPublicKey(info, algorithm)).toBe(first);
    const signature = new asn1js.BitString({ valueHex: crypto.sign('sha256', data, privateKey) });
    expect(await pkiCrypto.verifyWithPublicKey(data, signature, info, algorithm)).toBe(true);
    expect(await pkiCrypto.verifyWithPublicKey(flip(data.buffer as ArrayBuffer, 0), signature, info, algorithm)).toBe(false);
    // Another certificate with the same key bytes is another parsed key: imported for itself.
    const other = new pkijs.PublicKeyInfo({ schema: asn1js.fromBER(new Uint8Array(spki)).result });
    expect(await pkiCrypto.getPublicKey(other, algorithm)).not.toBe(first);
  });
});
