/**
 * Freja eID: the public surface for the rest of the application.
 *
 * A verification: the user states who they are → `FrejaVerifications.start` (initAuthentication,
 * INFERRED: QR code or app link) → `check` polls getOneResult at most once per interval → on
 * APPROVED `verifyFrejaJws` (x5t signer, chain, RS256) → `interpretApprovedResult` (our authRef,
 * fresh, registration level, attributes) → names compared with the claim → verification recorded.
 */
export { FrejaError, FREJA_API_CODES, frejaApiCodeInfo, type FrejaErrorCode, type FrejaApiCodeInfo } from './errors.js';
export { FREJA_STATUSES, STATUS_INFO, statusInfo, isFrejaStatus, type FrejaStatus, type JourneyState, type StatusInfo } from './statuses.js';
export { AUTH_PATHS, APP_LINK_PREFIX, appLink, buildInitAuthRequest, encodeBody, type InitAuthParams, type RegistrationLevel } from './protocol.js';
export { processInitResponse, processResultResponse, processCancelResponse, type AuthResultEnvelope } from './responses.js';
export { FrejaClient, type FrejaApi, type FrejaClientOptions } from './client.js';
export { FrejaTrust, certificatesFromPem, thumbprint } from './trust.js';
export { verifyFrejaJws, jwsDigest, type VerifiedJws } from './jws.js';
export { interpretApprovedResult, type FrejaIdentity, type ResultOutcome } from './result.js';
export { loadFrejaPolicy, parseFrejaPolicy, type FrejaPolicy } from './policy.js';
export { FrejaVerifications, METHOD_ID, type FrejaRequestView, type RequestOutcome, type FrejaSettings } from './requests.js';
export { setUpFreja, type FrejaSetup } from './setup.js';
export { default as FREJA_MESSAGES } from './messages.json' with { type: 'json' };
