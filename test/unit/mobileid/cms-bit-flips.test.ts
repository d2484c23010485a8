/**
 * Single-bit changes of the recorded Mobile ID signatures: every changed copy is refused with a
 * MobileIdError `signature_invalid`, never accepted and never a plain Error.
 *
 * Each chosen byte is flipped twice, at its lowest bit (0x01: another tag number, length, value)
 * and at its highest (0x80: another tag class, a long length form, a negative number).
 * - The two old TEST signatures (about 2 KB, DER) are flipped at every byte.
 * - The two 2024 signatures (about 7 KB) are flipped at every byte outside their certificates and,
 *   inside the three certificates, at every tag and length byte, every byte of the signature and
 *   key algorithm identifiers, the first contents byte of every primitive (a BIT STRING's unused
 *   bits, an INTEGER's sign) and every STRIDE-th byte of the rest. Most changes inside a
 *   certificate end in a full chain validation (RSA 4096 and 8192 signatures): at every byte the
 *   2024 signature takes one to two minutes; run that way it refused all 13,824 copies.
 */
import { describe, expect, it } from 'vitest';

import { AccountStore } from '../../../src/simulators/mobileid/accounts.js';
import { buildSignedData } from '../../../src/simulators/mobileid/cms.js';
import { loadOrCreatePki } from '../../../src/simulators/mobileid/pki.js';
import { CertificateStore } from '../../../src/mobileid/certificates.js';
import { verifyCmsSignature, type VerifyCmsOptions } from '../../../src/mobileid/cms.js';
import { MobileIdError } from '../../../src/mobileid/errors.js';
import { fixtureCms, fixtureText } from './helpers.js';

const STRIDE = 32;
const MASKS = [0x01, 0x80] as const;

/** One element of a (known good) encoding: where it starts, where its contents start, where it ends. */
interface Element {
  start: number;
  contentStart: number;
  end: number;
  constructed: boolean;
  children: Element[];
}

function parse(b: Uint8Array, offset: number): Element {
  const constructed = (b[offset]! & 0x20) !== 0;
  let p = offset + 1;
  const lengthByte = b[p++]!;
  const children: Element[] = [];
  if (lengthByte === 0x80) {
    const contentStart = p;
    while (!(b[p] === 0 && b[p + 1] === 0)) {
      const child = parse(b, p);
      children.push(child);
      p = child.end;
    }
    return { start: offset, contentStart, end: p + 2, constructed, children };
  }
  let length = lengthByte;
  if (lengthByte > 0x80) {
    length = 0;
    for (let i = 0; i < (lengthByte & 0x7f); i++) length = length * 256 + b[p++]!;
  }
  const end = p + length;
  if (constructed) for (let q = p; q < end; q = children[children.length - 1]!.end) children.push(parse(b, q));
  return { start: offset, contentStart: p, end, constructed, children };
}

const descendants = (e: Element): Element[] => [e, ...e.children.flatMap(descendants)];
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/** ContentInfo → [0] → SignedData → [0] certificates → each Certificate. */
function certificatesOf(der: Uint8Array): Element[] {
  const signedData = parse(der, 0).children[1]!.children[0]!;
  const set = signedData.children.find((f) => der[f.start] === 0xa0);
  return set?.children ?? [];
}

/** The parts of a certificate: tbsCertificate, its fields, signatureAlgorithm, signatureValue. */
function certificateParts(der: Uint8Array, cert: Element) {
  const [tbs, algorithm, signature] = cert.children as [Element, Element, Element];
  const fields = tbs.children;
  const [, innerAlgorithm, , , , publicKeyInfo] = der[fields[0]!.start] === 0xa0 ? fields.slice(1) : fields;
  return { tbs, algorithm, signature, innerAlgorithm: innerAlgorithm!, keyAlgorithm: publicKeyInfo!.children[0]! };
}

/** The bytes flipped in a 2024 signature (see the top of this file). */
function chosenOffsets(der: Uint8Array): number[] {
  const chosen = new Set<number>();
  const certificates = certificatesOf(der);
  for (let i = 0; i < der.length; i++) if (!certificates.some((c) => i >= c.start && i < c.end)) chosen.add(i);
  for (const cert of certificates) {
    const { algorithm, innerAlgorithm, keyAlgorithm } = certificateParts(der, cert);
    for (const e of [algorithm, innerAlgorithm, keyAlgorithm]) range(e.start, e.end).forEach((i) => chosen.add(i));
    for (const e of descendants(cert)) {
      range(e.start, e.contentStart).forEach((i) => chosen.add(i));
      if (!e.constructed && e.end > e.contentStart) chosen.add(e.contentStart);
    }
    for (let i = cert.start; i < cert.end; i += STRIDE) chosen.add(i);
  }
  return [...chosen].sort((a, b) => a - b);
}

interface Outcome {
  accepted: string[];
  /** Anything else than a MobileIdError `signature_invalid`. */
  foreign: string[];
  /** Offsets whose copies were refused with exactly this detail. */
  byDetail: Map<string, Set<number>>;
}

async function flipAll(der: Uint8Array, offsets: readonly number[], options: VerifyCmsOptions): Promise<Outcome> {
  const outcome: Outcome = { accepted: [], foreign: [], byDetail: new Map() };
  for (const offset of offsets) {
    for (const mask of MASKS) {
      const copy = Buffer.from(der);
      copy[offset] = copy[offset]! ^ mask;
      try {
        await verifyCmsSignature(copy.toString('base64'), options);
        outcome.accepted.push(`${offset}^${mask}`);
      } catch (e) {
        if (!(e instanceof MobileIdError) || e.code !== 'signature_invalid' || e.status !== 502) {
          outcome.foreign.push(`${offset}^${mask}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
          continue;
        }
        const detail = e.detail ?? '';
        outcome.byDetail.set(detail, (outcome.byDetail.get(detail) ?? new Set()).add(offset));
      }
    }
  }
  return outcome;
}

const bytes = (name: string) => new Uint8Array(Buffer.from(fixtureCms(name), 'base64'));

describe('single-bit changes of the 2024 signatures (EC P-256 under Swisscom Root CA 4)', () => {
  const options: VerifyCmsOptions = {
    expectedDtbd: 'Test: Sign in from Postman?',
    trustAnchors: CertificateStore.fromPem(fixtureText('certs/Swisscom_Root_CA_4.pem')),
    now: new Date('2024-07-02T08:05:00Z'),
  };

  it.each(['postman-2024-ec-rubin4-sign.b64', 'postman-2024-ec-rubin4-status.b64'])(
    '%s: every changed copy is refused',
    async (name) => {
      const der = bytes(name);
      await expect(verifyCmsSignature(Buffer.from(der).toString('base64'), options)).resolves.toMatchObject({ mobileIdSerial: 'MIDCHEO16P1O6E92' });
      const offsets = chosenOffsets(der);
      const certificates = certificatesOf(der);
      expect(certificates).toHaveLength(3);
      // Everything outside the certificates, and a good part inside.
      expect(offsets.length).toBeGreaterThan(1500);
      const { accepted, foreign, byDetail } = await flipAll(der, offsets, options);
      expect(foreign).toEqual([]);
      expect(accepted).toEqual([]);
      // A changed embedded root, which the path to the configured anchor does not use, is refused.
      const root = certificates[2]!;
      const rootRefusals = [...byDetail].filter(([detail, at]) => /^chain: certificate #3 of the CMS/.test(detail) && [...at].some((i) => i >= root.start));
      expect(rootRefusals.length).toBeGreaterThan(0);
    },
    240_000,
  );
});

describe('single-bit changes of the 2015 TEST signatures (RSA, SHA-1, TEST CA not public)', () => {
  const cases = [
    ['adfs-2015-test-rubin2-signature_500_subscriberinfo.b64', 'hi code'],
    ['adfs-2015-test-rubin2-signature_500_nosubscriberinfo.b64', 'hello world!'],
  ] as const;

  it.each(cases)(
    '%s: every changed copy is refused, and only changes the TEST CA signed get as far as the chain',
    async (name, dtbd) => {
      const options: VerifyCmsOptions = { expectedDtbd: dtbd, now: new Date('2016-06-01T00:00:00Z'), allowSha1: true };
      const der = bytes(name);
      // Without the TEST CA the chain cannot be built: the untouched signature fails there.
      const control = await verifyCmsSignature(Buffer.from(der).toString('base64'), options).then(
        () => 'accepted',
        (e: unknown) => (e instanceof MobileIdError ? (e.detail ?? '') : String(e)),
      );
      expect(control).toMatch(/^chain:/);
      const { accepted, foreign, byDetail } = await flipAll(der, range(0, der.length), options);
      expect(foreign).toEqual([]);
      expect(accepted).toEqual([]);
      // A copy refused exactly like the original passed every other check: its change must lie
      // where the CA's signature would catch it, in the signer certificate's tbsCertificate or
      // signature value (past the unused-bits byte).
      const [cert] = certificatesOf(der);
      const { tbs, signature } = certificateParts(der, cert!);
      const signed = (i: number) => (i >= tbs.start && i < tbs.end) || (i > signature.contentStart && i < signature.end);
      expect([...(byDetail.get(control) ?? [])].filter((i) => !signed(i))).toEqual([]);
    },
    120_000,
  );
});

describe('signatures of the simulator', () => {
  const now = () => new Date();
  let sandbox: Promise<{ pki: Awaited<ReturnType<typeof loadOrCreatePki>>; accounts: AccountStore }> | undefined;
  const getSandbox = () =>
    (sandbox ??= (async () => {
      const pki = await loadOrCreatePki({ dir: undefined, now });
      return { pki, accounts: await AccountStore.open(pki, undefined, now) };
    })());

  it.each([
    ['EC', '41700092501'],
    ['RSA', '41700092502'],
  ])('still verify (%s)', async (_kind, msisdn) => {
    const { pki, accounts } = await getSandbox();
    const account = await accounts.getOrCreate(msisdn);
    const dtbd = 'ServiceCore: Log in to Tax portal? (K7QX3M)';
    const cms = buildSignedData({ content: dtbd, signerKey: account.privateKey, algorithm: account.algorithm, certificates: [account.certDer, pki.issuing.certDer, pki.root.certDer] });
    const result = await verifyCmsSignature(Buffer.from(cms).toString('base64'), { expectedDtbd: dtbd, trustAnchors: CertificateStore.fromPem(pki.rootCaPem) });
    expect(result.content).toBe(dtbd);
    expect(result.chain).toHaveLength(3);
  });
});
