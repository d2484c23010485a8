export * from './repository.js';
export { accountClaims } from './claims.js';
export {
  compareSerial,
  latestPresentedSerial,
  normaliseSerial,
  repinDueToVerification,
  sameSerial,
  serialInDoubt,
  type PresentedSerial,
  type SerialCheck,
  type SerialPolicy,
} from './serial.js';
