/** Shared helpers of the Mobile ID simulator tests: request bodies, HTTP calls, openssl, vectors. */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The recorded Swisscom traffic, next to the repository (`../shared/vectors`). */
export const VECTORS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/vectors/swisscom-mobileid');
export const AP_ID = 'mid://sandbox.servicecore.test';
export const AP_PWD = 'sandbox-ap-password';

export const PROFILES = {
  any: 'http://mid.swisscom.ch/Any-LoA4',
  sim: 'http://mid.swisscom.ch/STK-LoA4',
  app: 'http://mid.swisscom.ch/Device-LoA4',
  authProfile1: 'http://mid.swisscom.ch/MID/v1/AuthProfile1',
} as const;

let counter = 0;
export function apInfo(overrides: Partial<{ AP_ID: string; AP_PWD: string; AP_TransID: string; Instant: string }> = {}) {
  counter += 1;
  return {
    AP_ID: AP_ID,
    AP_PWD: AP_PWD,
    Instant: new Date().toISOString(),
    AP_TransID: `TEST.${counter}.${randomBytes(4).toString('hex')}`,
    ...overrides,
  };
}

export interface SignOptions {
  msisdn: string;
  dtbd?: string;
  mode?: 'synch' | 'asynch';
  profile?: string;
  geofencing?: boolean;
  userLang?: string | null;
  timeout?: string;
  ap?: ReturnType<typeof apInfo>;
  extraServices?: unknown[];
}

export function signBody(o: SignOptions) {
  const services: unknown[] = [];
  if (o.geofencing) services.push({ Description: 'http://mid.swisscom.ch/as#geofencing' });
  if (o.userLang !== null) {
    services.push({ Description: 'http://mss.ficom.fi/TS102204/v1.0.0#userLang', UserLang: { Value: o.userLang ?? 'EN' } });
  }
  services.push(...(o.extraServices ?? []));
  return {
    MSS_SignatureReq: {
      MajorVersion: '1',
      MinorVersion: '2',
      AP_Info: o.ap ?? apInfo(),
      MSSP_Info: { MSSP_ID: { URI: 'http://mid.swisscom.ch/' } },
      MobileUser: { MSISDN: o.msisdn },
      MessagingMode: o.mode ?? 'asynch',
      DataToBeSigned: { MimeType: 'text/plain', Encoding: 'UTF-8', Data: o.dtbd ?? 'ServiceCore: Log in? (TXN-1)' },
      TimeOut: o.timeout ?? '80',
      SignatureProfile: o.profile ?? PROFILES.any,
      AdditionalServices: services,
    },
  };
}

export function statusBody(msspTransId: string, ap = apInfo()) {
  return {
    MSS_StatusReq: {
      MajorVersion: '1',
      MinorVersion: '1',
      AP_Info: ap,
      MSSP_Info: { MSSP_ID: { URI: 'http://mid.swisscom.ch/' } },
      MSSP_TransID: msspTransId,
    },
  };
}

export function receiptBody(msspTransId: string, msisdn: string, opts: { userAck?: boolean; message?: string } = {}) {
  return {
    MSS_ReceiptReq: {
      MajorVersion: '1',
      MinorVersion: '1',
      AP_Info: apInfo(),
      MSSP_Info: { MSSP_ID: { URI: 'http://mid.swisscom.ch/' } },
      MSSP_TransID: msspTransId,
      MobileUser: { MSISDN: msisdn },
      ...(opts.userAck && {
        Status: {
          StatusCode: { Value: '100' },
          StatusDetail: {
            ReceiptRequestExtension: {
              ReceiptMessagingMode: 'synch',
              UserAck: 'true',
              ReceiptProfile: { Language: 'EN', ReceiptProfileURI: 'http://mss.swisscom.ch/synch' },
            },
          },
        },
      }),
      Message: { MimeType: 'text/plain', Encoding: 'UTF-8', Data: opts.message ?? 'ServiceCore: you are logged in.' },
    },
  };
}

export function profileBody(msisdn: string, params = 'sscds state certs pinstatus rcstatus aastatus carddetails') {
  return {
    MSS_ProfileReq: {
      MajorVersion: '2',
      MinorVersion: '0',
      AP_Info: apInfo(),
      MSSP_Info: { MSSP_ID: { URI: 'http://mid.swisscom.ch/' } },
      MobileUser: { MSISDN: msisdn },
      Params: params,
    },
  };
}

export interface JsonReply {
  status: number;
  json: any;
  contentType: string | null;
}

export async function postJson(url: string, body: unknown): Promise<JsonReply> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=UTF-8', accept: 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json(), contentType: res.headers.get('content-type') };
}

export async function getJson(url: string): Promise<JsonReply> {
  const res = await fetch(url);
  return { status: res.status, json: await res.json(), contentType: res.headers.get('content-type') };
}

/** `openssl cms -verify` (purpose any: the certificates carry EKU clientAuth, like the real ones). */
export function opensslVerify(cmsDer: Uint8Array, rootPem: string): { ok: boolean; content: string; stderr: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'mid-cms-'));
  try {
    writeFileSync(path.join(dir, 'sig.der'), cmsDer);
    writeFileSync(path.join(dir, 'root.pem'), rootPem);
    const r = spawnSync(
      'openssl',
      ['cms', '-verify', '-inform', 'DER', '-in', 'sig.der', '-CAfile', 'root.pem', '-purpose', 'any', '-binary'],
      { cwd: dir },
    );
    return { ok: r.status === 0, content: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `openssl cms -cmsout -print`, reduced to the lines that describe the structure. */
export function opensslCmsOutline(cmsDer: Uint8Array): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'mid-cms-'));
  try {
    writeFileSync(path.join(dir, 'sig.der'), cmsDer);
    const r = spawnSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', 'sig.der'], { cwd: dir });
    if (r.status !== 0) throw new Error(r.stderr.toString('utf8'));
    return r.stdout
      .toString('utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^(contentType|eContentType|version|algorithm|object|signatureAlgorithm|d\.certificate|crls|unsignedAttrs|<ABSENT>)/.test(l))
      .filter((l) => !l.startsWith('algorithm: rsaEncryption') && !l.startsWith('algorithm: id-ecPublicKey'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `openssl x509 -text` of a DER certificate. */
export function opensslX509Text(certDer: Uint8Array): string {
  const r = spawnSync('openssl', ['x509', '-inform', 'DER', '-noout', '-text', '-nameopt', 'oneline'], { input: certDer });
  if (r.status !== 0) throw new Error(r.stderr.toString('utf8'));
  return r.stdout.toString('utf8');
}

export function readVector(relative: string): any {
  return JSON.parse(readFileSync(path.join(VECTORS, relative), 'utf8'));
}

/**
 * The shape of a JSON value: every leaf replaced by its type, arrays by the shape of their first
 * element. JSON.stringify of two shapes is equal when the key names, nesting and key order match.
 */
export function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.length ? [shapeOf(value[0])] : [];
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shapeOf(v)]));
  }
  return typeof value;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
