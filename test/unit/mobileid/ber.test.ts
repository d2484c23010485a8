/**
 * The SignedData outline read from the BER bytes must cut the recorded signatures exactly where
 * asn1js does, and give up (so that the whole blob is decoded and the error named) on anything
 * that is not plainly a SignedData.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { describe, expect, it } from 'vitest';

import { berProblem, certificateProblem, derProblem, ecdsaSignatureProblem, oidString, outlineSignedData } from '../../../src/mobileid/ber.js';
import { fixtureCms, issue, signCms } from './helpers.js';

const bytes = (name: string) => new Uint8Array(Buffer.from(fixtureCms(name), 'base64'));
const hex = (b: ArrayBuffer | Uint8Array) => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');

/** What asn1js makes of the same bytes: the SignedData's fields and its certificates, as encoded. */
function decoded(der: Uint8Array<ArrayBuffer>) {
  const info = pkijs.ContentInfo.fromBER(der);
  const body = info.content as asn1js.Sequence;
  const isSet = (b: asn1js.AsnType) => b.idBlock.tagClass === 3 && b.idBlock.tagNumber === 0;
  const set = body.valueBlock.value.find(isSet) as asn1js.Constructed | undefined;
  return {
    fields: body.valueBlock.value.filter((b) => !isSet(b)).map((b) => hex(b.valueBeforeDecodeView)),
    certificates: (set?.valueBlock.value ?? []).map((b) => hex(b.valueBeforeDecodeView)),
  };
}

/** The recorded Swisscom signatures (BER, indefinite lengths). */
const RECORDED = [
  'postman-2024-ec-rubin4-sign.b64',
  'postman-2024-ec-rubin4-status.b64',
  'adfs-2015-test-rubin2-signature_500_subscriberinfo.b64',
  'adfs-2015-test-rubin2-signature_500_nosubscriberinfo.b64',
];

describe('outlineSignedData', () => {
  it.each(RECORDED)('cuts %s (BER, indefinite lengths) exactly where asn1js does', (name) => {
    const der = bytes(name);
    const outline = outlineSignedData(der);
    expect(outline).toBeDefined();
    const expected = decoded(der);
    expect(outline!.certificates.map(hex)).toEqual(expected.certificates);
    expect(outline!.fields.map(hex)).toEqual(expected.fields);
    expect(outline!.certificates.length).toBeGreaterThan(0);
  });

  it('gives up on truncated bytes, trailing bytes, another content type and garbage', () => {
    const der = bytes('postman-2024-ec-rubin4-sign.b64');
    for (let cut = 1; cut < der.length; cut += 97) expect(outlineSignedData(der.subarray(0, cut))).toBeUndefined();
    expect(outlineSignedData(new Uint8Array([...der, 0]))).toBeUndefined();
    const data = new asn1js.Sequence({
      value: [new asn1js.ObjectIdentifier({ value: '1.2.840.113549.1.7.1' }), new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [new asn1js.OctetString()] })],
    });
    expect(outlineSignedData(new Uint8Array(data.toBER()))).toBeUndefined();
    expect(outlineSignedData(new Uint8Array(Buffer.from('Lorem ipsum dolor sit amet')))).toBeUndefined();
    expect(outlineSignedData(new Uint8Array([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]))).toBeUndefined();
    expect(outlineSignedData(new Uint8Array([0x30, 0x80, 0x30, 0x80]))).toBeUndefined();
  });

  /** What pkijs reads from the whole blob, in the terms of the plain outline. */
  function readByPkijs(der: Uint8Array<ArrayBuffer>) {
    const sd = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(der).content });
    const algorithm = (a: pkijs.AlgorithmIdentifier) => ({
      oid: a.algorithmId,
      parameters: a.algorithmParams && !(a.algorithmParams instanceof asn1js.Null) ? hex(a.algorithmParams.toBER(false)) : undefined,
    });
    const content = sd.encapContentInfo.eContent;
    return {
      version: sd.version,
      digestAlgorithms: sd.digestAlgorithms.map(algorithm),
      contentType: sd.encapContentInfo.eContentType,
      content: content ? hex(content.getValue()) : undefined,
      signers: sd.signerInfos.map((si) => {
        const sid = si.sid as pkijs.IssuerAndSerialNumber;
        return {
          version: si.version,
          issuer: hex(sid.issuer.valueBeforeDecode),
          serialNumber: hex(sid.serialNumber.valueBlock.valueHexView),
          digestAlgorithm: algorithm(si.digestAlgorithm),
          signedAttributes: si.signedAttrs ? hex(si.signedAttrs.encodedValue) : undefined,
          signatureAlgorithm: algorithm(si.signatureAlgorithm),
          signature: hex(si.signature.valueBlock.valueHexView),
        };
      }),
    };
  }

  const asRead = (der: Uint8Array<ArrayBuffer>) => {
    const plain = outlineSignedData(der)?.plain;
    if (!plain) return undefined;
    const algorithm = (a: { oid: string; parameters: Uint8Array | undefined }) => ({ oid: a.oid, parameters: a.parameters && hex(a.parameters) });
    return {
      ...plain,
      digestAlgorithms: plain.digestAlgorithms.map(algorithm),
      content: plain.content && hex(plain.content),
      signers: plain.signers.map((s) => ({
        ...s,
        issuer: hex(s.issuer),
        serialNumber: hex(s.serialNumber),
        digestAlgorithm: algorithm(s.digestAlgorithm),
        signedAttributes: s.signedAttributes && hex(s.signedAttributes),
        signatureAlgorithm: algorithm(s.signatureAlgorithm),
        signature: hex(s.signature),
      })),
    };
  };

  it.each(RECORDED)('reads the content and the signer of %s as pkijs does', (name) => {
    const der = bytes(name);
    expect(asRead(der)).toEqual(readByPkijs(der));
  });

  it('reads a signature with a constructed content (BER segments) and RSASSA-PSS parameters as pkijs does', async () => {
    const root = await issue({ commonName: 'Outline Root', keyKind: 'rsa-pss', ca: true });
    const user = await issue({ commonName: 'MIDCHE0UTL1NE00', serialNumberAttr: 'MIDCHE0UTL1NE00', keyKind: 'rsa-pss', issuer: root, ca: false });
    const der = new Uint8Array(Buffer.from(await signCms({ content: 'ServiceCore: Log in? (AB12)', signer: user, certificates: [user.cert, root.cert] }), 'base64'));
    expect(asRead(der)?.signers[0]?.signatureAlgorithm.parameters).toBeDefined();
    expect(asRead(der)).toEqual(readByPkijs(der));
    // The same content in two segments of a constructed OCTET STRING.
    const info = pkijs.ContentInfo.fromBER(der);
    const sd = new pkijs.SignedData({ schema: info.content });
    const text = new TextEncoder().encode('ServiceCore: Log in? (AB12)');
    sd.encapContentInfo.eContent = new asn1js.OctetString({
      idBlock: { isConstructed: true },
      value: [new asn1js.OctetString({ valueHex: text.slice(0, 5) }), new asn1js.OctetString({ valueHex: text.slice(5) })],
    } as ConstructorParameters<typeof asn1js.OctetString>[0]);
    const segmented = new Uint8Array(new pkijs.ContentInfo({ contentType: pkijs.ContentInfo.SIGNED_DATA, content: sd.toSchema(true) }).toSchema().toBER(false));
    expect(asRead(segmented)?.content).toBe(hex(text));
  });

  it('leaves the fields to pkijs when a signer is named otherwise, or a field is not as expected', () => {
    const der = bytes('postman-2024-ec-rubin4-sign.b64');
    const sd = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(der).content });
    const encode = (value: pkijs.SignedData) => new Uint8Array(new pkijs.ContentInfo({ contentType: pkijs.ContentInfo.SIGNED_DATA, content: value.toSchema(true) }).toSchema().toBER(false));
    // A subject key identifier instead of the issuer and serial number.
    const bySki = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(der).content });
    bySki.signerInfos[0]!.sid = new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 }, valueHex: new Uint8Array(20) });
    expect(outlineSignedData(encode(bySki))?.plain).toBeUndefined();
    // A detached signature has no content, and is still read plainly (the verification refuses it).
    sd.encapContentInfo = new pkijs.EncapsulatedContentInfo({ eContentType: '1.2.840.113549.1.7.1' });
    expect(outlineSignedData(encode(sd))?.plain?.content).toBeUndefined();
    expect(outlineSignedData(encode(sd))?.plain?.signers).toHaveLength(1);
  });

  it('reads object identifiers and refuses malformed ones', () => {
    const oid = (dotted: string) => new asn1js.ObjectIdentifier({ value: dotted }).valueBlock.toBER(false);
    for (const dotted of ['1.2.840.113549.1.7.2', '2.16.840.1.101.3.4.2.1', '1.3.14.3.2.26', '2.999.1', '0.9.2342.19200300.100.1.1']) {
      expect(oidString(new Uint8Array(oid(dotted)))).toBe(dotted);
    }
    expect(oidString(new Uint8Array([]))).toBeUndefined();
    expect(oidString(new Uint8Array([0x2a, 0x86]))).toBeUndefined();
    expect(oidString(new Uint8Array([0x2a, 0x80, 0x01]))).toBeUndefined();
  });
});

describe('berProblem, derProblem', () => {
  const of = (...b: number[]) => new Uint8Array(b);

  it.each(RECORDED)('find nothing wrong with %s, and derProblem nothing with its certificates', (name) => {
    const der = bytes(name);
    expect(berProblem(der)).toBeUndefined();
    const certificates = outlineSignedData(der)!.certificates;
    expect(certificates.length).toBeGreaterThan(0);
    for (const cert of certificates) {
      expect(derProblem(cert)).toBeUndefined();
      expect(certificateProblem(cert)).toBeUndefined();
    }
  });

  it('accept BER indefinite lengths and constructed strings; derProblem does not', () => {
    const indefinite = of(0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00);
    const segmented = of(0x24, 0x06, 0x04, 0x01, 0x61, 0x04, 0x01, 0x62);
    expect(berProblem(indefinite)).toBeUndefined();
    expect(berProblem(segmented)).toBeUndefined();
    expect(derProblem(indefinite)).toMatch(/^indefinite length/);
    expect(derProblem(segmented)).toMatch(/^constructed encoding of a primitive type/);
    expect(berProblem(of(0x01, 0x01, 0x01))).toBeUndefined();
    expect(derProblem(of(0x01, 0x01, 0x01))).toMatch(/^malformed BOOLEAN/);
  });

  it.each([
    ['nothing', of(), /^element cut short/],
    ['bytes after the end', of(0x05, 0x00, 0x00), /^1 bytes after the end \(byte 2\)/],
    ['a length beyond the enclosing element', of(0x30, 0x03, 0x02, 0x02, 0x01), /^length beyond the enclosing element \(byte 2\)/],
    ['a length not in its shortest form', of(0x30, 0x81, 0x03, 0x02, 0x01, 0x01), /^length not in its shortest form/],
    ['a length with a leading zero', of(0x04, 0x82, 0x00, 0x01, 0x61), /^length not in its shortest form/],
    ['a length of five octets', of(0x04, 0x85, 0, 0, 0, 0, 1, 0x61), /^length of more than four octets/],
    ['an indefinite length on a primitive', of(0x04, 0x80, 0x61, 0x00, 0x00), /^indefinite length/],
    ['an indefinite length without end-of-contents', of(0x30, 0x80, 0x05, 0x00), /^no end-of-contents/],
    ['end-of-contents in a definite length', of(0x30, 0x02, 0x00, 0x00), /^end-of-contents out of place \(byte 2\)/],
    ['end-of-contents with a length', of(0x30, 0x80, 0x00, 0x01, 0x00, 0x00, 0x00), /^end-of-contents out of place/],
    ['a high tag number', of(0x1f, 0x81, 0x00, 0x00), /^high tag number/],
    ['a primitive SEQUENCE', of(0x10, 0x00), /^primitive SEQUENCE or SET/],
    ['a constructed INTEGER', of(0x22, 0x03, 0x02, 0x01, 0x01), /^constructed encoding of a primitive type/],
    ['an INTEGER with a needless leading zero', of(0x02, 0x02, 0x00, 0x01), /^INTEGER not in its shortest form/],
    ['an INTEGER with a needless leading FF', of(0x02, 0x02, 0xff, 0x80), /^INTEGER not in its shortest form/],
    ['an empty INTEGER', of(0x02, 0x00), /^INTEGER not in its shortest form/],
    ['a NULL with contents', of(0x05, 0x01, 0x00), /^NULL with contents/],
    ['an OBJECT IDENTIFIER cut in a subidentifier', of(0x06, 0x02, 0x2a, 0x86), /^malformed OBJECT IDENTIFIER/],
    ['an OBJECT IDENTIFIER with a padded subidentifier', of(0x06, 0x03, 0x2a, 0x80, 0x01), /^malformed OBJECT IDENTIFIER/],
    ['a BIT STRING with eight unused bits', of(0x03, 0x02, 0x08, 0x00), /^malformed BIT STRING/],
    ['an empty BIT STRING with unused bits', of(0x03, 0x01, 0x01), /^malformed BIT STRING/],
  ])('refuse %s', (_what, encoding, problem) => {
    expect(berProblem(encoding)).toMatch(problem);
  });

  it('refuse nesting deeper than a signature needs', () => {
    let nested = of(0x05, 0x00);
    for (let i = 0; i < 40; i++) nested = of(0x30, 0x80, ...nested, 0x00, 0x00);
    expect(berProblem(nested)).toMatch(/^nested too deeply/);
  });
});

describe('certificateProblem, ecdsaSignatureProblem', () => {
  const der = bytes('postman-2024-ec-rubin4-sign.b64');
  const [user] = outlineSignedData(der)!.certificates;

  it('refuses an outer signatureAlgorithm other than the one inside tbsCertificate, and unused bits', () => {
    const cert = new Uint8Array(user!);
    // MGF1's hash in the outer RSASSA-PSS parameters (the certificate starts at byte 83 of the CMS).
    const changed = cert.slice();
    changed[950 - 83] = changed[950 - 83]! ^ 0x01;
    expect(certificateProblem(changed)).toMatch(/^signatureAlgorithm is not the signature algorithm of tbsCertificate/);
    const unused = cert.slice();
    unused[962 - 83] = 0x01;
    expect(certificateProblem(unused)).toBe('the signature has unused bits');
    const keyBits = cert.slice();
    keyBits[444 + 2 - 83] = 0x01;
    expect(certificateProblem(keyBits)).toBe('the public key is not a BIT STRING without unused bits');
    expect(certificateProblem(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]))).toMatch(/^not a SEQUENCE of tbsCertificate/);
  });

  it('reads the ECDSA-Sig-Value of the real signature, and refuses a negative or trailing one', () => {
    const signature = outlineSignedData(der)!.plain!.signers[0]!.signature;
    expect(ecdsaSignatureProblem(signature)).toBeUndefined();
    const negative = signature.slice();
    expect(negative[4]).toBe(0x00);
    negative[4] = 0x80;
    expect(ecdsaSignatureProblem(negative)).toBe('r or s is negative');
    expect(ecdsaSignatureProblem(new Uint8Array([...signature, 0x00]))).toMatch(/bytes after the end/);
    expect(ecdsaSignatureProblem(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]))).toBe('not a SEQUENCE of two INTEGERs');
  });
});
