/** Swisscom Mobile ID simulator: the REST API, a virtual phone, and its own test PKI. */
export { createMobileIdSimulator, type MobileIdSimulator, type MobileIdSimulatorOptions } from './app.js';
export { startMobileIdSimulator, type StartedMobileIdSimulator } from './server.js';
export type { AccountView, ApproveOptions, PendingItem, Target, VirtualPhone } from './phone.js';
export { PhoneError } from './phone.js';
export { GEOFENCING_ERRORS } from './geofencing.js';
export { FAULTS, type FaultCode } from './faults.js';
export { INSTANT_SUCCESS_MSISDNS, PROFILE } from './constants.js';
