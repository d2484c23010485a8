import { describe, expect, it } from 'vitest';

import * as mobileid from '../../../src/mobileid/index.js';

describe('the public surface of the Mobile ID domain', () => {
  it('exposes the login building blocks', () => {
    for (const name of [
      'normaliseMsisdn',
      'maskMsisdn',
      'buildDtbd',
      'userLangFor',
      'MobileIdClient',
      'verifyCmsSignature',
      'evaluateGeofence',
      'processStatusResponse',
      'MobileIdError',
      'CertificateStore',
      'defaultTrustAnchors',
      'MSS_CODES',
    ] as const) {
      expect(mobileid[name], name).toBeDefined();
    }
  });

  it('ships the message catalogue in four languages', () => {
    expect(Object.keys(mobileid.MOBILEID_MESSAGES).sort()).toEqual(['de', 'en', 'fr', 'it']);
    expect(mobileid.MOBILEID_MESSAGES.de['mobileid.fault.401']).toMatch(/abgebrochen/);
  });

  it('an error is an AppError with a code, a status and a message key', () => {
    try {
      mobileid.normaliseMsisdn('nope');
    } catch (e) {
      expect(e).toBeInstanceOf(mobileid.MobileIdError);
      expect(e).toMatchObject({ name: 'MobileIdError', code: 'invalid_msisdn', status: 400, messageKey: 'mobileid.error.invalid_msisdn' });
      return;
    }
    throw new Error('expected an error');
  });
});
