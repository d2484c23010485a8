/**
 * Swisscom Smart Registration Service (SRS): identity verification by video or bank
 * identification through Swisscom's identification partners. The public surface.
 */
export { SrsError, type SrsErrorCode } from './errors.js';
export { SRS_STATUSES, currentStatus, parseStatus, statusInfo, type Journey, type SrsStatus, type StatusInfo } from './statuses.js';
export { acceptEntry, chooseEntry, loadSrsPolicy, parseSrsPolicy, requiredLoa, type SrsMethodPolicy, type SrsPolicy } from './policy.js';
export {
  httpFailure,
  parseIdentificationData,
  processCatalogueResponse,
  processIdentificationResponse,
  processStartResponse,
  processTokenResponse,
  processVerifyResponse,
  type CatalogueEntry,
  type IdentificationStatus,
  type ProvenIdentity,
  type VerifyResult,
} from './responses.js';
export { buildStartRequest, buildVerifyRequest, distinguishedName, escapeDnValue, SRS_MEDIA_TYPE, RAS_MEDIA_TYPE } from './requests.js';
export { SrsClient, type SrsClientOptions } from './client.js';
export { CallbackVerifier, CALLBACK_ALGORITHMS, keySources, publicKeyFromPem, type CallbackClaims, type ReplayStore } from './callback-jwt.js';
export { SrsIdentifications, type IdentificationState, type SrsSettings } from './identifications.js';
export { dbReplayStore, type Details, type Identification } from './store.js';
export { SRS_METHOD_IDS, srsMethods, srsPagePath } from './methods.js';
export { setUpSrs, resolveSrsConfig, SRS_CALLBACK_PATH, type SrsEndpoints, type SrsSetup } from './setup.js';
export { default as SRS_MESSAGES } from './messages.json' with { type: 'json' };
