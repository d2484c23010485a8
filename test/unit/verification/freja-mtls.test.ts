/**
 * Mutual TLS to Freja eID: the client presents the relying party certificate, checks the server
 * against the configured CA, and a server that does not get a client certificate refuses the
 * connection (reported as an outage, not a crash).
 */
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FrejaClient } from '../../../src/verification/freja/index.js';
import { mutualTlsService, type MutualTlsService } from '../shared/mutual-tls.js';

let freja: MutualTlsService;
let url: string;

beforeAll(async () => {
  freja = await mutualTlsService('relying-party', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ authRef: 'mtls-ok' }));
  });
  await new Promise<void>((resolve) => freja.server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(freja.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => freja.server.close(() => resolve()));
});

const INIT = { userInfoType: 'INFERRED' as const, userInfo: '', minRegistrationLevel: 'EXTENDED' as const, attributesToReturn: [] };

describe('mutual TLS to Freja eID', () => {
  it('presents the relying party certificate and trusts only the configured server CA', async () => {
    const client = new FrejaClient({ baseUrl: url, clientCertPem: freja.certPem, clientKeyPem: freja.keyPem, serverCaPem: freja.caPem, timeoutMs: 2000 });
    expect(await client.initAuthentication(INIT)).toEqual({ authRef: 'mtls-ok' });
    expect(freja.peers).toContain('relying-party');
    await client.close();
  });

  it('is refused without a client certificate, and refuses a server it does not trust', async () => {
    const anonymous = new FrejaClient({ baseUrl: url, serverCaPem: freja.caPem, timeoutMs: 2000 });
    await expect(anonymous.initAuthentication(INIT)).rejects.toMatchObject({ code: 'unavailable', transient: true });
    await anonymous.close();
    // Its own certificate is no CA of the server's.
    const untrusting = new FrejaClient({ baseUrl: url, clientCertPem: freja.certPem, clientKeyPem: freja.keyPem, serverCaPem: freja.certPem, timeoutMs: 2000 });
    await expect(untrusting.initAuthentication(INIT)).rejects.toMatchObject({ code: 'unavailable', detail: expect.stringMatching(/TLS failure/) });
    await untrusting.close();
  });
});
