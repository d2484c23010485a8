/**
 * Freja eID in end-to-end tests: the user chooses it on the step-up page and enters their identity;
 * the test plays the person in the simulator's app page (approve / decline); the waiting page
 * then sends the browser on (step-up page or the RP).
 */
import { expect } from 'vitest';

import type { RunningServer } from '../../src/server.js';
import { Browser, formAction, hiddenInput } from './browser.js';
import type { Attempt } from './rp.js';

function at(page: Attempt, r: { res: Response; url: URL; left?: URL }, html: string): Attempt {
  return { ...page, url: r.url, status: r.res.status, html, ...(r.left ? { callback: r.left } : {}) };
}

/** Chooses Freja eID on the step-up page: its identity form. */
export async function chooseFreja(server: RunningServer, browser: Browser, stepUp: Attempt): Promise<Attempt> {
  expect(stepUp.html).toContain('value="freja-eid"');
  const action = new URL(formAction(stepUp.html, '/start'), stepUp.url);
  const r = await browser.follow(action, server.url, { form: { csrf: hiddenInput(stepUp.html, 'csrf'), method: 'freja-eid' } });
  return at(stepUp, r, await r.res.text());
}

/** Submits the identity the user claims (`given_names`, `family_name`, `birth_date`): the waiting page. */
export async function submitFrejaIdentity(server: RunningServer, browser: Browser, form: Attempt, identity: Record<string, string>): Promise<Attempt> {
  const action = new URL(formAction(form.html, '/freja'), form.url);
  const r = await browser.follow(action, server.url, { form: { csrf: hiddenInput(form.html, 'csrf'), ...identity } });
  return at(form, r, r.left ? '' : await r.res.text());
}

/** The link behind "Open Freja eID" (in the sandbox: the simulator's app page for this request). */
export function frejaAppLink(wait: Attempt): URL {
  const m = /id="freja-app-link" href="([^"]+)"/.exec(wait.html);
  if (!m) throw new Error('no app link on the waiting page');
  return new URL(m[1]!.replace(/&amp;/g, '&'));
}

/** Who the person is in the Freja eID app, unless a test says otherwise. */
export const FREJA_PERSON = { givenNames: 'Anna Maria', surname: 'Muster', dateOfBirth: '1985-04-12', registrationLevel: 'EXTENDED', ssnCountry: '', ssn: '' };

/** The person opens the app (scans the code) and presses a button there; returns the app's answer page. */
export async function inFrejaApp(wait: Attempt, button: 'approve' | 'decline', person: Partial<typeof FREJA_PERSON> = {}): Promise<string> {
  const app = new Browser();
  const link = frejaAppLink(wait);
  const page = await (await app.request(link)).text();
  expect(page).toContain('A service asks you to identify yourself');
  const action = new URL(formAction(page, `/app/${button}`), link);
  const fields: Record<string, string> = { token: hiddenInput(page, 'token'), authRef: hiddenInput(page, 'authRef') };
  if (button === 'approve') Object.assign(fields, FREJA_PERSON, person);
  const r = await app.follow(action, link.origin, { form: fields });
  return r.res.text();
}

/** Reloads the waiting page until it sends the browser on (step-up page or the RP). */
export async function waitForFreja(server: RunningServer, browser: Browser, wait: Attempt, timeoutMs = 15_000): Promise<Attempt> {
  const started = Date.now();
  let current = wait;
  while (!current.callback && current.html.includes('id="freja-status"') && Date.now() - started < timeoutMs) {
    await new Promise((r) => setTimeout(r, 250));
    const r = await browser.follow(current.url, server.url);
    current = at(current, r, r.left ? '' : await r.res.text());
  }
  return current;
}
