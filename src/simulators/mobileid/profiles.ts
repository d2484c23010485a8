/**
 * Signature profile handling (reference guide 3.2.1 / 3.2.1.1): which method (SIM or App) a
 * request reaches and which profile the response names. AuthProfile1 is mapped to STK-LoA4, the
 * documented default mapping; Any-LoA4 prefers the SIM.
 */
import type { Method } from './accounts.js';
import { PROFILE } from './constants.js';
import { MssFault } from './faults.js';
import type { KeyAlgorithm } from './pki.js';

export interface ProfileCapabilities {
  sim: boolean;
  app: boolean;
  algorithm: KeyAlgorithm;
}

export interface ResolvedProfile {
  method: Method;
  /** The profile the response reports: STK-LoA4 for SIM, Device-LoA4 for App. */
  profile: string;
}

const SIM: ResolvedProfile = { method: 'sim', profile: PROFILE.STK };
const APP: ResolvedProfile = { method: 'app', profile: PROFILE.DEVICE };

export function resolveSignatureProfile(requested: string, user: ProfileCapabilities): ResolvedProfile {
  if (!user.sim && !user.app) throw new MssFault('105');
  const simOnly = (allowed = true): ResolvedProfile => {
    if (user.sim && allowed) return SIM;
    throw new MssFault('109');
  };
  switch (requested) {
    case PROFILE.AUTH_PROFILE_1:
    case PROFILE.STK:
      return simOnly();
    case PROFILE.AUTH_PROFILE_1_ECC:
      return simOnly(user.algorithm === 'EC');
    case PROFILE.AUTH_PROFILE_1_RSA:
      return simOnly(user.algorithm === 'RSA');
    case PROFILE.DEVICE:
      if (user.app) return APP;
      throw new MssFault('109');
    case PROFILE.ANY:
    case PROFILE.ANY_GEOFENCING:
      return user.sim ? SIM : APP;
    default:
      throw new MssFault('109');
  }
}

/** The profiles a Profile Query lists for a user (sorted like the recorded response). */
export function supportedProfiles(user: ProfileCapabilities): string[] {
  const profiles = new Set<string>();
  if (user.sim || user.app) profiles.add(PROFILE.ANY);
  if (user.sim) {
    profiles.add(PROFILE.AUTH_PROFILE_1);
    profiles.add(user.algorithm === 'EC' ? PROFILE.AUTH_PROFILE_1_ECC : PROFILE.AUTH_PROFILE_1_RSA);
    profiles.add(PROFILE.STK);
  }
  if (user.app) profiles.add(PROFILE.DEVICE);
  return [...profiles].sort();
}
