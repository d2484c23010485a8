/**
 * The SignedData outline read from the BER bytes must cut the recorded signatures exactly where
 * asn1js does, and give up (so that the whole blob is decoded and the error named) on anything
 * that is not plainly a SignedData.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { describe, expect, it } from 'vitest';

import { outlineSignedData } from '../../../src/mobileid/ber.js';
import { fixtureCms } from './helpers.js';

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

describe('outlineSignedData', () => {
  it.each([
    'postman-2024-ec-rubin4-sign.b64',
    'postman-2024-ec-rubin4-status.b64',
    'adfs-2015-test-rubin2-signature_500_subscriberinfo.b64',
    'adfs-2015-test-rubin2-signature_500_nosubscriberinfo.b64',
  ])('cuts %s (BER, indefinite lengths) exactly where asn1js does', (name) => {
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
});
