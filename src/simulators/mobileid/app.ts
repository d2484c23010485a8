/**
 * The Mobile ID simulator as a koa router: the REST API under `<basePath>/rest/service/…`, the
 * virtual phone under `<basePath>/phone…`, and the sandbox root CA at `<basePath>/root-ca.pem`.
 */
import { randomBytes } from 'node:crypto';

import type { Router } from '@koa/router';

import { normaliseBasePath, routerAt } from '../shared/router.js';
import { simulatorDataDir } from '../shared/storage.js';
import { AccountStore, type Method } from './accounts.js';
import { DEFAULT_PENDING_TIMEOUT_MS, PROFILE } from './constants.js';
import { mountPhoneRoutes } from './phone-routes.js';
import { VirtualPhone } from './phone.js';
import { loadOrCreatePki } from './pki.js';
import { mountRestRoutes } from './rest-routes.js';
import { MobileIdService } from './service.js';
import type { SimulatorState } from './state.js';
import { TransactionStore } from './transactions.js';

export interface MobileIdSimulatorOptions {
  /** The product's data directory; the PKI and accounts go to `<dataDir>/simulators/mobileid/`. In memory when absent or ':memory:'. */
  dataDir?: string | undefined;
  /** The only AP_ID accepted (104 UNAUTHORIZED_ACCESS otherwise); any AP_ID when absent. */
  apId?: string | undefined;
  /** When set, AP_PWD must equal it (104 otherwise). The real service ignores AP_PWD. */
  apPassword?: string | undefined;
  /** When set, every DTBD must start with this AP prefix (107 INAPPROPRIATE_DATA otherwise). */
  dtbdPrefix?: string | undefined;
  /** How long a request waits for the person: 80 s (SIM) / 40 s (App) by default. */
  pendingTimeoutMs?: { sim: number; app: number } | undefined;
  /**
   * The signature profile the answers name per method: STK-LoA4 (SIM) and Device-LoA4 (App),
   * unless Swisscom configured a mapping for the AP (reference guide 3.2.1.1), e.g.
   * `http://mid.swisscom.ch/My-Custom-Profile` as in the recorded App2App answers.
   */
  reportedProfiles?: Partial<Record<Method, string>> | undefined;
  /** Clock (tests). */
  now?: (() => Date) | undefined;
  /** Path prefix of every route, e.g. "/simulators/mobileid"; "" by default. */
  basePath?: string | undefined;
}

export interface MobileIdSimulator {
  router: Router;
  /** The normalised path prefix ("" or "/something"). */
  basePath: string;
  /** Trust anchor of the sandbox user certificates. */
  rootCaPem: string;
  issuingCaPem: string;
  /** The virtual phone, for in-process tests. */
  phone: VirtualPhone;
  /** End pending requests (as expired) and stop timers. */
  close(): void;
}

export async function createMobileIdSimulator(opts: MobileIdSimulatorOptions = {}): Promise<MobileIdSimulator> {
  const now = opts.now ?? (() => new Date());
  const dir = simulatorDataDir(opts.dataDir, 'mobileid');
  const basePath = normaliseBasePath(opts.basePath);
  const pki = await loadOrCreatePki({ dir, now });
  const pendingTimeoutMs: Record<Method, number> = { ...DEFAULT_PENDING_TIMEOUT_MS, ...opts.pendingTimeoutMs };
  const state: SimulatorState = {
    pki,
    accounts: await AccountStore.open(pki, dir, now),
    transactions: new TransactionStore(now),
    now,
    pendingTimeoutMs,
    reportedProfiles: { sim: PROFILE.STK, app: PROFILE.DEVICE, ...opts.reportedProfiles },
  };
  const service = new MobileIdService(state, {
    apId: opts.apId,
    apPassword: opts.apPassword,
    dtbdPrefix: opts.dtbdPrefix,
    now,
  });
  const phone = new VirtualPhone(state);

  const router = routerAt(basePath);
  mountRestRoutes(router, service);
  mountPhoneRoutes(router, phone, {
    basePath,
    formToken: randomBytes(24).toString('base64url'),
    rootCaPem: pki.rootCaPem,
    now,
  });

  return {
    router,
    basePath,
    rootCaPem: pki.rootCaPem,
    issuingCaPem: pki.issuingCaPem,
    phone,
    close: () => state.transactions.close(),
  };
}
