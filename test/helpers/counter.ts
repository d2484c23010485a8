/**
 * Identification at a counter in end-to-end tests: the user's side (choose the counter, enter the
 * identity, get the case page with its code) and the verifier's desk in the admin console.
 */
import type { RunningServer } from '../../src/server.js';
import { Browser, formAction, hiddenInput } from './browser.js';
import { openPage, type Page } from './pages.js';

/** Chooses the counter on the step-up page: the identity form (or the open case). */
export function chooseCounter(server: RunningServer, browser: Browser, stepUp: Page): Promise<Page> {
  const action = new URL(formAction(stepUp.html, '/start'), stepUp.url);
  return openPage(server, browser, action.href, { csrf: hiddenInput(stepUp.html, 'csrf'), method: 'manual-counter' });
}

/** Submits the identity to check at the counter (`given_names`, `family_name`, `birth_date`, `nationality`). */
export function submitCounterIdentity(server: RunningServer, browser: Browser, form: Page, fields: Record<string, string>): Promise<Page> {
  const action = new URL(formAction(form.html, '/counter'), form.url);
  return openPage(server, browser, action.href, { csrf: hiddenInput(form.html, 'csrf'), offer: hiddenInput(form.html, 'offer'), ...fields });
}

/** The code the case page shows (what a verifier types when there is no QR code to scan). */
export function counterCode(casePage: Page): string {
  const m = /id="counter-code">([^<]+)</.exec(casePage.html);
  if (!m) throw new Error('no counter code on the page');
  return m[1]!;
}

/** At the desk: opens a case by its code or the content of its QR code. */
export function deskOpen(server: RunningServer, browser: Browser, desk: Page, reference: string): Promise<Page> {
  return openPage(server, browser, '/admin/desk/open', { csrf: hiddenInput(desk.html, 'csrf'), reference });
}

/** The document a verifier records when approving (an identity card, checked). */
export const CHECKED_ID_CARD = { document_type: 'idcard', document_number: 'c 123 4567', issuing_country: 'ch', expiry_date: '2031-12-31', checked: 'yes' };

/** At the desk: records the document on the open case page and approves. */
export function approveAtDesk(server: RunningServer, browser: Browser, casePage: Page, document: Record<string, string> = CHECKED_ID_CARD): Promise<Page> {
  const action = new URL(formAction(casePage.html, '/approve'), casePage.url);
  return openPage(server, browser, action.href, { csrf: hiddenInput(casePage.html, 'csrf'), ...document });
}
