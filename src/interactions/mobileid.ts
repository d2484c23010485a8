/**
 * The Mobile ID part of a login: phone number → "confirm on your phone" (transaction code,
 * status polling with a no-JavaScript refresh fallback) → done, cancelled, expired or failed.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { errors as oidcErrors } from 'oidc-provider';
import type Provider from 'oidc-provider';

import { compareSerial, findOrCreateAccount, pinSerial, recordLoginWrite, type SerialPolicy } from '../accounts/index.js';
import { audit, auditWrite } from '../audit/index.js';
import type { Db } from '../db/index.js';
import { runWrites, type Write } from '../db/statements.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { maskMsisdn } from '../mobileid/index.js';
import { loginNotFound, type LoginState, type MobileIdLogins } from '../mobileid/login.js';
import { geofenceFor, geofencedLevelsMet, type GeofencedLevel, type MobileIdPolicy } from '../mobileid/policy.js';
import { translate } from '../web/i18n.js';
import { markRoutine } from '../web/security.js';
import { minimumAcrOf } from '../oidc/client-policy.js';
import { requestedValues } from './requested-acr.js';
import type { InteractionHelpers } from './router.js';
import { firstFactor, type CompletedLogin } from './stepup.js';

export interface MobileIdRouteDeps {
  db: Db;
  provider: Provider;
  logins: MobileIdLogins;
  policy: MobileIdPolicy;
  /** The Levels of Trust with their geofencing thresholds (from the policy tables). */
  levels(): Promise<GeofencedLevel[]>;
  /** Where the login continues once the account is known: the policy (step-up) step. */
  stepUpPath(uid: string, loginId: string): string;
  /** The policy step, in the request that finished the account step (src/interactions/stepup.ts). */
  continueLogin(h: InteractionHelpers, ctx: Context, details: Details, login: CompletedLogin, loginId: string, writes: readonly Write[]): Promise<void>;
  serialPolicy: SerialPolicy;
  /** How often the waiting page asks for the state, in ms. */
  pagePollMs: number;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

export function mobileIdRoutes(deps: MobileIdRouteDeps) {
  const { db, provider, logins, policy } = deps;

  return (router: Router, h: InteractionHelpers): void => {
    async function loginPage(ctx: Context, details: Details, status: number, error: string | undefined, phone: string) {
      const locale = h.locale(ctx, details);
      const client = await provider.Client.find(String(details.params.client_id));
      ctx.status = status;
      h.page(ctx, 'login.njk', locale, {
        action: `/interaction/${details.uid}/login`,
        abortAction: `/interaction/${details.uid}/abort`,
        csrf: h.csrf(details.uid),
        clientName: client?.clientName,
        phone,
        error,
      });
    }

    router.post('/interaction/:uid/login', async (ctx) => {
      const details = await h.details(ctx);
      h.requireCsrf(ctx, details.uid);
      const locale = h.locale(ctx, details);
      const body = ctx.request.body as Record<string, unknown>;
      const phone = typeof body.phone === 'string' ? body.phone.slice(0, 40) : '';
      const clientId = String(details.params.client_id);
      const client = await provider.Client.find(clientId);
      const minimum = minimumAcrOf(client);
      const requested = [...requestedValues(details.params).values, ...(minimum ? [minimum] : [])];
      const thresholds = geofenceFor(policy, await deps.levels(), clientId, requested);
      try {
        const state = await logins.start({
          interactionUid: details.uid,
          clientId,
          serviceName: client?.clientName ?? clientId,
          phone,
          locale,
          clientIp: ctx.ip,
          geofence: thresholds,
          log: ctx.state.log as Logger,
        });
        ctx.status = 303;
        ctx.redirect(`/interaction/${details.uid}/mobileid/${state.id}`);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        (ctx.state.log as Logger).info({ code: err.code, detail: err.detail }, 'mobile id login not started');
        const message = err.code === 'invalid_msisdn' ? translate(locale, 'login.invalid_phone') : translate(locale, err.messageKey, err.params);
        await loginPage(ctx, details, err.status >= 500 ? 503 : err.status === 409 || err.status === 429 ? err.status : 400, message, phone);
      }
    });

    router.get('/interaction/:uid/mobileid/:id', async (ctx) => {
      // The interaction is loaded only to finish the login; waiting and failure pages need the
      // browser's interaction cookie and the language the login was started in.
      const uid = browserInteraction(ctx);
      const state = await ownState(ctx, uid, ctx.params.id!, true);
      if (state.status === 'signed') return finishLogin(ctx, await h.details(ctx), state);
      if (state.status === 'completed') {
        ctx.status = 303;
        return ctx.redirect(deps.stepUpPath(uid, state.id));
      }
      const locale = h.locale(ctx, { params: { ui_locales: state.locale } });
      if (state.status === 'failed') {
        ctx.status = 200;
        return h.page(ctx, 'mobileid_failed.njk', locale, {
          message: translate(locale, state.error?.messageKey ?? 'mobileid.error.unavailable', state.error?.params),
          advice: state.error?.adviceKey ? translate(locale, state.error.adviceKey) : undefined,
          code: state.error?.providerCode ?? state.error?.code,
          retry: `/interaction/${uid}`,
          abortAction: `/interaction/${uid}/abort`,
          csrf: h.csrf(uid),
        });
      }
      h.page(ctx, 'mobileid_wait.njk', locale, {
        code: state.transactionCode,
        phone: state.maskedMsisdn,
        method: state.method,
        statusUrl: `/interaction/${uid}/mobileid/${state.id}/status`,
        pageUrl: `/interaction/${uid}/mobileid/${state.id}`,
        retry: `/interaction/${uid}`,
        pollMs: deps.pagePollMs,
        refreshSeconds: Math.max(2, Math.round(deps.pagePollMs / 1000)),
      });
    });

    router.get('/interaction/:uid/mobileid/:id/status', async (ctx) => {
      // Polled every second or two by the waiting page: logged at debug unless it fails (a login's
      // start and outcome are logged at info).
      markRoutine(ctx);
      const state = await ownState(ctx, browserInteraction(ctx), ctx.params.id!);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { status: state.status, expiresAt: state.expiresAt.toISOString() };
    });

    /**
     * The interaction of the URL, when the browser's signed interaction cookie names it (the check
     * oidc-provider makes before loading an interaction), without loading it.
     */
    function browserInteraction(ctx: Context): string {
      const uid = ctx.cookies.get(provider.cookieName('interaction'));
      if (!uid || uid !== ctx.params.uid) throw new oidcErrors.SessionNotFound('interaction session id cookie not found');
      return uid;
    }

    /**
     * The login state, refreshed from Mobile ID when due; only for the interaction that started it.
     * `finishing`: a signature verified now is finished in this request and stored with the account step.
     */
    async function ownState(ctx: Context, uid: string, id: string, finishing = false): Promise<LoginState> {
      const state = await logins.check(id, { finishing, log: ctx.state.log as Logger });
      if (state.interactionUid !== uid) throw loginNotFound();
      return state;
    }

    async function finishLogin(ctx: Context, details: Details, verified: LoginState): Promise<void> {
      // Which Levels of Trust the location (if one was asked for) satisfies, each by its own thresholds.
      const signed = verified.result!;
      const geofencedLevels = signed.location
        ? geofencedLevelsMet(policy, await deps.levels(), String(details.params.client_id), signed.location, new Date(signed.signedAt))
        : [];
      const result = { ...signed, geofencedLevels };
      const state: LoginState = { ...verified, result };
      const log = ctx.state.log as Logger;
      const { account, created } = await findOrCreateAccount(db, result.msisdn, result.serial, state.account);
      const check = compareSerial(account.mobileidSerial, result.serial);
      let serialMismatch = false;
      if (check === 'first') await pinSerial(db, account.id, result.serial);
      if (check === 'mismatch') {
        serialMismatch = true;
        await audit(db, {
          actor: `account:${account.id}`,
          action: 'mobileid.serial_mismatch',
          subject: `account:${account.id}`,
          before: { serial: account.mobileidSerial },
          after: { serial: result.serial },
          detail: { policy: deps.serialPolicy, msisdn: maskMsisdn(result.msisdn) },
        });
        log.warn({ account: account.id, policy: deps.serialPolicy }, 'mobile id serial mismatch');
        if (deps.serialPolicy === 'reject') {
          await logins.refuse(state.id, { code: 'serial_mismatch', messageKey: 'mobileid.serial.rejected' }, log);
          throw new AppError({ code: 'serial_mismatch', status: 403, messageKey: 'mobileid.serial.rejected' });
        }
      }
      // The login, its audit event and the hand-over to the policy step (with the verified
      // signature, when this request verified it): written together, with the finished
      // interaction when the login finishes here, or not at all.
      const writes = [
        recordLoginWrite(db, account.id, {
          method: result.method,
          serial: result.serial,
          serialMismatch,
          amr: result.amr,
          location: result.location,
          at: result.signedAt,
        }),
        auditWrite(db, {
          actor: `account:${account.id}`,
          action: created ? 'account.created' : 'login',
          subject: `account:${account.id}`,
          detail: { method: result.method, client: details.params.client_id, serialMismatch },
        }),
        logins.completedWrite(state, account.id),
      ];
      if (serialMismatch) {
        // Downgrade: the login goes through, but the user is told why verifications need redoing.
        await runWrites(db, writes);
        logins.sendReceipt(state, log);
        return h.page(ctx, 'mobileid_serial.njk', h.locale(ctx, details), { continueUrl: deps.stepUpPath(details.uid, state.id) });
      }
      await deps.continueLogin(h, ctx, details, firstFactor(account.id, result), state.id, writes);
      logins.sendReceipt(state, log);
    }
  };
}
