import fs from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  buildStartRequest,
  buildVerifyRequest,
  distinguishedName,
  processCatalogueResponse,
  processIdentificationResponse,
  processStartResponse,
  processTokenResponse,
  processVerifyResponse,
  SrsError,
} from '../../../src/verification/srs/index.js';
import { thrownBy } from '../shared/errors.js';

const vectors = JSON.parse(fs.readFileSync(path.resolve('../shared/vectors/swisscom-srs/srs-and-ras-requests.json'), 'utf8')) as {
  requests: { name: string; body: Record<string, unknown> | null; headers: { key: string; value: string }[] }[];
};

const code = (fn: () => unknown): string => thrownBy(SrsError, fn).code;

describe('SRS answers', () => {
  it('reads a token, and refuses other token types or a refusal', () => {
    expect(processTokenResponse(200, { access_token: 'abc', token_type: 'bearer', expires_in: 3599 })).toEqual({ accessToken: 'abc', expiresIn: 3599 });
    expect(processTokenResponse(200, { access_token: 'abc' })).toEqual({ accessToken: 'abc', expiresIn: 300 });
    expect(code(() => processTokenResponse(200, { access_token: 'abc', token_type: 'mac' }))).toBe('malformed_response');
    expect(code(() => processTokenResponse(401, { error: 'invalid_client' }))).toBe('unauthorized');
    expect(code(() => processTokenResponse(503, undefined))).toBe('unavailable');
  });

  it('reads the catalogue of the white paper', () => {
    const entries = processCatalogueResponse(200, [
      { loa: 3, issuer: 'Test-ISP', webflow: true, jurisdiction: 'ZERTES,EIDAS', realtimeMethods: ['video', 'test'], offline: true, identificationData: [], additionalData: [], defaultLocale: 'en' },
      { loa: 'x', issuer: 'Broken' },
    ]);
    expect(entries).toEqual([
      { loa: 3, issuer: 'Test-ISP', webflow: true, jurisdictions: ['ZERTES', 'EIDAS'], realtimeMethods: ['video', 'test'], offline: true, identificationData: [], additionalData: [], defaultLocale: 'en' },
    ]);
    expect(code(() => processCatalogueResponse(200, { not: 'a list' }))).toBe('malformed_response');
    expect(code(() => processCatalogueResponse(500, undefined))).toBe('unavailable');
  });

  it('reads the start answer of the white paper', () => {
    expect(
      processStartResponse(200, { refId: '5c327977-a154-4747-b99d-c0733f7007c5', error: null, targetURL: 'https://www.identity.tm/status_neu/1ABF5C05DBEA405B20AEB91424485700' }),
    ).toEqual({ refId: '5c327977-a154-4747-b99d-c0733f7007c5', targetUrl: 'https://www.identity.tm/status_neu/1ABF5C05DBEA405B20AEB91424485700' });
    expect(code(() => processStartResponse(200, { refId: 'r', error: 'mobile invalid', targetURL: null }))).toBe('rejected');
    expect(code(() => processStartResponse(200, { refId: 'r', error: null, targetURL: 'javascript:alert(1)' }))).toBe('malformed_response');
    expect(code(() => processStartResponse(400, { error: 'x' }))).toBe('rejected');
    expect(code(() => processStartResponse(401, undefined))).toBe('unauthorized');
    expect(code(() => processStartResponse(502, undefined))).toBe('unavailable');
  });

  it('accepts an http partner page only when SRS itself is reached over http (the sandbox)', () => {
    const answer = { refId: 'r-1', error: null, targetURL: 'http://isp.example/start/1' };
    expect(code(() => processStartResponse(200, answer))).toBe('malformed_response');
    expect(code(() => processStartResponse(200, answer, { allowHttp: false }))).toBe('malformed_response');
    expect(processStartResponse(200, answer, { allowHttp: true })).toEqual({ refId: 'r-1', targetUrl: 'http://isp.example/start/1' });
    expect(processStartResponse(200, { ...answer, targetURL: 'https://isp.example/start/1' })).toMatchObject({ targetUrl: 'https://isp.example/start/1' });
  });

  it('reads the status answer of the white paper, and identity data when it is there', () => {
    const refId = '6213d8b0-173b-4889-a194-dd5db02c67d9';
    const s = processIdentificationResponse(
      200,
      {
        refId,
        orderId: refId,
        issuer: 'test',
        adapter: 'fake',
        method: 'video',
        mobile: '+4177333340',
        evidenceId: null,
        statuses: [
          { status: 'created', date: '2019-11-25T09:19:20.165Z', reason: null, kind: null },
          { status: 'created', date: '2019-11-25T09:25:28.779991Z', reason: null, kind: null },
          { status: 'initialized', date: '2019-11-25T09:19:20.192Z', reason: null, kind: null },
          { status: 'Brand new status', date: '2019-11-25T09:30:00Z' },
        ],
      },
      refId,
    );
    expect(s).toMatchObject({ refId, issuer: 'test', method: 'video', mobile: '+4177333340', evidenceId: undefined, current: 'initialized', identity: undefined, unknown: ['Brand new status'] });
    const ready = processIdentificationResponse(
      200,
      { refId, statuses: [{ status: 'Data Ready' }], identificationData: { firstName: 'Richard', lastName: 'Smith', dob: '1970-01-02T00:00:00Z', nationality: 'GB' } },
      refId,
    );
    expect(ready.current).toBe('data_ready');
    expect(ready.identity).toEqual({ givenNames: 'Richard', familyName: 'Smith', birthDate: '1970-01-02', nationality: 'GB' });
    expect(code(() => processIdentificationResponse(200, { refId: 'other', statuses: [] }, refId))).toBe('malformed_response');
    expect(code(() => processIdentificationResponse(404, undefined, refId))).toBe('not_found');
  });

  it('reads the verify answer: evidence, or none', () => {
    expect(processVerifyResponse(200, { evidenceId: 'RAS5b45b027c6d9370008072c48', vetterMsisdn: '41791234567', serialNumber: 'SN1' })).toEqual({
      verified: true,
      evidenceId: 'RAS5b45b027c6d9370008072c48',
      vetterMsisdn: '41791234567',
      serialNumber: 'SN1',
    });
    expect(processVerifyResponse(404, { error: 'not found' })).toEqual({ verified: false, httpStatus: 404 });
    expect(processVerifyResponse(200, {})).toEqual({ verified: false, httpStatus: 200 });
    expect(code(() => processVerifyResponse(503, undefined))).toBe('unavailable');
  });
});

describe('SRS requests', () => {
  it('sends the initial data with the field names of the Postman samples', () => {
    const sample = vectors.requests.find((r) => r.name === 'SRS: Request Identification')!.body!;
    const body = buildStartRequest({
      givenNames: 'Peter',
      familyName: 'Amrhyn',
      birthDate: '1979-01-30',
      nationality: 'CH',
      mobile: '+41775383140',
      email: 'Peter.Amrhyn@swisscom.com',
      language: 'en',
      externalId: '123456789AA',
      callbackUrl: 'https://login.example.ch/callbacks/srs',
    });
    for (const key of ['dob', 'email', 'externalId', 'firstName', 'language', 'lastName', 'mobile']) expect(body[key], key).toBe(sample[key]);
    expect(body.callbackUrl).toBe('https://login.example.ch/callbacks/srs');
    expect(body.nationality).toBe('CH');
  });

  it('builds the verify call as in the white paper, the distinguished name escaped', () => {
    const sample = vectors.requests.find((r) => r.name === 'Verify Request')!.body!;
    const body = buildVerifyRequest({ msisdn: '+41 79 123 45 67', claimedIdentity: 'test-client', assuranceLevel: 4, distinguishedName: distinguishedName({ givenNames: 'Hans', familyName: 'Müller', nationality: 'CH' }), jurisdiction: 'ZERTES' });
    expect(body).toEqual({ msisdn: '41791234567', claimedIdentity: 'test-client', assuranceLevel: 4, distinguishedName: 'gn=Hans, sn=Müller, cn=Hans Müller, c=CH', jurisdiction: 'zertes' });
    expect(Object.keys(sample).every((k) => k in body)).toBe(true);
    expect(distinguishedName({ givenNames: 'Jean, Jr', familyName: '#Doe+Roe' })).toBe('gn=Jean\\, Jr, sn=\\#Doe\\+Roe, cn=Jean\\, Jr #Doe\\+Roe');
  });
});
