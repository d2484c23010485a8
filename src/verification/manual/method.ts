/** The counter as a verification method of the step-up page. */
import type { VerificationMethod } from '../method.js';
import { offerMac, type CounterKeys } from './reference.js';
import { COUNTER_METHOD_ID, type CounterService } from './service.js';

/**
 * Starting the counter: with an open case, its page (the document again); otherwise the form
 * for the identity to check, with the offer that proves the step-up page offered the counter.
 */
export function counterMethod(service: CounterService, keys: CounterKeys): VerificationMethod {
  return {
    id: COUNTER_METHOD_ID,
    nameKey: `verification.method.${COUNTER_METHOD_ID}`,
    async start(ctx) {
      if (await service.openCaseOf(ctx.accountId)) return { redirect: `${ctx.returnUrl}/counter/case` };
      return { redirect: `${ctx.returnUrl}/counter?${new URLSearchParams({ offer: offerMac(keys, ctx.interactionUid, ctx.accountId) })}` };
    },
  };
}
