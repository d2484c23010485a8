/**
 * The UPI query service simulator as a koa router: `querySpid` (eCH-0214 getInfoPerson) at
 * `<basePath>/wupispid/ws/queryService/2`, SOAP 1.1 (SOAPAction "http://www.zas.admin.ch") or
 * SOAP 1.2, answered from the small register of register.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import type { Router } from '@koa/router';
import type { Context } from 'koa';

import { HttpError, readRawBody } from '../shared/http.js';
import { normaliseBasePath, routerAt } from '../shared/router.js';
import { CONTENT_TYPE, getInfoPersonResponse, negativeReport, NOTICE, NS, soapFault, type RequestFacts, type SoapVersion } from './envelopes.js';
import { BEHAVIOUR_NUMBERS, lookUp } from './register.js';
import { find, readXml } from './xml.js';

export const QUERY_SERVICE_PATH = '/wupispid/ws/queryService/2';
export const SOAP_ACTION = 'http://www.zas.admin.ch';
const MAX_BODY_BYTES = 64 * 1024;

export interface UpiSimulatorOptions {
  /** Path prefix of every route, e.g. "/upi"; "" by default. */
  basePath?: string | undefined;
  /** When set, only this eCH-0058 senderId may query (negativeReport 101 otherwise). */
  senderId?: string | undefined;
  /** When set, only this SPID category may be queried (negativeReport 101 otherwise). */
  spidCategory?: string | undefined;
  /** How long the "slow" test number takes to answer; 30 s by default. */
  slowMs?: number | undefined;
  now?: (() => Date) | undefined;
}

/** What the simulator saw of one request (the number masked: people try their own). */
export interface SeenRequest {
  at: Date;
  soapVersion: SoapVersion;
  messageId: string;
  senderId: string;
  vnMasked: string;
}

export interface UpiSimulator {
  router: Router;
  basePath: string;
  /** `<basePath>/wupispid/ws/queryService/2`: append it to the origin to get the endpoint URL. */
  endpointPath: string;
  /** The requests received, oldest first (the last 100). */
  requests: SeenRequest[];
  /** Answers the slow requests still waiting, and stops. */
  close(): void;
}

/** The body, or `undefined` when it is larger than the service accepts. */
async function readBody(ctx: Context): Promise<string | undefined> {
  try {
    return await readRawBody(ctx, MAX_BODY_BYTES);
  } catch (err) {
    if (err instanceof HttpError) return undefined;
    throw err;
  }
}

function soapVersionOf(ctx: Context): SoapVersion | undefined {
  const type = (ctx.get('content-type') || '').toLowerCase();
  if (type.startsWith('text/xml')) return '1.1';
  if (type.startsWith('application/soap+xml')) return '1.2';
  return undefined;
}

export function createUpiSimulator(opts: UpiSimulatorOptions = {}): UpiSimulator {
  const basePath = normaliseBasePath(opts.basePath);
  const now = opts.now ?? (() => new Date());
  const slowMs = opts.slowMs ?? 30_000;
  const requests: SeenRequest[] = [];
  const stopping = new AbortController();
  const router = routerAt(basePath);

  function reply(ctx: Context, version: SoapVersion, status: number, xml: string): void {
    ctx.status = status;
    ctx.set('content-type', CONTENT_TYPE[version]);
    ctx.body = xml;
  }

  router.post(QUERY_SERVICE_PATH, async (ctx) => {
    const version = soapVersionOf(ctx);
    if (!version) {
      ctx.status = 415;
      ctx.body = 'expected text/xml (SOAP 1.1) or application/soap+xml (SOAP 1.2)';
      return;
    }
    const soapNs = version === '1.1' ? NS.soap11 : NS.soap12;
    if (version === '1.1' && ctx.get('soapaction').replace(/^"|"$/g, '') !== SOAP_ACTION) {
      return reply(ctx, version, 500, soapFault(version, 'client', `unknown SOAPAction; querySpid expects "${SOAP_ACTION}"`));
    }
    const text = await readBody(ctx);
    if (text === undefined) return reply(ctx, version, 413, soapFault(version, 'client', 'request too large'));
    const root = readXml(text);
    if (!root || root.ns !== soapNs || root.name !== 'Envelope') {
      return reply(ctx, version, 500, soapFault(version, 'client', `not a SOAP ${version} envelope`));
    }
    const request = find(root, [soapNs, 'Body'], [NS.ech0214, 'request']);
    const headerEl = find(request, [NS.ech0214, 'header']);
    const content = find(request, [NS.ech0214, 'content']);
    const subrequests = content?.children.filter((c) => c.ns === NS.ech0214 && c.name === 'getInfoPersonRequest') ?? [];
    const messageId = find(headerEl, [NS.ech0058, 'messageId'])?.text ?? '';
    const senderId = find(headerEl, [NS.ech0058, 'senderId'])?.text ?? '';
    const spidCategory = find(content, [NS.ech0214, 'SPIDCategory'])?.text ?? '';
    const sub = subrequests[0];
    const vn = find(sub, [NS.ech0214, 'pid'], [NS.ech0214, 'vn'])?.text ?? '';
    const requestId = find(sub, [NS.ech0214, 'getInfoPersonRequestId'])?.text ?? '';
    if (!request || !messageId || !senderId || !spidCategory || subrequests.length !== 1 || !/^756\d{10}$/.test(vn) || !/^-?\d+$/.test(requestId)) {
      return reply(ctx, version, 500, soapFault(version, 'client', 'the request is not a valid eCH-0214 getInfoPerson request for one vn (the simulator answers getInfoPerson only)'));
    }
    requests.push({ at: now(), soapVersion: version, messageId, senderId, vnMasked: `756.****.****.${vn.slice(-2)}` });
    if (requests.length > 100) requests.shift();
    const facts: RequestFacts = {
      messageId,
      spidCategory,
      requestId,
      vn,
      testDeliveryFlag: find(headerEl, [NS.ech0058, 'testDeliveryFlag'])?.text ?? 'true',
    };

    if ((opts.senderId && senderId !== opts.senderId) || (opts.spidCategory && spidCategory !== opts.spidCategory)) {
      return reply(ctx, version, 200, negativeReport(version, facts, NOTICE.notAuthorised, 'Sender nicht berechtigt', now()));
    }
    if (vn === BEHAVIOUR_NUMBERS.soapFault) return reply(ctx, version, 500, soapFault(version, 'server', 'simulated failure of the register'));
    if (vn === BEHAVIOUR_NUMBERS.negativeReport) {
      return reply(ctx, version, 200, negativeReport(version, facts, NOTICE.technical, 'Technischer Fehler', now()));
    }
    if (vn === BEHAVIOUR_NUMBERS.slow) {
      try {
        await sleep(slowMs, undefined, { signal: stopping.signal });
      } catch {
        // closing: answer at once
      }
    }
    return reply(ctx, version, 200, getInfoPersonResponse(version, facts, lookUp(vn), now()));
  });

  return {
    router,
    basePath,
    endpointPath: `${basePath}${QUERY_SERVICE_PATH}`,
    requests,
    close: () => stopping.abort(),
  };
}
