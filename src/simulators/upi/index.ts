/** ZAS UPI query service simulator (eCH-0214 getInfoPerson over SOAP) with a small test register. */
export { createUpiSimulator, QUERY_SERVICE_PATH, SOAP_ACTION, type SeenRequest, type UpiSimulator, type UpiSimulatorOptions } from './app.js';
export { ACTIVE_PERSONS, BEHAVIOUR_NUMBERS, CANCELLED_NUMBERS, REPLACED_NUMBERS, lookUp, type TestPerson } from './register.js';
export { NOTICE } from './envelopes.js';
