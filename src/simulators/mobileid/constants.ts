/** Wire constants of the Mobile ID REST API (reference guide v3.9, OpenAPI 1.0.1). */

export const MSSP_ID_URI = 'http://mid.swisscom.ch/';

export const SOAP_ENVELOPE_NS = 'http://www.w3.org/2003/05/soap-envelope';
export const ETSI_NS = 'http://uri.etsi.org/TS102204/v1.1.2#';

/** Signature profiles (section 3.2.1 and the OpenAPI enum). */
export const PROFILE = {
  AUTH_PROFILE_1: 'http://mid.swisscom.ch/MID/v1/AuthProfile1',
  AUTH_PROFILE_1_ECC: 'http://mid.swisscom.ch/MID/v1/AuthProfile1.ECC',
  AUTH_PROFILE_1_RSA: 'http://mid.swisscom.ch/MID/v1/AuthProfile1.RSA',
  ANY: 'http://mid.swisscom.ch/Any-LoA4',
  STK: 'http://mid.swisscom.ch/STK-LoA4',
  DEVICE: 'http://mid.swisscom.ch/Device-LoA4',
  ANY_GEOFENCING: 'http://mid.swisscom.ch/Any-Geofencing-LoA4',
} as const;

/** Additional service URIs (section 3.2.4). */
export const AS = {
  USER_LANG: 'http://mss.ficom.fi/TS102204/v1.0.0#userLang',
  GEOFENCING: 'http://mid.swisscom.ch/as#geofencing',
  APP2APP: 'http://mid.swisscom.ch/as#app2app',
} as const;

export const USER_LANGUAGES = ['EN', 'DE', 'FR', 'IT'] as const;
export type UserLang = (typeof USER_LANGUAGES)[number];

export const RECEIPT_PROFILE_URI = 'http://mss.swisscom.ch/synch';

/** Interface versions each operation accepts (section 3; MinorVersion 1 is still seen for sign). */
export const VERSIONS = {
  sign: { major: ['1'], minor: ['1', '2'] },
  status: { major: ['1'], minor: ['1'] },
  receipt: { major: ['1'], minor: ['1'] },
  profile: { major: ['2'], minor: ['0'] },
} as const;

/** Documented test numbers (section 6.2): successful signature at once, EC or RSA key. */
export const INSTANT_SUCCESS_MSISDNS: Readonly<Record<string, 'EC' | 'RSA'>> = {
  '41700092501': 'EC',
  '41700092502': 'RSA',
};

/** `+41000092<code>` answers fault `<code>` (section 6.2.1). */
export const FAULT_TEST_PREFIX = '41000092';

/** The health check number (section 4.5): always `101 WRONG_PARAM / Illegal msisdn`. */
export const HEALTH_CHECK_MSISDN = '41000000000';

/** Maximum DTBD length: 239 characters, 119 when a character is outside the GSM default alphabet. */
export const DTBD_MAX_GSM = 239;
export const DTBD_MAX_UCS2 = 119;

/** Defaults of the transaction timeouts (section 4.3). */
export const DEFAULT_PENDING_TIMEOUT_MS = { sim: 80_000, app: 40_000 } as const;

/** How far a request's Instant may be from the simulator's clock before 101 WRONG_PARAM. */
export const INSTANT_TOLERANCE_MS = 10 * 60_000;

/** How long finished transactions stay queryable. */
export const FINISHED_RETENTION_MS = 10 * 60_000;
