/** Freja eID simulator: the relying-party REST API, a sandbox app page, and its own test PKI. */
export { createFrejaSimulator, type FrejaSimulator, type FrejaSimulatorOptions } from './simulator.js';
export { startFrejaSimulator, type StartedFrejaSimulator } from './server.js';
export { generateSigningPki, x5tOfPem, type FrejaSandboxPki } from './pki.js';
export { DEFAULT_PERSON } from './app-routes.js';
export type { FaultPlan } from './faults.js';
export type { Person, Transaction } from './transactions.js';
