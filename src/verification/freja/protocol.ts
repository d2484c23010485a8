/**
 * The wire format of the Freja eID relying-party REST API (authentication service): endpoint
 * paths, enumerations, and the request bodies. Every method is an HTTP POST whose body is
 * `<parameterName>=<Base64(UTF-8 JSON)>` (standard Base64), optionally followed by
 * `&relyingPartyId=<id>` for integrators acting for another relying party.
 */
export const DEFAULT_BASE_URL = 'https://services.prod.frejaeid.com';
export const TEST_BASE_URL = 'https://services.test.frejaeid.com';

export const AUTH_PATHS = {
  init: '/authentication/1.0/initAuthentication',
  getOneResult: '/authentication/1.0/getOneResult',
  cancel: '/authentication/1.0/cancel',
} as const;
export type FrejaOperation = keyof typeof AUTH_PATHS;

/** The form parameter that carries the JSON of each method. */
export const PARAMETER_NAMES: Readonly<Record<FrejaOperation, string>> = {
  init: 'initAuthRequest',
  getOneResult: 'getOneAuthResultRequest',
  cancel: 'cancelAuthRequest',
};

export const USER_INFO_TYPES = ['EMAIL', 'SSN', 'PHONE', 'INFERRED', 'ORG_ID', 'UPI'] as const;
export type UserInfoType = (typeof USER_INFO_TYPES)[number];

/** Levels a relying party may ask for as a minimum. */
export const MIN_REGISTRATION_LEVELS = ['BASIC', 'EXTENDED', 'PLUS', 'INFERRED'] as const;
export type MinRegistrationLevel = (typeof MIN_REGISTRATION_LEVELS)[number];

/** Levels a user has. */
export const REGISTRATION_LEVELS = ['BASIC', 'EXTENDED', 'PLUS'] as const;
export type RegistrationLevel = (typeof REGISTRATION_LEVELS)[number];

export const ATTRIBUTES = [
  'BASIC_USER_INFO',
  'CUSTOM_IDENTIFIER',
  'INTEGRATOR_SPECIFIC_USER_ID',
  'SSN',
  'DATE_OF_BIRTH',
  'RELYING_PARTY_USER_ID',
  'EMAIL_ADDRESS',
  'ORGANISATION_ID_IDENTIFIER',
  'ORGANISATION_ID',
  'ADDRESSES',
  'ALL_EMAIL_ADDRESSES',
  'ALL_PHONE_NUMBERS',
  'REGISTRATION_LEVEL',
  'AGE',
  'PHOTO',
  'DOCUMENT',
  'DOCUMENT_PHOTO',
  'COVID_CERTIFICATES',
  'DOCUMENT_INFO_WITH_PDF',
  'CHILDREN_DOCUMENT_INFO_WITH_PDF',
  'NETWORK_INFO',
  'LOA_LEVEL',
  'UNIQUE_PERSONAL_IDENTIFIER',
  'GENDER',
  'NFC_ID_PHOTO',
] as const;
export type Attribute = (typeof ATTRIBUTES)[number];

/** `userInfo` of an INFERRED request: the person is identified by scanning the QR code. */
export const INFERRED_USER_INFO = 'N/A';

/** The link the Freja eID app opens (QR code or a tap on the same phone); authRef is appended. */
export const APP_LINK_PREFIX = 'frejaeid://bindUserToTransaction?transactionReference=';

/** How long Freja keeps an authentication open for the person to confirm. */
export const AUTHENTICATION_VALIDITY_MS = 120_000;

export interface InitAuthParams {
  userInfoType: UserInfoType;
  /** The e-mail address, phone number, SSN document (Base64 JSON) or `N/A` for INFERRED. */
  userInfo: string;
  minRegistrationLevel: MinRegistrationLevel;
  attributesToReturn: readonly Attribute[];
}

export interface InitAuthRequestWire {
  userInfoType: UserInfoType;
  userInfo: string;
  minRegistrationLevel: MinRegistrationLevel;
  attributesToReturn?: { attribute: Attribute }[];
}

export function buildInitAuthRequest(p: InitAuthParams): InitAuthRequestWire {
  return {
    userInfoType: p.userInfoType,
    userInfo: p.userInfoType === 'INFERRED' ? INFERRED_USER_INFO : p.userInfo,
    minRegistrationLevel: p.minRegistrationLevel,
    ...(p.attributesToReturn.length ? { attributesToReturn: p.attributesToReturn.map((attribute) => ({ attribute })) } : {}),
  };
}

/** `userInfo` of an SSN request: Base64 of `{"country":"SE","ssn":"…"}`. */
export function ssnUserInfo(country: string, ssn: string): string {
  return Buffer.from(JSON.stringify({ country, ssn }), 'utf8').toString('base64');
}

/** The request body of a method: `<name>=<Base64(JSON)>` (+ `&relyingPartyId=`). */
export function encodeBody(operation: FrejaOperation, payload: unknown, relyingPartyId?: string): string {
  const encoded = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64');
  const rp = relyingPartyId ? `&relyingPartyId=${encodeURIComponent(relyingPartyId)}` : '';
  return `${PARAMETER_NAMES[operation]}=${encoded}${rp}`;
}

/** The link to put in the QR code and behind "open the app". */
export function appLink(prefix: string, authRef: string): string {
  return `${prefix}${encodeURIComponent(authRef)}`;
}
