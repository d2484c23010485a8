/**
 * The verification methods this server offers on the step-up page, each with its user pages
 * (below `/interaction/:uid/stepup/:loginId/<method>/`), its provider callbacks and its messages.
 * A method only appears when policies/qor.json names it in `verification.methods`.
 */
import type Router from '@koa/router';

import type { Config, Locale } from '../../config.js';
import type { Db } from '../../db/index.js';
import type { Logger } from '../../logger.js';
import type { Sandbox } from '../../sandbox/simulators.js';
import type { VerificationMethod } from '../../verification/index.js';
import type { MethodRoutes } from '../stepup.js';
import { srsFeature } from './srs.js';
import { frejaFeature } from './freja.js';
import { ahvFeature } from './ahv.js';
import { counterFeature } from './counter.js';

type Catalogue = Record<string, string>;

export interface VerificationFeature {
  methods: VerificationMethod[];
  /** The method's own pages during a login. */
  routes?: MethodRoutes;
  /** Routes outside a login: provider callbacks (e.g. `/callbacks/srs`), documents to print, … */
  routers?: Router[];
  /** The method's translations (en, de, fr, it). */
  messages?: Partial<Record<Locale, Catalogue>>;
  /** Stops background work and closes connections on shutdown. */
  close?(): Promise<void>;
}

export interface FeatureDeps {
  config: Config;
  db: Db;
  log: Logger;
  /** The simulators, in sandbox mode: the methods talk to them instead of the real services. */
  sandbox: Sandbox | undefined;
}

/** Every verification feature, built from the configuration. */
export async function verificationFeatures(deps: FeatureDeps): Promise<VerificationFeature[]> {
  const features: VerificationFeature[] = [];
  // One line per method (kept in this order: online methods first, as the step-up page lists them).
  void deps;
  features.push(await srsFeature(deps));
  features.push(await frejaFeature(deps));
  features.push(counterFeature(deps));
  features.push(await ahvFeature(deps));
  return features;
}
