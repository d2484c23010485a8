/**
 * The AHV register check during a login: the step-up page sends the user to
 * `/interaction/:uid/stepup/:loginId/ahv`, a form for the AHV number (and the names and date of
 * birth the user's other verification did not prove). The number is validated on the page before
 * anything is sent; whether the number was confirmed, or why the register gave no answer, is shown
 * on the step-up page. A number that is not confirmed gets one message whatever the reason (not
 * known, replaced, cancelled, another person's, a holder who has died): the precise outcome is in
 * the verification record and the audit only, so the page tells nobody anything about the holder
 * of a number that is not theirs.
 */
import path from 'node:path';

import type { Context } from 'koa';

import { readTlsFiles } from '../../config.js';
import { ConfigError, AppError } from '../../errors.js';
import { loadQorPolicy } from '../../qor/index.js';
import { parseClaimedIdentity, type IdentityErrors } from '../../verification/identity.js';
import {
  AHV_MESSAGES,
  AHV_METHOD_ID,
  AhvCheckService,
  AhvNumberCipher,
  fieldsToEnter,
  parseAhvn13,
  provenPerson,
  UpiClient,
  UpiError,
  type PersonField,
  type ProvenPerson,
} from '../../verification/ahv/index.js';
import { listVerifications, type StepUpContext, type VerificationMethod } from '../../verification/index.js';
import { isLocale, translate } from '../../web/i18n.js';
import { stepUpNoticeUrl, type MethodRoutes } from '../stepup.js';
import type { FeatureDeps, VerificationFeature } from './index.js';

const FORM_FIELD: Record<PersonField, 'given_names' | 'family_name' | 'birth_date'> = {
  givenNames: 'given_names',
  familyName: 'family_name',
  birthDate: 'birth_date',
};

const LABEL: Record<PersonField, string> = {
  givenNames: 'identity.given_names',
  familyName: 'identity.family_name',
  birthDate: 'identity.birth_date',
};

function upiClient(deps: FeatureDeps, url: string): UpiClient {
  const c = deps.config.upi;
  if (!c.senderId || !c.spidCategory) throw new ConfigError('Invalid configuration: UPI_SENDER_ID and UPI_SPID_CATEGORY are required with UPI_URL');
  if (!c.clientCertFile !== !c.clientKeyFile) throw new ConfigError('Invalid configuration: UPI_CLIENT_CERT_FILE and UPI_CLIENT_KEY_FILE must be set together');
  return new UpiClient({
    url,
    senderId: c.senderId,
    spidCategory: c.spidCategory,
    testDeliveryFlag: c.testDeliveryFlag,
    timeoutMs: c.timeoutMs,
    ...readTlsFiles(c, 'UPI'),
  });
}

type FormValues = Partial<Record<'ahv_number' | 'given_names' | 'family_name' | 'birth_date', string>>;

/** The identity to check: proven fields from the verification, the others from the form. */
function personFrom(body: FormValues, proven: ProvenPerson | undefined, enter: readonly PersonField[]) {
  const merged: Record<string, unknown> = { ...body };
  for (const field of Object.keys(FORM_FIELD) as PersonField[]) {
    const known = proven?.known[field];
    if (known !== undefined) merged[FORM_FIELD[field]] = known;
  }
  const parsed = parseClaimedIdentity(merged);
  if (parsed.identity) return { person: parsed.identity };
  const errors: IdentityErrors = {};
  for (const field of enter) if (parsed.errors[field]) errors[field] = parsed.errors[field];
  if (Object.keys(errors).length) return { errors };
  // Only proven values failed the form's rules (a provider's spelling): check them as proven.
  const text = (key: string) => String(merged[key] ?? '').trim().replace(/\s+/g, ' ');
  return { person: { givenNames: text('given_names'), familyName: text('family_name'), birthDate: text('birth_date') } };
}

export async function ahvFeature(deps: FeatureDeps): Promise<VerificationFeature> {
  const url = deps.config.upi.url ?? deps.sandbox?.upiUrl;
  if (!url) {
    deps.log.warn('UPI_URL is not set: the AHV register check is not offered');
    return { methods: [], messages: AHV_MESSAGES };
  }
  const client = upiClient(deps, url);
  const { validityDays } = loadQorPolicy(path.join(deps.config.policyDir, 'qor.json')).verification;
  const service = new AhvCheckService({
    db: deps.db,
    register: client,
    cipher: new AhvNumberCipher(deps.config.keyEncryptionKey),
    validityDays,
    rateLimit: deps.config.upi.rateLimitPerAccount,
    log: deps.log,
  });

  const method: VerificationMethod = {
    id: AHV_METHOD_ID,
    nameKey: `verification.method.${AHV_METHOD_ID}`,
    async start(ctx) {
      return { redirect: `${ctx.returnUrl}/ahv` };
    },
  };

  const routes: MethodRoutes = (router, h, stepUp) => {
    const PATH = '/interaction/:uid/stepup/:loginId/ahv';

    async function situation(ctx: Context) {
      const sc = await stepUp.current(ctx);
      const verifications = await listVerifications(deps.db, sc.accountId);
      const proven = provenPerson(verifications, { now: new Date(), serial: sc.serial });
      return { sc, proven, enter: fieldsToEnter(proven) };
    }

    /** The page language of the login (ui_locales, then the browser's languages). */
    const localeOf = (ctx: Context, sc: StepUpContext) => (isLocale(sc.locale) ? sc.locale : h.locale(ctx));

    function form(
      ctx: Context,
      s: { sc: StepUpContext; proven: ProvenPerson | undefined; enter: PersonField[] },
      values: FormValues = {},
      errors: Record<string, string> = {},
    ) {
      const known = s.proven?.known ?? {};
      h.page(ctx, 'verification/ahv.njk', localeOf(ctx, s.sc), {
        action: `${s.sc.returnUrl}/ahv`,
        backUrl: s.sc.returnUrl,
        csrf: h.csrf(s.sc.interactionUid),
        number: values.ahv_number ?? '',
        proven: (Object.keys(LABEL) as PersonField[]).filter((f) => known[f] !== undefined).map((f) => ({ label: LABEL[f], value: known[f] })),
        enter: s.enter,
        values,
        errors,
      });
    }

    router.get(PATH, async (ctx) => {
      form(ctx, await situation(ctx));
    });

    router.post(PATH, async (ctx) => {
      const s = await situation(ctx);
      h.requireCsrf(ctx, s.sc.interactionUid);
      const raw = (ctx.request.body ?? {}) as Record<string, unknown>;
      const body: FormValues = {};
      for (const key of ['ahv_number', 'given_names', 'family_name', 'birth_date'] as const) {
        if (typeof raw[key] === 'string') body[key] = (raw[key] as string).slice(0, 200);
      }
      const locale = localeOf(ctx, s.sc);
      const t = (key: string) => translate(locale, key);
      const number = parseAhvn13(body.ahv_number ?? '');
      const who = personFrom(body, s.proven, s.enter);
      const errors: Record<string, string> = {};
      if (!number.ok) errors.ahv_number = t(`verification.ahv.problem.${number.problem}`);
      if (who.errors) for (const [field, key] of Object.entries(who.errors)) errors[FORM_FIELD[field as PersonField]] = t(key);
      if (!number.ok || !who.person) {
        ctx.status = 400;
        return form(ctx, s, body, errors);
      }
      let notice: { key: string; kind: 'error' | 'info' };
      try {
        const result = await service.check({
          accountId: s.sc.accountId,
          serial: s.sc.serial,
          locale,
          compactNumber: number.compact,
          person: who.person,
          proven: s.proven,
          entered: s.enter,
        });
        notice = result.outcome === 'confirmed' ? { key: 'verification.ahv.confirmed', kind: 'info' } : { key: 'verification.ahv.not_confirmed', kind: 'error' };
      } catch (err) {
        if (err instanceof UpiError || (err instanceof AppError && err.code === 'ahv_rate_limited')) notice = { key: err.messageKey, kind: 'error' };
        else throw err;
      }
      ctx.status = 303;
      ctx.redirect(stepUpNoticeUrl(s.sc.returnUrl, notice.key, notice.kind));
    });
  };

  return { methods: [method], routes, messages: AHV_MESSAGES, close: () => client.close() };
}
