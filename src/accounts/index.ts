export * from './repository.js';
export { accountClaims } from './claims.js';
export { compareSerial, type SerialCheck, type SerialPolicy } from './serial.js';
