/**
 * The AHV register check ("Ahv" in the QoR model): the number is validated (AHVN13, EAN-13 check
 * digit) before anything is sent; the ZAS UPI query service (eCH-0214 getInfoPerson, SOAP over
 * mutual TLS) confirms that it exists, is active and belongs to the person being checked; a
 * confirmed number is stored encrypted and released only as the `ahv_number` claim.
 */
export { parseAhvn13, formatAhvn13, maskAhvn13, ean13CheckDigit, type AhvProblem, type AhvResult } from './ahvn13.js';
export { AhvNumberCipher } from './cipher.js';
export { UpiClient, DEFAULT_UPI_TIMEOUT_MS, type UpiClientOptions, type UpiClientEvent, type UpiRegister } from './client.js';
export { decideAhvCheck, type AhvDecision, type AhvOutcome } from './decision.js';
export { UpiError, type UpiErrorCode } from './errors.js';
export { fieldsToEnter, provenPerson, PERSON_FIELDS, type PersonField, type ProvenPerson } from './person.js';
export { buildGetInfoPersonRequest, responseLanguageFor, soap11Envelope, NS as UPI_NS, SOAP_ACTION, type ResponseLanguage } from './protocol.js';
export { processGetInfoPersonResponse, readFault, type UpiLookup, type UpiPerson } from './responses.js';
export { accountsWithAhvNumber, AHV_METHOD_ID, checksSince, confirmedAhvNumber, recordAhvCheck } from './repository.js';
export { AhvCheckService, type AhvCheckInput, type AhvCheckResult } from './service.js';
export { parseXml, escapeXml, type XmlElement } from './xml.js';
export { default as AHV_MESSAGES } from './messages.json' with { type: 'json' };
