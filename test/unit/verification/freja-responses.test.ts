/** Reading Freja eID answers without a network: the pure `process*Response` functions and the wire format. */
import { describe, expect, it } from 'vitest';

import { buildInitAuthRequest, encodeBody, FrejaError, parseFrejaPolicy, processCancelResponse, processInitResponse, processResultResponse } from '../../../src/verification/freja/index.js';
import { appLink, ssnUserInfo } from '../../../src/verification/freja/protocol.js';
import { thrownBy } from '../shared/errors.js';

const fails = (fn: () => unknown) => thrownBy(FrejaError, fn);

describe('request bodies', () => {
  it('sends initAuthRequest=<Base64 JSON> with INFERRED user info, the minimum level and the attributes', () => {
    const policy = parseFrejaPolicy({ acceptedRegistrationLevels: ['PLUS', 'EXTENDED'], attributesToReturn: ['BASIC_USER_INFO', 'DATE_OF_BIRTH', 'SSN'] });
    expect(policy.minRegistrationLevel).toBe('EXTENDED');
    const body = encodeBody('init', buildInitAuthRequest({ userInfoType: 'INFERRED', userInfo: 'ignored', minRegistrationLevel: policy.minRegistrationLevel, attributesToReturn: policy.attributesToReturn }));
    const [name, value] = body.split('=', 2) as [string, string];
    expect(name).toBe('initAuthRequest');
    expect(JSON.parse(Buffer.from(body.slice(name.length + 1), 'base64').toString('utf8'))).toEqual({
      userInfoType: 'INFERRED',
      userInfo: 'N/A',
      minRegistrationLevel: 'EXTENDED',
      attributesToReturn: [{ attribute: 'BASIC_USER_INFO' }, { attribute: 'DATE_OF_BIRTH' }, { attribute: 'SSN' }, { attribute: 'REGISTRATION_LEVEL' }],
    });
    expect(value).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });

  it('names the parameter of each method and adds relyingPartyId for integrators', () => {
    expect(encodeBody('getOneResult', { authRef: 'x' })).toBe(`getOneAuthResultRequest=${Buffer.from('{"authRef":"x"}').toString('base64')}`);
    expect(encodeBody('cancel', { authRef: 'x' }, 'rp id')).toMatch(/^cancelAuthRequest=.+&relyingPartyId=rp%20id$/);
  });

  it('encodes SSN user info and the app link as Freja documents them', () => {
    expect(JSON.parse(Buffer.from(ssnUserInfo('SE', '198001011234'), 'base64').toString())).toEqual({ country: 'SE', ssn: '198001011234' });
    expect(appLink('frejaeid://bindUserToTransaction?transactionReference=', 'a+b/c=')).toBe('frejaeid://bindUserToTransaction?transactionReference=a%2Bb%2Fc%3D');
  });
});

describe('processInitResponse', () => {
  it('returns the authRef', () => {
    expect(processInitResponse(200, { authRef: 'abc_DEF-123' })).toEqual({ authRef: 'abc_DEF-123' });
  });
  it('turns {code, message} into the API error', () => {
    expect(fails(() => processInitResponse(422, { code: 1012, message: 'User…' }))).toMatchObject({ code: 'api_error', providerCode: 1012, messageKey: 'verification.freja.error.unknown_user' });
    expect(fails(() => processInitResponse(400, { code: '1010', message: 'JSON…' }))).toMatchObject({ code: 'api_error', providerCode: 1010 });
  });
  it('treats HTTP 5xx as an outage that may pass', () => {
    expect(fails(() => processInitResponse(500, undefined))).toMatchObject({ code: 'unavailable', transient: true, messageKey: 'verification.freja.unavailable' });
    expect(fails(() => processInitResponse(503, { code: 0 }))).toMatchObject({ code: 'unavailable' });
  });
  it('refuses anything else', () => {
    expect(fails(() => processInitResponse(200, undefined)).code).toBe('malformed_response');
    expect(fails(() => processInitResponse(200, { authRef: '' })).code).toBe('malformed_response');
    expect(fails(() => processInitResponse(200, { authRef: 'has spaces' })).code).toBe('malformed_response');
    expect(fails(() => processInitResponse(404, 'Not Found')).code).toBe('malformed_response');
    expect(fails(() => processInitResponse(422, { message: 'no code' })).code).toBe('malformed_response');
  });
});

describe('processResultResponse', () => {
  it('reads a pending status', () => {
    expect(processResultResponse(200, { authRef: 'r', status: 'DELIVERED_TO_MOBILE' }, 'r')).toEqual({ authRef: 'r', status: 'DELIVERED_TO_MOBILE', details: undefined });
  });
  it('needs the signed details for APPROVED', () => {
    expect(processResultResponse(200, { authRef: 'r', status: 'APPROVED', details: 'a.b.c' }, 'r').details).toBe('a.b.c');
    expect(fails(() => processResultResponse(200, { authRef: 'r', status: 'APPROVED' }, 'r')).detail).toMatch(/APPROVED without signed details/);
  });
  it('refuses an answer about another request, an unknown status, odd details', () => {
    expect(fails(() => processResultResponse(200, { authRef: 'other', status: 'STARTED' }, 'r')).detail).toMatch(/another authRef/);
    expect(fails(() => processResultResponse(200, { authRef: 'r', status: 'DONE' }, 'r')).detail).toMatch(/unknown status/);
    expect(fails(() => processResultResponse(200, { authRef: 'r', status: 'APPROVED', details: 42 }, 'r')).code).toBe('malformed_response');
  });
  it('reads 1100 (reference expired) as an API error', () => {
    expect(fails(() => processResultResponse(422, { code: 1100, message: 'Invalid reference' }, 'r'))).toMatchObject({ providerCode: 1100, messageKey: 'verification.freja.error.reference' });
  });
});

describe('processCancelResponse', () => {
  it('accepts 200 and 204', () => {
    expect(() => processCancelResponse(204, undefined)).not.toThrow();
    expect(() => processCancelResponse(200, {})).not.toThrow();
    expect(fails(() => processCancelResponse(422, { code: 1100, message: '' })).providerCode).toBe(1100);
  });
});
