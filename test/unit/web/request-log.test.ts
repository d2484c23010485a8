import { Writable } from 'node:stream';

import type { Context } from 'koa';
import { describe, expect, it } from 'vitest';

import { createLogger } from '../../../src/logger.js';
import { markRoutine, requestContext } from '../../../src/web/security.js';

/** The access log line of one request through `requestContext`, as JSON. */
async function accessLine(method: string, path: string, status: number, routine = false): Promise<{ level: string; path: string; status: number } | undefined> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const log = createLogger('debug', sink);
  const headers: Record<string, string> = {};
  const ctx = {
    method,
    path,
    status: 404,
    secure: false,
    state: {},
    get: () => '',
    res: { setHeader: (name: string, value: string) => void (headers[name] = value) },
  } as unknown as Context;
  await requestContext(log)(ctx, async () => {
    if (routine) markRoutine(ctx);
    ctx.status = status;
  });
  await new Promise((resolve) => setImmediate(resolve));
  return lines.map((l) => JSON.parse(l) as { level: string; path: string; status: number; msg: string }).find((l) => l.msg === 'request');
}

describe('access log', () => {
  it('logs a request at info, with its path and status', async () => {
    expect(await accessLine('POST', '/interaction/abc/login', 303)).toMatchObject({ level: 'info', path: '/interaction/abc/login', status: 303 });
  });

  it('logs successful frequent requests at debug: metadata, health, and requests their route marks routine', async () => {
    for (const path of ['/.well-known/openid-configuration', '/jwks', '/healthz', '/static/app.css']) {
      expect(await accessLine('GET', path, 200), path).toMatchObject({ level: 'debug' });
    }
    expect(await accessLine('GET', '/interaction/Xk2/mobileid/5b7c/status', 200, true)).toMatchObject({ level: 'debug' });
  });

  it('logs a failed routine request, and requests not marked, at info', async () => {
    expect(await accessLine('GET', '/interaction/Xk2/mobileid/5b7c/status', 404, true)).toMatchObject({ level: 'info' });
    expect(await accessLine('GET', '/interaction/Xk2/mobileid/5b7c', 200)).toMatchObject({ level: 'info' });
    expect(await accessLine('GET', '/interaction/Xk2/mobileid/5b7c/status', 200)).toMatchObject({ level: 'info' });
  });
});
