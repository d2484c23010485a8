/**
 * After Mobile ID: does the user meet what the relying party asked for (acr_values, an essential
 * acr, the client's default and minimum)? If so the login finishes with that acr. If not, the
 * step-up page says why, what is done, what remains, and offers the choice of methods.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';

import type { Db } from '../db/index.js';
import { runWrites, type Write } from '../db/statements.js';
import { AppError } from '../errors.js';
import { loginNotFound } from '../mobileid/login.js';
import {
  evaluateLogin,
  fulfilledQors,
  loginFactsFromAmr,
  qoaSystemName,
  validVerifications,
  type LoginFacts,
  type MethodKind,
  type PolicyCatalogue,
  type PolicyRequest,
  type RequestEvaluation,
} from '../qor/index.js';
import { listVerifications, type MethodRegistry, type StepUpContext } from '../verification/index.js';
import { minimumAcrOf } from '../oidc/client-policy.js';
import type { GrantLoginDetails } from '../oidc/grant-logins.js';
import { hasMessage, translate } from '../web/i18n.js';
import { requestedValues } from './requested-acr.js';
import type { InteractionHelpers } from './router.js';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/** A finished first factor, waiting for the policy decision. */
export interface CompletedLogin {
  accountId: string;
  amr: string[];
  facts: LoginFacts;
  /** What goes with the grant besides the serial (src/oidc/grant-logins.ts). */
  details: GrantLoginDetails;
}

/** The policy step's view of a finished Mobile ID login (what it proved, for whom). */
export function firstFactor(
  accountId: string,
  login: { amr: string[]; serial: string; geofencedLevels?: string[] | undefined; location?: GrantLoginDetails['location'] | undefined },
): CompletedLogin {
  const geofencedLevels = login.geofencedLevels ?? [];
  return {
    accountId,
    amr: login.amr,
    facts: loginFactsFromAmr(login.amr, login.serial, geofencedLevels),
    details: { geofencedLevels, ...(login.location ? { location: login.location } : {}) },
  };
}

export interface StepUpDeps {
  db: Db;
  provider: Provider;
  methods: MethodRegistry;
  issuer: string;
  catalogue(): Promise<PolicyCatalogue>;
  /** The Mobile ID login of this interaction, once it is verified and the account known. */
  completedLogin(uid: string, loginId: string): Promise<CompletedLogin | undefined>;
}

/** The per-client minimum (client metadata `minimum_acr`), which editing the URL cannot lower. */
async function clientMinimum(provider: Provider, clientId: string): Promise<string | undefined> {
  return minimumAcrOf(await provider.Client.find(clientId));
}

export function stepUpPath(uid: string, loginId: string): string {
  return `/interaction/${uid}/stepup/${loginId}`;
}

/**
 * What the pages of a verification method (routes below `/interaction/:uid/stepup/:loginId/<method>/`)
 * need to know about the login they belong to.
 */
export interface StepUpAccess {
  /** The step-up context of the current request; a 404 page when the login is unknown or over. */
  current(ctx: Context): Promise<StepUpContext>;
}

/** Routes of a verification method's own pages, mounted on the interaction router. */
export type MethodRoutes = (router: Router, h: InteractionHelpers, stepUp: StepUpAccess) => void;

/** Message keys a method may show on the step-up page when it sends the user back (`?notice=`). */
const NOTICE_PREFIX = 'verification.';

/** The step-up page with a message on top (e.g. why a verification failed or was cancelled). */
export function stepUpNoticeUrl(returnUrl: string, noticeKey: string, kind: 'error' | 'info' = 'error'): string {
  return `${returnUrl}?${new URLSearchParams({ notice: noticeKey, kind })}`;
}

/** What the relying party asked for (acr_values, an essential acr) and the client's minimum. */
async function policyRequest(provider: Provider, details: Details): Promise<PolicyRequest> {
  const { values, essential } = requestedValues(details.params);
  return { values, essential, minimum: await clientMinimum(provider, String(details.params.client_id)) };
}

/** Whether the relying party asked for more than the first factor (acr values or a client minimum). */
const asksBeyondFirstFactor = (request: PolicyRequest): boolean => request.values.length > 0 || Boolean(request.minimum);

/** The acr of the first factor alone: its Level of Trust's system name. */
const baseAcr = (catalogue: PolicyCatalogue, login: CompletedLogin): string => qoaSystemName(catalogue, login.facts.qoaMethod) ?? login.facts.qoaMethod;

async function finishWith(h: InteractionHelpers, ctx: Context, login: CompletedLogin, acr: string, writes?: readonly Write[]): Promise<void> {
  // The serial goes with the grant: its tokens are evaluated for this login (src/oidc/grant-logins.ts).
  await h.finish(
    ctx,
    { login: { accountId: login.accountId, acr, amr: login.amr, remember: true, serial: login.facts.serial, details: login.details }, consent: {} },
    writes,
  );
}

/**
 * Right after the first factor, in the same request: the login finishes at once when the relying
 * party asked for nothing beyond it, or when the user's verifications already meet its request;
 * otherwise the browser goes to the step-up page. (The page decides the same way when it is
 * opened, e.g. after a reload.) `writes`, the first factor's own (the login, its audit event), are
 * committed with the finished interaction, or before the browser is sent to the step-up page.
 */
export async function continueLogin(
  deps: StepUpDeps,
  h: InteractionHelpers,
  ctx: Context,
  details: Details,
  login: CompletedLogin,
  loginId: string,
  writes: readonly Write[],
): Promise<void> {
  const request = await policyRequest(deps.provider, details);
  const catalogue = await deps.catalogue();
  if (!asksBeyondFirstFactor(request)) return finishWith(h, ctx, login, baseAcr(catalogue, login), writes);
  const evaluation = evaluateLogin(catalogue, await listVerifications(deps.db, login.accountId), login.facts, request);
  if (evaluation.satisfied) return finishWith(h, ctx, login, evaluation.satisfied, writes);
  await runWrites(deps.db, writes);
  ctx.status = 303;
  ctx.redirect(stepUpPath(details.uid, loginId));
}

export function stepUpRoutes(deps: StepUpDeps, methodRoutes: MethodRoutes[] = []) {
  const { db, provider, methods } = deps;

  return (router: Router, h: InteractionHelpers): void => {
    /** The interaction and its completed first factor; a 404 page when the login is unknown or over. */
    async function loginOf(ctx: Context): Promise<{ details: Details; login: CompletedLogin }> {
      const details = await h.details(ctx);
      const login = await deps.completedLogin(details.uid, ctx.params.loginId!);
      if (!login) throw loginNotFound();
      return { details, login };
    }

    async function context(ctx: Context) {
      const { details, login } = await loginOf(ctx);
      const catalogue = await deps.catalogue();
      const verifications = await listVerifications(db, login.accountId);
      const request = await policyRequest(provider, details);
      const evaluation = evaluateLogin(catalogue, verifications, login.facts, request);
      return { details, login, catalogue, verifications, evaluation, request, minimum: request.minimum };
    }

    function stepUpContext(ctx: Context, details: Details, login: CompletedLogin): StepUpContext {
      return {
        accountId: login.accountId,
        serial: login.facts.serial,
        interactionUid: details.uid,
        locale: h.locale(ctx, details),
        returnUrl: stepUpPath(details.uid, ctx.params.loginId!),
        issuer: deps.issuer,
      };
    }

    const access: StepUpAccess = {
      async current(ctx) {
        const { details, login } = await loginOf(ctx);
        return stepUpContext(ctx, details, login);
      },
    };
    for (const routes of methodRoutes) routes(router, h, access);

    router.get('/interaction/:uid/stepup/:loginId', async (ctx) => {
      const c = await context(ctx);
      if (!asksBeyondFirstFactor(c.request)) return finishWith(h, ctx, c.login, baseAcr(c.catalogue, c.login));
      if (c.evaluation.satisfied) return finishWith(h, ctx, c.login, c.evaluation.satisfied);
      const locale = h.locale(ctx, c.details);
      const client = await provider.Client.find(String(c.details.params.client_id));
      const pending = c.verifications.filter((v) => v.status === 'pending');
      const essential = c.evaluation.essential || Boolean(c.minimum);
      const notice = typeof ctx.query.notice === 'string' && ctx.query.notice.startsWith(NOTICE_PREFIX) && hasMessage(ctx.query.notice) ? ctx.query.notice : undefined;
      h.page(ctx, 'stepup.njk', locale, {
        clientName: client?.clientName ?? c.details.params.client_id,
        essential,
        done: doneList(c.catalogue, c.verifications, c.login, locale),
        options: optionList(c.evaluation, methods, locale),
        otherPerson: otherPersonHint(c.evaluation, locale),
        notice: notice && { text: translate(locale, notice), error: ctx.query.kind !== 'info' },
        pending: pending.map((v) => translate(locale, `verification.method.${v.method}`)),
        unreachable: c.evaluation.satisfied === undefined && c.evaluation.options.length === 0,
        startAction: `${stepUpPath(c.details.uid, ctx.params.loginId!)}/start`,
        continueAction: `${stepUpPath(c.details.uid, ctx.params.loginId!)}/continue`,
        abortAction: `/interaction/${c.details.uid}/abort`,
        csrf: h.csrf(c.details.uid),
      });
    });

    router.post('/interaction/:uid/stepup/:loginId/start', async (ctx) => {
      const c = await context(ctx);
      h.requireCsrf(ctx, c.details.uid);
      const id = String((ctx.request.body as Record<string, unknown>).method ?? '');
      const entry = methods.get(id);
      const offered = c.evaluation.satisfied === undefined && c.evaluation.options.some((o) => o.missing.some((clause) => entry && clause.includes(entry.kind)));
      if (!entry || !offered) throw new AppError({ code: 'method_not_offered', status: 400, messageKey: 'stepup.error.method' });
      const result = await entry.method.start(stepUpContext(ctx, c.details, c.login));
      if ('redirect' in result) {
        ctx.status = 303;
        return ctx.redirect(result.redirect);
      }
      const locale = h.locale(ctx, c.details);
      h.page(ctx, 'stepup_later.njk', locale, {
        message: translate(locale, result.later.messageKey, result.later.params),
        continueAction: `${stepUpPath(c.details.uid, ctx.params.loginId!)}/continue`,
        csrf: h.csrf(c.details.uid),
      });
    });

    /** Back to the service without meeting the request: the lower acr, or an error when essential. */
    router.post('/interaction/:uid/stepup/:loginId/continue', async (ctx) => {
      const c = await context(ctx);
      h.requireCsrf(ctx, c.details.uid);
      if (c.evaluation.satisfied) return finishWith(h, ctx, c.login, c.evaluation.satisfied);
      if (c.evaluation.essential || c.minimum) {
        return h.finish(ctx, {
          error: 'unmet_authentication_requirements',
          error_description: 'the requested level of trust or quality of registration is not met yet',
        });
      }
      return finishWith(h, ctx, c.login, baseAcr(c.catalogue, c.login));
    });
  };
}

function doneList(catalogue: PolicyCatalogue, verifications: Parameters<typeof validVerifications>[0], login: CompletedLogin, locale: Parameters<typeof translate>[0]): string[] {
  const valid = validVerifications(verifications, { now: new Date(), serial: login.facts.serial });
  return [
    translate(locale, 'stepup.done.mobileid'),
    ...fulfilledQors(catalogue, valid)
      .filter((q) => q.steps !== 1)
      .map((q) => translate(locale, q.nameKey)),
  ];
}

/**
 * Why a part the user already did is offered again: an AHV check made for another person than the
 * one the online or counter identification proved does not count (the AHV part remains).
 */
function otherPersonHint(evaluation: RequestEvaluation, locale: Parameters<typeof translate>[0]): string | undefined {
  if (evaluation.satisfied !== undefined) return undefined;
  return evaluation.options.some((o) => o.unmatched?.includes('ahv')) ? translate(locale, 'stepup.ahv_other_person') : undefined;
}

function optionList(evaluation: RequestEvaluation, methods: MethodRegistry, locale: Parameters<typeof translate>[0]) {
  if (evaluation.satisfied !== undefined) return [];
  return evaluation.options.map((o) => ({
    level: translate(locale, o.qor.nameKey),
    steps: o.missing.map((clause: MethodKind[]) => ({
      alternatives: clause.flatMap((kind) => methods.ofKind(kind).map((m) => ({ id: m.id, name: translate(locale, m.nameKey), kind }))),
      kinds: clause.map((k) => translate(locale, `stepup.kind.${k}`)),
    })),
  }));
}
