export * from './repository.js';
export { accountClaims } from './claims.js';
