/**
 * Pages of the provider as a person opens them in a browser: a page, the Mobile ID wait on the
 * virtual phone, and the admin console behind its login (e.g. a verifier at the counter desk).
 */
import { expect } from 'vitest';

import type { RunningServer } from '../../src/server.js';
import { Browser, formAction, hiddenInput } from './browser.js';
import { phone } from './rp.js';

export interface Page {
  url: URL;
  status: number;
  html: string;
}

/** Opens a page of the provider (posting a form when given), following redirects that stay on it. */
export async function openPage(server: RunningServer, browser: Browser, target: string, form?: Record<string, string>): Promise<Page> {
  const r = await browser.follow(new URL(target, server.url), server.url, form ? { form } : {});
  expect(r.left, 'stays on the provider').toBeUndefined();
  return { url: r.url, status: r.res.status, html: await r.res.text() };
}

/** Waits on the Mobile ID page until the login went on (approving on the virtual phone when asked). */
export async function confirmOnPhone(server: RunningServer, browser: Browser, page: Page, msisdn: string, approve: boolean): Promise<Page> {
  if (approve) {
    expect(page.html).toContain('id="mobileid-status"');
    await phone(server).approve(msisdn);
  }
  let current = page;
  const started = Date.now();
  while (current.html.includes('id="mobileid-status"') && Date.now() - started < 15_000) {
    await new Promise((r) => setTimeout(r, 250));
    current = await openPage(server, browser, current.url.href);
  }
  return current;
}

/**
 * Opens a console page; when it asks for a login, logs in with Mobile ID (`approve`: on the
 * virtual phone; false for the test numbers that confirm at once) and comes back.
 */
export async function consoleVisit(server: RunningServer, browser: Browser, target: string, msisdn: string, approve: boolean): Promise<Page> {
  const first = await openPage(server, browser, target);
  if (!first.url.pathname.startsWith('/interaction/')) return first;
  const action = new URL(formAction(first.html, '/login'), first.url);
  const waiting = await openPage(server, browser, action.href, { csrf: hiddenInput(first.html, 'csrf'), phone: `+${msisdn}` });
  return confirmOnPhone(server, browser, waiting, msisdn, approve);
}
