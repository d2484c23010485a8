/** The SRS client against the simulator over loopback HTTP, and against a dead or silent server. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SrsClient, SrsError } from '../../../src/verification/srs/index.js';
import { freePort } from '../../helpers/server.js';
import { rejectionOf } from '../shared/errors.js';
import { startSrsSimulator, type RunningSrsSimulator } from '../simulators/srs-helpers.js';

let s: RunningSrsSimulator;
let clock = Date.now();

function client(over: Partial<ConstructorParameters<typeof SrsClient>[0]> = {}) {
  return new SrsClient({
    url: s.endpoints.url,
    tokenUrl: s.endpoints.tokenUrl,
    rasUrl: s.endpoints.rasUrl,
    clientId: s.endpoints.clientId,
    clientSecret: s.endpoints.clientSecret,
    scope: 'miss',
    timeoutMs: 1000,
    catalogueCacheSeconds: 60,
    now: () => clock,
    ...over,
  });
}

const code = async (p: Promise<unknown>): Promise<string> => (await rejectionOf(SrsError, p)).code;

beforeAll(async () => {
  s = await startSrsSimulator({ tokenTtlSeconds: 600, now: () => new Date(clock) });
});
afterAll(() => s.close());

describe('SRS client', () => {
  it('gets one token and keeps it until shortly before it expires', async () => {
    const c = client();
    const before = s.sim.state.stats.tokens;
    await Promise.all([c.catalogue({ realtimeMethod: 'video' }), c.catalogue({ realtimeMethod: 'aml-bank' }), c.catalogue({ webflow: 'true' })]);
    expect(s.sim.state.stats.tokens - before).toBe(1);
    clock += 540_000; // 9 of 10 minutes: still valid
    await c.catalogue({ issuer: 'KLARNA' });
    expect(s.sim.state.stats.tokens - before).toBe(1);
    clock += 40_000; // within the renewal margin
    await c.catalogue({ issuer: 'Video-ISP' });
    expect(s.sim.state.stats.tokens - before).toBe(2);
    await c.close();
  });

  it('renews a token the server no longer accepts, once', async () => {
    const c = client();
    await c.catalogue({ loa: '3' });
    s.sim.state.tokens.clear();
    const before = s.sim.state.stats.tokens;
    const started = await c.start('Video-ISP', 'video', { firstName: 'Hans', lastName: 'Muster', dob: '1978-02-28', mobile: '+41791234567' });
    expect(started.refId).toMatch(/^[0-9a-f-]{36}$/);
    expect(s.sim.state.stats.tokens - before).toBe(1);
    await c.close();
  });

  it('caches the catalogue per filter set, and not a failure', async () => {
    const c = client();
    const before = s.sim.state.stats.catalogue;
    const a = await c.catalogue({ realtimeMethod: 'video', webflow: 'true' });
    const b = await c.catalogue({ webflow: 'true', realtimeMethod: 'video' });
    expect(b).toBe(a);
    expect(a.map((e) => e.issuer)).toEqual(['Test-ISP', 'Video-ISP']);
    expect(s.sim.state.stats.catalogue - before).toBe(1);
    clock += 61_000;
    await c.catalogue({ realtimeMethod: 'video', webflow: 'true' });
    expect(s.sim.state.stats.catalogue - before).toBe(2);
    await c.close();
  });

  it('starts an identification and reads its status', async () => {
    const c = client();
    const { refId, targetUrl } = await c.start('KLARNA', 'aml-bank', { firstName: 'Hans', lastName: 'Muster', dob: '1978-02-28', mobile: '+41791234567' });
    expect(targetUrl).toContain('/srs/isp/');
    const status = await c.identification(refId);
    expect(status).toMatchObject({ refId, issuer: 'KLARNA', method: 'aml-bank', current: 'initialized' });
    expect(await code(c.identification('00000000-0000-0000-0000-000000000000'))).toBe('not_found');
    expect((await c.verify({ msisdn: '41790000000', claimedIdentity: 'x', assuranceLevel: 4, distinguishedName: 'gn=A, sn=B', jurisdiction: 'EIDAS' })).verified).toBe(false);
    await c.close();
  });

  it('says unauthorized when the credentials are wrong', async () => {
    const c = client({ clientSecret: 'wrong' });
    expect(await code(c.catalogue({ x: '1' }))).toBe('unauthorized');
    await c.close();
  });

  it('says unavailable on connection refused, 500 and timeout', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const refused = client({ url: dead, tokenUrl: `${dead}/oauth/token` });
    expect(await code(refused.catalogue({ a: '1' }))).toBe('unavailable');
    await refused.close();

    const silent = http.createServer(() => undefined);
    const failing = http.createServer((_req, res) => res.writeHead(500).end());
    await Promise.all([silent, failing].map((srv) => new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))));
    const at = (srv: http.Server) => `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    try {
      const erroring = client({ url: at(failing) });
      const err = await erroring.catalogue({ b: '1' }).catch((e: unknown) => e as SrsError);
      expect(err).toMatchObject({ code: 'unavailable', httpStatus: 500, transient: true });
      await erroring.close();

      const hanging = client({ url: at(silent) });
      const started = Date.now();
      const timeout = await hanging.catalogue({ c: '1' }).catch((e: unknown) => e as SrsError);
      expect(timeout).toMatchObject({ code: 'unavailable' });
      expect((timeout as SrsError).detail).toMatch(/timeout/);
      expect(Date.now() - started).toBeLessThan(3000);
      await hanging.close();
    } finally {
      for (const srv of [silent, failing]) {
        srv.closeAllConnections();
        srv.close();
      }
    }
  });
});
