/** The REST endpoints of the Mobile ID API: POST <base>/rest/service/{sign,status,receipt,profile}. */
import type { Router } from '@koa/router';

import { HttpError } from '../shared/http.js';
import { readJsonBody, sendJson } from './http.js';
import { MobileIdService, type MssReply } from './service.js';

export function mountRestRoutes(router: Router, service: MobileIdService): void {
  const operations: Record<string, (body: unknown) => Promise<MssReply>> = {
    sign: (b) => service.sign(b),
    status: (b) => service.status(b),
    receipt: (b) => service.receipt(b),
    profile: (b) => service.profile(b),
  };
  for (const [name, operation] of Object.entries(operations)) {
    router.post(`/rest/service/${name}`, async (ctx) => {
      let reply: MssReply;
      try {
        const body = await readJsonBody(ctx);
        reply = body ? await operation(body.value) : MobileIdService.malformed();
      } catch (err) {
        if (!(err instanceof HttpError)) throw err;
        reply = MobileIdService.malformed();
      }
      sendJson(ctx, reply.status, reply.body);
    });
  }
}
