/**
 * The SRS simulator as a koa router under a base path (e.g. `/srs`):
 *
 *   POST <base>/oauth/token                      OAuth2 client credentials (Basic, body or query)
 *   GET  <base>/api/providers?…                  method catalogue with the documented filters
 *   POST <base>/api/providers/{issuer}/{method}  start an identification → refId, targetURL
 *   GET  <base>/api/identifications/{refId}      status history (+ identificationData when ready)
 *   POST <base>/ras/api/evidences/verify         the verify call (no authentication)
 *   GET  <base>/.well-known/jwks.json            the keys of the partner's callback JWTs
 *   GET  <base>/isp/{token}                      the partner's page: the "Define Identity" test form
 *   POST <base>/isp/{token}                      its submission: status, evidence, signed callback
 */
import { randomBytes } from 'node:crypto';

import type { Router } from '@koa/router';

import { HttpError, sameSecret, sendJson, type AnyContext } from '../shared/http.js';
import { normaliseBasePath, routerAt } from '../shared/router.js';
import { createSigningKey, deliverCallback, signCallback } from './callback.js';
import { DEFAULT_CATALOGUE, filterCatalogue, type ProviderEntry } from './catalogue.js';
import { readForm, readJsonObject } from './http.js';
import { renderDefineIdentity, renderNotFound } from './isp-page.js';
import { FORM_STATUSES, newEvidenceId, newSerialNumber, SimState, STATUS, type IdentityData, type SimIdentification, type WireStatus } from './state.js';

const PROVIDER_TYPE = 'application/vnd.sc.miss.provider.v1+json';
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export interface SrsSimulatorOptions {
  basePath?: string | undefined;
  /** The OAuth2 client accepted at the token endpoint; a random secret when absent. */
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  /** `iss` of the callback JWTs. */
  callbackIssuer?: string | undefined;
  tokenTtlSeconds?: number | undefined;
  catalogue?: readonly ProviderEntry[] | undefined;
  now?: (() => Date) | undefined;
}

export interface SrsSimulator {
  router: Router;
  basePath: string;
  clientId: string;
  clientSecret: string;
  callbackIssuer: string;
  state: SimState;
  /** The URLs and credentials a client needs, given the origin the router is served on. */
  endpoints(origin: string): { url: string; tokenUrl: string; rasUrl: string; clientId: string; clientSecret: string; callbackIssuer: string; callbackJwksUrl: string };
  close(): void;
}

const text = (v: unknown, max = 200): string => (typeof v === 'string' ? v.trim().slice(0, max) : '');
const digits = (v: string) => v.replace(/\D/g, '');
const norm = (v: string) => v.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();

/** The attributes of a distinguished name such as `gn=Hans, sn=Müller, cn=Hans Müller, c=CH`. */
export function parseDn(dn: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of dn.split(/(?<!\\),/)) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    out[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim().replace(/\\(.)/g, '$1');
  }
  return out;
}

export async function createSrsSimulator(opts: SrsSimulatorOptions = {}): Promise<SrsSimulator> {
  const basePath = normaliseBasePath(opts.basePath);
  const now = opts.now ?? (() => new Date());
  const clientId = opts.clientId ?? 'servicecore-sandbox';
  const clientSecret = opts.clientSecret ?? randomBytes(18).toString('base64url');
  const callbackIssuer = opts.callbackIssuer ?? 'urn:servicecore:sandbox:srs-isp';
  const tokenTtl = opts.tokenTtlSeconds ?? 3600;
  const catalogue = opts.catalogue ?? DEFAULT_CATALOGUE;
  const state = new SimState(now);
  const key = await createSigningKey();
  const router = routerAt(basePath);

  function bearer(ctx: AnyContext): void {
    const m = /^Bearer (\S+)$/i.exec(ctx.get('authorization'));
    if (!m || !state.tokenValid(m[1]!)) throw new HttpError(401, 'invalid_token');
  }

  async function handle(ctx: AnyContext, action: () => Promise<void> | void): Promise<void> {
    try {
      await action();
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      if (err.status === 401) ctx.set('WWW-Authenticate', `Bearer error="${err.message}"`);
      sendJson(ctx, err.status, { error: err.message });
    }
  }

  router.post('/oauth/token', (ctx) =>
    handle(ctx, async () => {
      const form = ctx.is('application/x-www-form-urlencoded') ? await readForm(ctx) : {};
      const q = ctx.query as Record<string, string | undefined>;
      let id = form.client_id ?? q.client_id;
      let secret = form.client_secret ?? q.client_secret;
      const basic = /^Basic (\S+)$/i.exec(ctx.get('authorization'));
      if (basic) {
        const [u, p] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
        id = decodeURIComponent((u ?? '').replace(/\+/g, ' '));
        secret = decodeURIComponent((p ?? '').replace(/\+/g, ' '));
      }
      const grant = form.grant_type ?? q.grant_type;
      if (grant !== 'client_credentials') throw new HttpError(400, 'unsupported_grant_type');
      if (!sameSecret(id, clientId) || !sameSecret(secret, clientSecret)) throw new HttpError(401, 'invalid_client');
      ctx.set('Cache-Control', 'no-store');
      sendJson(ctx, 200, { access_token: state.issueToken(tokenTtl), token_type: 'bearer', expires_in: tokenTtl, scope: form.scope ?? q.scope ?? 'miss' });
    }),
  );

  router.get('/api/providers', (ctx) =>
    handle(ctx, () => {
      bearer(ctx);
      state.stats.catalogue += 1;
      sendJson(ctx, 200, filterCatalogue(catalogue, ctx.query as Record<string, string | undefined>), PROVIDER_TYPE);
    }),
  );

  router.post('/api/providers/:issuer/:method', (ctx) =>
    handle(ctx, async () => {
      bearer(ctx);
      const body = await readJsonObject(ctx);
      const issuer = ctx.params.issuer!;
      const method = ctx.params.method!;
      const entry = catalogue.find((e) => e.issuer.toLowerCase() === issuer.toLowerCase() && e.realtimeMethods.some((m) => m.toLowerCase() === method.toLowerCase()));
      if (!entry) return sendJson(ctx, 404, { refId: null, error: `unknown method ${method} of ${issuer}`, targetURL: null }, PROVIDER_TYPE);
      const mobile = text(body.mobile, 20);
      if (!/^\+?\d{7,15}$/.test(mobile)) return sendJson(ctx, 400, { refId: null, error: 'mobile is missing or invalid', targetURL: null }, PROVIDER_TYPE);
      for (const required of ['firstName', 'lastName', 'dob']) {
        if (!text(body[required])) return sendJson(ctx, 400, { refId: null, error: `${required} is missing`, targetURL: null }, PROVIDER_TYPE);
      }
      const callbackUrl = text(body.callbackUrl, 2000) || undefined;
      const initial = Object.fromEntries(
        ['firstName', 'lastName', 'dob', 'nationality', 'email', 'language', 'externalId'].map((k) => [k, text(body[k])]).filter(([, v]) => v),
      );
      const i = state.create({ issuer: entry.issuer, method, loa: entry.loa, jurisdiction: entry.jurisdiction, mobile: `+${digits(mobile)}`, initial, callbackUrl });
      state.stats.starts += 1;
      sendJson(ctx, 200, { refId: i.refId, error: null, targetURL: `${ctx.protocol}://${ctx.host}${basePath}/isp/${i.pageToken}` }, PROVIDER_TYPE);
    }),
  );

  router.get('/api/identifications/:refId', (ctx) =>
    handle(ctx, () => {
      bearer(ctx);
      state.stats.statusQueries += 1;
      const i = state.identifications.get(ctx.params.refId!);
      if (!i) throw new HttpError(404, 'unknown refId');
      const ready = i.statuses.some((s) => s.status === STATUS.dataReady);
      sendJson(ctx, 200, {
        refId: i.refId,
        orderId: i.orderId,
        issuer: i.issuer,
        adapter: 'fake',
        method: i.method,
        mobile: i.mobile,
        evidenceId: i.evidenceId,
        statuses: i.statuses,
        // Identification data for the service provider (an AML contract with the partner), once the evidence is in.
        ...(ready && i.identity
          ? { identificationData: { firstName: i.identity.firstName, lastName: i.identity.lastName, dob: i.identity.dob, nationality: i.identity.nationality } }
          : {}),
      });
    }),
  );

  router.post('/ras/api/evidences/verify', (ctx) =>
    handle(ctx, async () => {
      const body = await readJsonObject(ctx);
      state.stats.verifies += 1;
      const msisdn = digits(text(body.msisdn, 20));
      const evidence = state.evidences.get(msisdn);
      const loa = Number(body.assuranceLevel ?? 0);
      const jurisdiction = text(body.jurisdiction, 16).toUpperCase();
      const dn = parseDn(text(body.distinguishedName, 1000));
      const matches =
        evidence &&
        evidence.termsAccepted &&
        evidence.loa >= loa &&
        (!jurisdiction || evidence.jurisdictions.includes(jurisdiction)) &&
        (!dn.sn || norm(dn.sn) === norm(evidence.identity.lastName)) &&
        (!dn.gn || norm(dn.gn) === norm(evidence.identity.firstName));
      if (!matches) return sendJson(ctx, 404, { error: 'no matching evidence' });
      sendJson(ctx, 200, { evidenceId: evidence.evidenceId, vetterMsisdn: evidence.msisdn, serialNumber: evidence.serialNumber }, 'application/vnd.sc.ras.evidence.v1+json');
    }),
  );

  router.get('/.well-known/jwks.json', (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    sendJson(ctx, 200, { keys: [key.publicJwk] });
  });

  /** The form, with the SMS terms link while the evidence waits for it. */
  function defineIdentity(i: SimIdentification, notice?: string): string {
    const evidence = i.identity && i.evidenceId ? state.evidences.get(digits(i.identity.mobile)) : undefined;
    return renderDefineIdentity(i, `${basePath}/isp/${i.pageToken}`, notice, evidence?.evidenceId === i.evidenceId && evidence?.termsAccepted === false);
  }

  function ispPage(ctx: AnyContext, status: number, html: string): void {
    ctx.status = status;
    ctx.set('Content-Security-Policy', PAGE_CSP);
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = html;
  }

  router.get('/isp/:token', (ctx) => {
    const i = state.byPageToken.get(ctx.params.token!);
    if (!i) return ispPage(ctx, 404, renderNotFound());
    ispPage(ctx, 200, defineIdentity(i));
  });

  router.post('/isp/:token', async (ctx) => {
    const i = state.byPageToken.get(ctx.params.token!);
    if (!i) return ispPage(ctx, 404, renderNotFound());
    let form: Record<string, string>;
    try {
      form = await readForm(ctx);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      return ispPage(ctx, err.status, renderNotFound());
    }
    const status = FORM_STATUSES.find((s) => s === form.status) as WireStatus | undefined;
    if (!status) return ispPage(ctx, 400, defineIdentity(i, 'Pick a status of identity.'));
    const identity: IdentityData = {
      firstName: text(form.firstName),
      lastName: text(form.lastName),
      dob: text(form.dob, 10),
      nationality: text(form.nationality, 2).toUpperCase(),
      email: text(form.email),
      mobile: text(form.mobile, 20) || i.mobile,
      placeOfBirth: text(form.placeOfBirth),
      idCardNumber: text(form.idCardNumber, 40),
      validUntil: text(form.validUntil, 10),
    };
    i.identity = identity;
    if (status === STATUS.dataReady) {
      // The partner signs the evidence and imports it into Swisscom's evidence database.
      const previous = state.evidences.get(digits(identity.mobile));
      i.evidenceId = newEvidenceId();
      state.evidences.set(digits(identity.mobile), {
        evidenceId: i.evidenceId,
        serialNumber: previous?.serialNumber ?? newSerialNumber(),
        msisdn: digits(identity.mobile),
        loa: i.loa,
        jurisdictions: i.jurisdiction.split(',').map((j) => j.trim().toUpperCase()),
        identity,
        termsAccepted: form.termsAccepted === '1',
      });
    }
    if (status !== STATUS.waitingForDoc && status !== STATUS.identificationDone && status !== STATUS.error) state.addStatus(i, STATUS.terminated);
    state.addStatus(i, status);
    let notice = `Status set to "${status}".`;
    if (form.callback === '1' && i.callbackUrl) {
      const jwt = await signCallback(key, callbackIssuer, i, now());
      const result = await deliverCallback(i.callbackUrl, jwt);
      state.stats.callbacks += 1;
      i.lastCallback = { at: now().toISOString(), result };
      notice += ` Callback to the service provider: ${result}.`;
    } else {
      notice += ' No callback sent: the service provider will see the status when it polls.';
    }
    ispPage(ctx, 200, defineIdentity(i, notice));
  });

  /** The SMS link of the terms of use: accepting them completes the evidence. */
  router.post('/isp/:token/terms', async (ctx) => {
    const i = state.byPageToken.get(ctx.params.token!);
    const evidence = i?.identity && state.evidences.get(digits(i.identity.mobile));
    if (!i || !evidence) return ispPage(ctx, 404, renderNotFound());
    evidence.termsAccepted = true;
    ispPage(ctx, 200, defineIdentity(i, 'Terms of use accepted.'));
  });

  return {
    router,
    basePath,
    clientId,
    clientSecret,
    callbackIssuer,
    state,
    endpoints: (origin) => ({
      url: `${origin}${basePath}`,
      tokenUrl: `${origin}${basePath}/oauth/token`,
      rasUrl: `${origin}${basePath}/ras`,
      clientId,
      clientSecret,
      callbackIssuer,
      callbackJwksUrl: `${origin}${basePath}/.well-known/jwks.json`,
    }),
    close: () => undefined,
  };
}
