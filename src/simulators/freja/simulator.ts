/**
 * The Freja eID simulator as a koa router: the relying-party REST API under
 * `<basePath>/authentication/1.0/…`, the sandbox app (approve / decline page) under
 * `<basePath>/app`, and the sandbox trust (root CA, JWS signing certificate) as PEM.
 */
import { randomBytes } from 'node:crypto';

import type { Router } from '@koa/router';

import { normaliseBasePath, routerAt } from '../shared/router.js';
import { simulatorDataDir } from '../shared/storage.js';
import { mountAppRoutes } from './app-routes.js';
import { Faults } from './faults.js';
import { loadOrCreatePki, type FrejaSandboxPki } from './pki.js';
import { mountRestRoutes } from './rest-routes.js';
import { DEFAULT_VALIDITY_MS, TransactionStore } from './transactions.js';

export interface FrejaSimulatorOptions {
  /** The product's data directory; the PKI goes to `<dataDir>/simulators/freja/`. In memory when absent or ':memory:'. */
  dataDir?: string | undefined;
  /** Path prefix of every route, e.g. "/freja"; "" by default. */
  basePath?: string | undefined;
  /** How long an authentication stays open (two minutes, as at Freja). */
  validityMs?: number | undefined;
  now?: (() => Date) | undefined;
}

export interface FrejaSimulator {
  router: Router;
  basePath: string;
  /** Root CA of the signing certificate (trust anchor for the product). */
  rootCaPem: string;
  /** The JWS signing certificate followed by its issuing CA. */
  signingCertPem: string;
  x5t: string;
  pki: FrejaSandboxPki;
  transactions: TransactionStore;
  faults: Faults;
  close(): void;
}

export async function createFrejaSimulator(opts: FrejaSimulatorOptions = {}): Promise<FrejaSimulator> {
  const now = opts.now ?? (() => new Date());
  const basePath = normaliseBasePath(opts.basePath);
  const pki = await loadOrCreatePki({ dir: simulatorDataDir(opts.dataDir, 'freja'), now });
  const transactions = new TransactionStore(pki, now, opts.validityMs ?? DEFAULT_VALIDITY_MS);
  const faults = new Faults();
  const router = routerAt(basePath);
  mountRestRoutes(router, transactions, faults);
  mountAppRoutes(router, transactions, faults, { basePath, formToken: randomBytes(24).toString('base64url'), pki, now });
  return {
    router,
    basePath,
    rootCaPem: pki.rootPem,
    signingCertPem: pki.signingPem + pki.issuingPem,
    x5t: pki.x5t,
    pki,
    transactions,
    faults,
    close: () => faults.clear(),
  };
}
