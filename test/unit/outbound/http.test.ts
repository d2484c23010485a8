/** The HTTP client the provider clients share: answers read up to a limit, and why a call got none. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { classifyTransportFailure, createProviderAgent, ResponseTooLargeError, sendToProvider } from '../../../src/outbound/http.js';
import { freePort } from '../../helpers/server.js';
import { rejectionOf } from '../shared/errors.js';

let server: Server;
let origin: string;
const agent = createProviderAgent({ connectTimeoutMs: 1000, responseTimeoutMs: 5000 });
const request = { method: 'POST' as const, headers: { 'content-type': 'text/plain' }, timeoutMs: 1000 };

beforeAll(async () => {
  // Answers with as many bytes as the path says, and the request body after them; `/slow-head`
  // answers after 1500 ms, `/slow-body` sends its headers at once and ends the body after 1500 ms.
  server = createServer((req, res) => {
    if (req.url === '/slow-head') return void setTimeout(() => res.end('late'), 1500);
    if (req.url === '/slow-body') {
      res.writeHead(200).write('par');
      return void setTimeout(() => res.end('tial'), 1500);
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res.end('x'.repeat(Number(req.url!.slice(1))) + Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await agent.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('sendToProvider', () => {
  it('returns the status and the whole answer up to the limit', async () => {
    expect(await sendToProvider(agent, `${origin}/3`, { ...request, body: 'ok', maxResponseBytes: 5 })).toEqual({ status: 200, text: 'xxxok' });
  });

  it('stops reading beyond the limit, and the error names it', async () => {
    for (const [max, text] of [[1024 * 1024, '1 MiB'], [512 * 1024, '512 KiB'], [256 * 1024, '256 KiB']] as const) {
      const e = await rejectionOf(ResponseTooLargeError, sendToProvider(agent, `${origin}/${max + 1}`, { ...request, maxResponseBytes: max }));
      expect(e.message).toBe(`response larger than ${text}`);
    }
  });

  it('bounds the whole exchange: an answer or a body that does not come in time is a timeout', async () => {
    for (const path of ['/slow-head', '/slow-body']) {
      const started = performance.now();
      const cause = await sendToProvider(agent, `${origin}${path}`, { ...request, timeoutMs: 150, maxResponseBytes: 100 }).catch((e: unknown) => e);
      expect(classifyTransportFailure(cause).kind, path).toBe('timeout');
      // Well before the answer would have come (1500 ms), with room for a busy machine.
      expect(performance.now() - started, path).toBeLessThan(1200);
    }
    // The same exchanges complete within a longer bound.
    expect(await sendToProvider(agent, `${origin}/slow-body`, { ...request, timeoutMs: 5000, maxResponseBytes: 100 })).toEqual({ status: 200, text: 'partial' });
  });

  it('rejects with the transport error on a refused connection', async () => {
    const cause = await sendToProvider(agent, `http://127.0.0.1:${await freePort()}/`, { ...request, maxResponseBytes: 10 }).catch((e: unknown) => e);
    expect(classifyTransportFailure(cause)).toEqual({ kind: 'network', code: 'ECONNREFUSED', detail: 'network error (ECONNREFUSED)', notSent: true });
  });
});

describe('classifyTransportFailure', () => {
  it('tells a timeout, a TLS failure and a network error apart', () => {
    expect(classifyTransportFailure(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))).toEqual({ kind: 'timeout', code: '23', detail: 'timeout (23)', notSent: false });
    expect(classifyTransportFailure(Object.assign(new Error('connect timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' }))).toMatchObject({ kind: 'timeout', notSent: true });
    expect(classifyTransportFailure(Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })).detail).toBe('TLS failure (DEPTH_ZERO_SELF_SIGNED_CERT)');
    expect(classifyTransportFailure(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toMatchObject({ kind: 'network', notSent: false });
    expect(classifyTransportFailure('odd')).toEqual({ kind: 'network', code: '', detail: 'network error', notSent: false });
  });

  it('takes a wider pattern for what counts as TLS', () => {
    const handshake = new Error('handshake failed');
    expect(classifyTransportFailure(handshake).kind).toBe('network');
    expect(classifyTransportFailure(handshake, /HANDSHAKE/i).kind).toBe('tls');
  });
});
