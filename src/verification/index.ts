export { MethodRegistry, type StartResult, type StepUpContext, type VerificationMethod } from './method.js';
export { listVerifications, recordVerification, type NewVerification, type StoredVerification } from './repository.js';
export { rebindVerifications, updateVerificationStatus, type VerificationUpdate } from './repository.js';
