/** What a newcomer does after `npm start`: open /sandbox, log in with a test number, see the claims. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningServer } from '../../src/server.js';
import { Browser, formAction, hiddenInput } from '../helpers/browser.js';
import { startSandboxServer } from '../helpers/server.js';

let server: RunningServer;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ server, cleanup } = await startSandboxServer());
});
afterAll(async () => {
  await server.close();
  await cleanup();
});

describe('sandbox demo service', () => {
  it('explains the test numbers and links the virtual phone', async () => {
    const html = await (await fetch(`${server.url}/sandbox`)).text();
    expect(html).toContain('+41 70 009 25 01');
    expect(html).toContain(server.sandbox!.phoneUrl);
    const phone = await fetch(server.sandbox!.phoneUrl.replace('localhost', '127.0.0.1'));
    expect(phone.status).toBe(200);
  });

  it('logs in end to end and shows the id_token and userinfo claims', async () => {
    const browser = new Browser({ 'accept-language': 'it' });
    const login = await browser.follow(`${server.url}/sandbox/login`, server.url);
    const html = await login.res.text();
    expect(html).toContain('Accedi con Mobile ID');
    expect(html).toContain('Sandbox demo service');
    const done = await browser.follow(new URL(formAction(html, '/login'), login.url), server.url, {
      form: { csrf: hiddenInput(html, 'csrf'), phone: '+41 70 009 25 01' },
    });
    expect(done.url.pathname).toBe('/sandbox/callback');
    const result = await done.res.text();
    expect(result).toContain('Logged in');
    expect(result).toContain('urn:servicecore:qoa:mobileid-sim');
    expect(result).toContain('+41700092501');
  });
});
