/** A relying party's login up to the step-up page, and the forms a user submits there. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { Db } from '../../src/db/index.js';
import type { RunningServer } from '../../src/server.js';
import { recordVerification, type VerificationMethod } from '../../src/verification/index.js';
import { Browser, formAction, hiddenInput } from './browser.js';
import { phone, submitPhone, waitForResult, type Attempt, type Rp } from './rp.js';

/** Mobile ID test numbers that confirm at once (no virtual phone). */
export const INSTANT_NUMBERS: readonly string[] = ['41700092501', '41700092502'];

/** An RP login with Mobile ID up to the step-up page (or straight back to the RP). */
export async function rpLogin(server: RunningServer, rp: Rp, browser: Browser, msisdn: string, params: Record<string, string>): Promise<Attempt> {
  const waiting = await submitPhone(server, browser, await rp.begin(browser, params), `+${msisdn}`);
  if (waiting.html.includes('id="mobileid-status"') && !INSTANT_NUMBERS.includes(msisdn)) await phone(server).approve(msisdn);
  return waitForResult(server, browser, waiting);
}

/** Submits the form of `page` that posts to `*suffix` (with its CSRF token), following redirects. */
export async function submitForm(server: RunningServer, browser: Browser, page: Attempt, suffix: string, form: Record<string, string>): Promise<Attempt> {
  const action = new URL(formAction(page.html, suffix), page.url);
  const r = await browser.follow(action, server.url, { form: { csrf: hiddenInput(page.html, 'csrf'), ...form } });
  return { ...page, url: r.url, status: r.res.status, html: r.left ? '' : await r.res.text(), ...(r.left ? { callback: r.left } : {}) };
}

/** Chooses a verification method on the step-up page. */
export function chooseMethod(server: RunningServer, browser: Browser, stepUp: Attempt, method: string): Promise<Attempt> {
  return submitForm(server, browser, stepUp, '/start', { method });
}

/**
 * A test-only online method (policy id `test-online`, kind auto) that approves at once with the
 * given identity evidence, bound to the login's serial: stands in for SRS or Freja eID.
 */
export function instantOnlineMethod(getDb: () => Db, evidence: Record<string, unknown>): VerificationMethod {
  return {
    id: 'test-online',
    nameKey: 'test.method.online',
    async start(ctx) {
      await recordVerification(getDb(), {
        accountId: ctx.accountId,
        method: 'test-online',
        kind: 'auto',
        status: 'approved',
        evidence,
        boundSerial: ctx.serial,
        verifiedAt: new Date(),
        expiresAt: new Date(Date.now() + 86_400_000),
      });
      return { redirect: ctx.returnUrl };
    },
  };
}

/** The parts of policies/qor.json that tests change. */
export interface QorPolicyFile {
  verification: { methods: Record<string, string> };
  levelsOfTrust: unknown[];
}

/** A copy of policies/ in a new temporary directory (for POLICY_DIR), its qor.json changed by `edit`. */
export function policyDirWith(prefix: string, edit: (qor: QorPolicyFile) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.cpSync(path.resolve('policies'), dir, { recursive: true });
  const qorFile = path.join(dir, 'qor.json');
  const policy = JSON.parse(fs.readFileSync(qorFile, 'utf8')) as QorPolicyFile;
  edit(policy);
  fs.writeFileSync(qorFile, JSON.stringify(policy));
  return dir;
}
