/** The SRS verification methods on the step-up page: video identification and bank identification. */
import type { VerificationMethod } from '../method.js';
import type { SrsIdentifications } from './identifications.js';
import type { SrsPolicy } from './policy.js';

export const SRS_METHOD_IDS = ['srs-video', 'srs-bank'] as const;

/** The path of an identification's page, below the step-up page. */
export function srsPagePath(returnUrl: string, identificationId: string): string {
  return `${returnUrl}/srs/${identificationId}`;
}

export function srsMethods(identifications: SrsIdentifications, policy: SrsPolicy): VerificationMethod[] {
  return SRS_METHOD_IDS.filter((id) => policy.methods[id]).map((id) => ({
    id,
    nameKey: `verification.method.${id}`,
    async start(ctx) {
      const identification = await identifications.prepare(ctx, id);
      return { redirect: srsPagePath(ctx.returnUrl, identification.id) };
    },
  }));
}
