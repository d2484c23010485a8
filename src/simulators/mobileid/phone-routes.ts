/**
 * Routes of the virtual phone:
 *   GET  <base>/phone                       the HTML page (?msisdn= to focus on one number)
 *   POST <base>/phone/{approve,cancel,methods,reactivate}   its forms (303 back to the page)
 *   JSON for automated tests under <base>/phone/api/ (see README.md)
 *   GET  <base>/root-ca.pem                 the sandbox trust anchor
 */
import type { Router } from '@koa/router';

import { HttpError, sameSecret, type AnyContext } from '../shared/http.js';
import { readFormBody, readJsonBody, sendJson } from './http.js';
import { renderPhonePage } from './phone-page.js';
import { PhoneError, phoneNumber, type ApproveOptions, type Target, type VirtualPhone } from './phone.js';

export interface PhoneRouteOptions {
  basePath: string;
  formToken: string;
  rootCaPem: string;
  now: () => Date;
}

const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

type JsonRecord = Record<string, unknown>;

function str(body: JsonRecord, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new PhoneError(400, `${key} must be a string`);
}

function num(body: JsonRecord, key: string): number | string | undefined {
  const v = body[key];
  return typeof v === 'number' ? v : str(body, key);
}

function flag(body: JsonRecord, key: string): boolean | undefined {
  const v = body[key];
  if (v === undefined || v === null || v === '') return undefined;
  return v === true || v === 'true' || v === 'on' || v === '1';
}

function targetOf(body: JsonRecord): Target {
  return { transId: str(body, 'transId'), msisdn: str(body, 'msisdn') };
}

function approveOptionsOf(body: JsonRecord): ApproveOptions {
  return {
    country: str(body, 'country'),
    accuracy: num(body, 'accuracy'),
    locationConfidence: num(body, 'locationConfidence'),
    deviceConfidence: num(body, 'deviceConfidence'),
    locationOff: flag(body, 'locationOff'),
    geofencingErrorCode: str(body, 'geofencingErrorCode'),
  };
}

function algorithmOf(body: JsonRecord): 'EC' | 'RSA' | undefined {
  const alg = str(body, 'algorithm')?.toUpperCase();
  if (alg === undefined || alg === '') return undefined;
  if (alg !== 'EC' && alg !== 'RSA') throw new PhoneError(400, 'algorithm must be EC or RSA');
  return alg;
}

async function jsonBody(ctx: AnyContext): Promise<JsonRecord> {
  // Requiring JSON keeps cross-site form posts (no preflight) away from the API.
  if (!ctx.is('application/json')) throw new HttpError(415, 'Expected application/json');
  const body = await readJsonBody(ctx);
  if (!body || typeof body.value !== 'object' || body.value === null || Array.isArray(body.value)) {
    throw new HttpError(400, 'Expected a JSON object');
  }
  return body.value as JsonRecord;
}

/** Run a JSON API action; PhoneError and HttpError become `{ error }` with their status. */
async function api(ctx: AnyContext, action: () => Promise<unknown>): Promise<void> {
  try {
    sendJson(ctx, 200, await action());
  } catch (err) {
    if (err instanceof PhoneError || err instanceof HttpError) sendJson(ctx, err.status, { error: err.message });
    else throw err;
  }
}

export function mountPhoneRoutes(router: Router, phone: VirtualPhone, opts: PhoneRouteOptions): void {
  const { basePath } = opts;

  router.get('/root-ca.pem', (ctx) => {
    ctx.type = 'application/x-pem-file';
    ctx.body = opts.rootCaPem;
  });

  router.get('/phone', async (ctx) => {
    const raw = typeof ctx.query['msisdn'] === 'string' ? ctx.query['msisdn'] : undefined;
    let msisdn: string | undefined;
    let notice = typeof ctx.query['notice'] === 'string' ? ctx.query['notice'] : undefined;
    try {
      msisdn = raw ? phoneNumber(raw) : undefined;
    } catch (err) {
      if (!(err instanceof PhoneError)) throw err;
      notice = err.message;
    }
    ctx.set('Content-Security-Policy', PAGE_CSP);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = renderPhonePage({
      basePath,
      formToken: opts.formToken,
      now: opts.now(),
      msisdn,
      notice,
      pending: phone.pending(msisdn),
      account: msisdn ? await phone.account(msisdn) : undefined,
      accounts: phone.accounts(),
      messages: phone.messages(msisdn),
    });
  });

  /** A page form: check the token, act, and send the person back to the page with a notice. */
  const formAction = (action: string, run: (body: JsonRecord) => Promise<string>) => {
    router.post(`/phone/${action}`, async (ctx) => {
      let notice: string;
      let back = '';
      try {
        const body = await readFormBody(ctx);
        back = body['back'] ?? '';
        if (!sameSecret(body['token'], opts.formToken)) throw new PhoneError(400, 'The form expired; reload the page.');
        notice = await run(body);
      } catch (err) {
        if (!(err instanceof PhoneError) && !(err instanceof HttpError)) throw err;
        notice = err.message;
      }
      const query = new URLSearchParams({ ...(back && { msisdn: back }), notice });
      ctx.status = 303;
      ctx.redirect(`${basePath}/phone?${query.toString()}`);
    });
  };

  formAction('approve', async (b) => {
    const item = await phone.approve(targetOf(b), approveOptionsOf(b));
    return item.kind === 'receipt' ? 'Receipt acknowledged.' : 'Request approved and signed.';
  });
  formAction('cancel', async (b) => {
    phone.cancel(targetOf(b));
    return 'Request cancelled.';
  });
  formAction('methods', async (b) => {
    const a = await phone.setMethods(str(b, 'msisdn') ?? '', { sim: flag(b, 'sim') ?? false, app: flag(b, 'app') ?? false });
    return `Methods saved: SIM ${a.sim ? 'on' : 'off'}, App ${a.app ? 'on' : 'off'}.`;
  });
  formAction('reactivate', async (b) => {
    const a = await phone.reactivate(str(b, 'msisdn') ?? '', { algorithm: algorithmOf(b) });
    return `Re-activated: new serial ${a.serial}.`;
  });

  router.get('/phone/api/pending', (ctx) =>
    api(ctx, async () => {
      const msisdn = typeof ctx.query['msisdn'] === 'string' && ctx.query['msisdn'] ? ctx.query['msisdn'] : undefined;
      return { pending: phone.pending(msisdn) };
    }),
  );
  router.get('/phone/api/account', (ctx) =>
    api(ctx, () => phone.account(typeof ctx.query['msisdn'] === 'string' ? ctx.query['msisdn'] : '')),
  );
  router.get('/phone/api/messages', (ctx) =>
    api(ctx, async () => ({
      messages: phone.messages(typeof ctx.query['msisdn'] === 'string' && ctx.query['msisdn'] ? ctx.query['msisdn'] : undefined),
    })),
  );
  router.post('/phone/api/approve', (ctx) =>
    api(ctx, async () => {
      const b = await jsonBody(ctx);
      return { approved: await phone.approve(targetOf(b), approveOptionsOf(b)) };
    }),
  );
  router.post('/phone/api/cancel', (ctx) =>
    api(ctx, async () => ({ cancelled: phone.cancel(targetOf(await jsonBody(ctx))) })),
  );
  router.post('/phone/api/reactivate', (ctx) =>
    api(ctx, async () => {
      const b = await jsonBody(ctx);
      return phone.reactivate(str(b, 'msisdn') ?? '', {
        algorithm: algorithmOf(b),
        ...(flag(b, 'sim') !== undefined && { sim: flag(b, 'sim') }),
        ...(flag(b, 'app') !== undefined && { app: flag(b, 'app') }),
      });
    }),
  );
  router.post('/phone/api/methods', (ctx) =>
    api(ctx, async () => {
      const b = await jsonBody(ctx);
      return phone.setMethods(str(b, 'msisdn') ?? '', { sim: flag(b, 'sim') ?? false, app: flag(b, 'app') ?? false });
    }),
  );
}
