/**
 * The bodies we send to SRS (pure): the initial data of an identification and the verify call,
 * with the distinguished name of the identified person.
 */
import type { ProvenIdentity } from './responses.js';

/** Media type of the SRS provider API (Accept and Content-Type). */
export const SRS_MEDIA_TYPE = 'application/vnd.sc.miss.provider.v1+json';
export const RAS_MEDIA_TYPE = 'application/vnd.sc.ras.evidence.v1+json';

export interface InitialData {
  givenNames: string;
  familyName: string;
  /** YYYY-MM-DD */
  birthDate: string;
  nationality?: string | undefined;
  /** E.164 with +, e.g. +41791234567 */
  mobile: string;
  email?: string | undefined;
  language: string;
  /** Our reference of the identification (billing and support at Swisscom). */
  externalId: string;
  callbackUrl: string;
}

/** POST /api/providers/{issuer}/{method}: the data we already hold, to speed the identification up. */
export function buildStartRequest(d: InitialData): Record<string, string> {
  return {
    firstName: d.givenNames,
    lastName: d.familyName,
    dob: d.birthDate,
    mobile: d.mobile,
    ...(d.nationality ? { nationality: d.nationality } : {}),
    ...(d.email ? { email: d.email } : {}),
    language: d.language,
    externalId: d.externalId,
    callbackUrl: d.callbackUrl,
  };
}

/** RFC 4514 escaping of an attribute value. */
export function escapeDnValue(value: string): string {
  return value
    .replace(/[\\,+"<>;=]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, '\\ ');
}

/** The distinguished name of a person as the verify call expects it: `gn=…, sn=…, cn=…, c=…`. */
export function distinguishedName(p: Pick<ProvenIdentity, 'givenNames' | 'familyName' | 'nationality'>): string {
  const parts = [`gn=${escapeDnValue(p.givenNames)}`, `sn=${escapeDnValue(p.familyName)}`, `cn=${escapeDnValue(`${p.givenNames} ${p.familyName}`)}`];
  if (p.nationality) parts.push(`c=${escapeDnValue(p.nationality)}`);
  return parts.join(', ');
}

export interface VerifyParams {
  /** Digits only, with country code: 41791234567 */
  msisdn: string;
  claimedIdentity: string;
  assuranceLevel: number;
  distinguishedName: string;
  jurisdiction: string;
}

/** POST /api/evidences/verify (RAS). */
export function buildVerifyRequest(p: VerifyParams): Record<string, string | number> {
  return {
    msisdn: p.msisdn.replace(/\D/g, ''),
    claimedIdentity: p.claimedIdentity,
    assuranceLevel: p.assuranceLevel,
    distinguishedName: p.distinguishedName,
    jurisdiction: p.jurisdiction.toLowerCase(),
  };
}
