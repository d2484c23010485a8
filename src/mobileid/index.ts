/**
 * Mobile ID: the public surface for the rest of the application.
 *
 * A login: `normaliseMsisdn` → `client.profile` (optional) → `buildDtbd` → `client.signAsync` →
 * poll `client.status` until `signed` → `verifyCmsSignature` (content, signature, chain) →
 * compare `mobileIdSerial` with the pinned one → `evaluateGeofence`.
 */
export { MobileIdError, type MobileIdErrorCode, type LocalErrorCode, type MssFaultErrorCode } from './errors.js';
export { normaliseMsisdn, isValidMsisdn, maskMsisdn, redactPhoneNumbers } from './msisdn.js';
export {
  buildDtbd,
  measureDtbd,
  assertDtbd,
  userLangFor,
  generateTransactionCode,
  DTBD_MAX_GSM,
  DTBD_MAX_NON_GSM,
  LOGIN_QUESTIONS,
  USER_LANGS,
  type Dtbd,
  type DtbdInput,
  type DtbdMeasure,
  type UserLang,
} from './dtbd.js';
export {
  buildSignatureRequest,
  buildStatusRequest,
  buildReceiptRequest,
  buildProfileRequest,
  createApTransIdGenerator,
  formatInstant,
  isNcName,
  ADDITIONAL_SERVICE,
  DEFAULT_BASE_URL,
  MSS_PATHS,
  MSSP_ID_URI,
  PROFILE_QUERY_PARAMS,
  SIGNATURE_PROFILES,
  TRANSACTION_TIMEOUT_SECONDS,
  type RequestHeader,
  type SignatureParams,
  type ReceiptParams,
  type SignatureRequestWire,
  type StatusRequestWire,
  type ReceiptRequestWire,
  type ProfileRequestWire,
} from './protocol.js';
export {
  processSignatureResponse,
  processStatusResponse,
  processReceiptResponse,
  processProfileResponse,
  faultToError,
  mobileIdSerialFromSubject,
  type ExpectedEcho,
  type GeofencingData,
  type ProfileResult,
  type ReceiptResult,
  type SignatureAccepted,
  type SignatureCompleted,
  type SignatureResult,
  type SscdInfo,
  type StatusOutstanding,
  type StatusResult,
  type SubscriberInfoDetail,
} from './responses.js';
export {
  MSS_CODES,
  GEOFENCING_ERRORS,
  mssCodeInfo,
  geofencingErrorInfo,
  geofencingAdviceKey,
  type MssCodeInfo,
  type GeofencingErrorInfo,
  type MssOperation,
  type UserAction,
} from './faults.js';
export {
  CertificateStore,
  defaultTrustAnchors,
  defaultServerCaPem,
  describeCertificate,
  type CertificateInfo,
} from './certificates.js';
export { verifyCmsSignature, type VerifyCmsOptions, type VerifiedSignature } from './cms.js';
export {
  evaluateGeofence,
  DEFAULT_GEOFENCE_THRESHOLDS,
  type GeofenceThresholds,
  type GeofenceDecision,
  type GeofenceReason,
} from './geofence.js';
export {
  MobileIdClient,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  type MobileIdClientOptions,
  type MobileIdClientEvent,
  type SignAsyncParams,
} from './client.js';
export { default as MOBILEID_MESSAGES } from './messages.json' with { type: 'json' };
