/**
 * Routes of the sandbox app and its control API:
 *   GET  <base>/app[?transactionReference=<authRef>]   the page (opening it for a request delivers it)
 *   POST <base>/app/{approve,decline}                  its forms (303 back to the page)
 *   GET  <base>/app/api/pending                        JSON: pending requests
 *   POST <base>/app/api/{approve,decline,reject,expire}  JSON {authRef, …person} (automation)
 *   POST <base>/app/api/faults                         JSON FaultPlan: outages / error answers
 *   DELETE <base>/app/api/faults                       clear them
 *   GET  <base>/root-ca.pem, <base>/jws-signing.pem    the sandbox trust: root CA; signing cert + issuing CA
 */
import type { Router } from '@koa/router';

import { HttpError, readBodyText, readFormBody, sameSecret, sendJson, type AnyContext } from '../shared/http.js';
import { renderAppPage } from './app-page.js';
import { OPERATIONS, type FaultPlan, type Faults } from './faults.js';
import type { FrejaSandboxPki } from './pki.js';
import { LEVELS, SimulatorError, type Level, type Person, type Transaction, type TransactionStore } from './transactions.js';

const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Who approves when the form says nothing else. */
export const DEFAULT_PERSON: Person = {
  givenNames: 'Anna Maria',
  surname: 'Muster',
  dateOfBirth: '1985-04-12',
  registrationLevel: 'EXTENDED',
};

export interface AppRouteOptions {
  basePath: string;
  formToken: string;
  pki: FrejaSandboxPki;
  now: () => Date;
}

function text(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new SimulatorError(400, `${key} must be a string`);
  return v.trim();
}

/** The approving person from a form or JSON body (defaults for what is left out). */
export function personOf(body: Record<string, unknown>): Person {
  const level = (text(body, 'registrationLevel') ?? DEFAULT_PERSON.registrationLevel).toUpperCase();
  if (!(LEVELS as readonly string[]).includes(level)) throw new SimulatorError(400, 'registrationLevel must be BASIC, EXTENDED or PLUS');
  const dateOfBirth = text(body, 'dateOfBirth') ?? DEFAULT_PERSON.dateOfBirth;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(dateOfBirth)) throw new SimulatorError(400, 'dateOfBirth must be YYYY-MM-DD');
  const ssn = text(body, 'ssn');
  const ssnCountry = text(body, 'ssnCountry')?.toUpperCase();
  if (ssn && !/^[A-Z]{2}$/.test(ssnCountry ?? '')) throw new SimulatorError(400, 'ssnCountry must be a two-letter country code');
  return {
    givenNames: text(body, 'givenNames') ?? DEFAULT_PERSON.givenNames,
    surname: text(body, 'surname') ?? DEFAULT_PERSON.surname,
    dateOfBirth,
    registrationLevel: level as Level,
    ...(ssn && ssnCountry ? { ssn: { country: ssnCountry, ssn } } : {}),
    ...(text(body, 'email') ? { email: text(body, 'email') } : {}),
  };
}

function summary(t: Transaction) {
  return { authRef: t.authRef, status: t.status, minRegistrationLevel: t.minRegistrationLevel, attributes: t.attributes, userInfoType: t.userInfoType, expiresAt: t.expiresAt.toISOString() };
}

function faultOf(body: Record<string, unknown>): FaultPlan {
  const operation = body.operation ?? 'any';
  if (operation !== 'any' && !(OPERATIONS as readonly unknown[]).includes(operation)) throw new SimulatorError(400, `operation must be any or one of ${OPERATIONS.join(', ')}`);
  const num = (key: string) => {
    const v = body[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new SimulatorError(400, `${key} must be a whole number`);
    return v;
  };
  const httpStatus = num('httpStatus');
  if (httpStatus !== undefined && (httpStatus < 400 || httpStatus > 599)) throw new SimulatorError(400, 'httpStatus must be 400..599');
  if (httpStatus === undefined && num('delayMs') === undefined) throw new SimulatorError(400, 'give httpStatus and/or delayMs');
  return { operation: operation as FaultPlan['operation'], httpStatus, code: num('code'), delayMs: num('delayMs'), times: num('times') ?? 1 };
}

/** The control API's JSON object body. */
async function readJsonObject(ctx: AnyContext): Promise<Record<string, unknown>> {
  // Requiring JSON keeps cross-site form posts (no preflight) away from the control API.
  if (!ctx.is('application/json')) throw new HttpError(415, 'Expected application/json');
  let value: unknown;
  try {
    value = JSON.parse(await readBodyText(ctx));
  } catch {
    throw new HttpError(400, 'Expected a JSON object');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HttpError(400, 'Expected a JSON object');
  return value as Record<string, unknown>;
}

export function mountAppRoutes(router: Router, store: TransactionStore, faults: Faults, opts: AppRouteOptions): void {
  const { basePath } = opts;

  router.get('/root-ca.pem', (ctx) => {
    ctx.type = 'application/x-pem-file';
    ctx.body = opts.pki.rootPem;
  });
  router.get('/jws-signing.pem', (ctx) => {
    ctx.type = 'application/x-pem-file';
    ctx.body = opts.pki.signingPem + opts.pki.issuingPem;
  });

  router.get('/app', (ctx) => {
    const ref = typeof ctx.query.transactionReference === 'string' ? ctx.query.transactionReference : undefined;
    let notice = typeof ctx.query.notice === 'string' ? ctx.query.notice.slice(0, 300) : undefined;
    let focus: Transaction | undefined;
    if (ref) {
      focus = store.get(ref);
      if (!focus) notice = 'This request does not exist (any more).';
      else if (focus.status === 'STARTED') store.deliver(ref);
    }
    ctx.set('Content-Security-Policy', PAGE_CSP);
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = renderAppPage({ basePath, formToken: opts.formToken, now: opts.now(), notice, focus, pending: store.pending(), person: DEFAULT_PERSON });
  });

  const formAction = (action: string, run: (authRef: string, body: Record<string, string>) => Promise<string>) => {
    router.post(`/app/${action}`, async (ctx) => {
      let notice: string;
      let authRef = '';
      try {
        const body = await readFormBody(ctx);
        authRef = body.authRef ?? '';
        if (!sameSecret(body.token, opts.formToken)) throw new SimulatorError(400, 'The form expired; reload the page.');
        notice = await run(authRef, body);
      } catch (err) {
        if (!(err instanceof SimulatorError) && !(err instanceof HttpError)) throw err;
        notice = err.message;
      }
      ctx.status = 303;
      ctx.redirect(`${basePath}/app?${new URLSearchParams({ ...(authRef && { transactionReference: authRef }), notice })}`);
    });
  };
  formAction('approve', async (authRef, body) => {
    await store.approve(authRef, personOf(body));
    return 'Approved. You can go back to the service.';
  });
  formAction('decline', async (authRef) => {
    store.decline(authRef);
    return 'Declined.';
  });

  const api = (method: 'get' | 'post' | 'delete', path: string, run: (ctx: AnyContext) => Promise<unknown>) => {
    router[method](`/app/api/${path}`, async (ctx) => {
      try {
        sendJson(ctx, 200, await run(ctx));
      } catch (err) {
        if (err instanceof SimulatorError || err instanceof HttpError) sendJson(ctx, err.status, { error: err.message });
        else throw err;
      }
    });
  };
  const refOf = (body: Record<string, unknown>) => {
    const ref = text(body, 'authRef') ?? store.pending()[0]?.authRef;
    if (!ref) throw new SimulatorError(404, 'No pending request.');
    return ref;
  };
  api('get', 'pending', async () => ({ pending: store.pending().map(summary) }));
  api('post', 'approve', async (ctx) => {
    const body = await readJsonObject(ctx);
    return { approved: summary(await store.approve(refOf(body), personOf(body))) };
  });
  api('post', 'decline', async (ctx) => ({ declined: summary(store.decline(refOf(await readJsonObject(ctx)))) }));
  api('post', 'reject', async (ctx) => ({ rejected: summary(store.reject(refOf(await readJsonObject(ctx)))) }));
  api('post', 'expire', async (ctx) => ({ expired: summary(store.expire(refOf(await readJsonObject(ctx)))) }));
  api('post', 'faults', async (ctx) => {
    faults.add(faultOf(await readJsonObject(ctx)));
    return { faults: faults.list() };
  });
  api('delete', 'faults', async () => {
    faults.clear();
    return { faults: [] };
  });
}
