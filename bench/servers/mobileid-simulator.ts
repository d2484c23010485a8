/**
 * The Mobile ID simulator in its own process, as the sandbox runs it (its router in a koa app on
 * loopback), with one addition: a middleware in front of it counts the calls it receives, and
 * for status queries when each login (MSSP_TransID) was asked, so the benchmark can check that
 * the server asks Mobile ID no more often than its poll interval, however often browsers poll.
 *
 * IPC (see bench/lib/children.ts, startControlledProcess): `ready` with { url, rootCaPem };
 * `counters` (optionally resetting them); `prewarm` (activate numbers beforehand: a Mobile ID
 * user already exists, so the activation, a key pair and a certificate, is not measured);
 * `memory`; `shutdown`.
 */
import type { AddressInfo } from 'node:net';

import Koa from 'koa';

import { createMobileIdSimulator } from '../../src/simulators/mobileid/index.js';
import { failStart } from './control.js';

export interface SimulatorArgs {
  port: number;
  apId: string;
  dtbdPrefix: string;
  pendingTimeoutMs?: { sim: number; app: number };
}

export interface SimulatorInfo {
  /** Base URL of the Mobile ID API. */
  url: string;
  /** The sandbox root, to configure as the trust anchor of user certificates. */
  rootCaPem: string;
}

export interface StatusQueryFigures {
  /** Status queries received since the last reset. */
  queries: number;
  /** Distinct transactions queried since the last reset. */
  transactions: number;
  /** Most queries of one transaction since the last reset. */
  maxPerTransaction: number;
  /** Shortest time between two queries of the same transaction since the last reset, ms. */
  minGapMs: number | undefined;
  /** Gaps shorter than `belowMs` (the counters command's argument), since the last reset. */
  gapsBelow: number;
  /** Queries per transaction: how many transactions were queried n times (n → count). */
  distribution: Record<string, number>;
}

export interface SimulatorCounters {
  /** Requests by operation since the last reset: sign, status, profile, receipt, phone-approve, other. */
  requests: Record<string, number>;
  status: StatusQueryFigures;
  sinceMs: number;
}

export type SimulatorCommand =
  | { type: 'counters'; id: number; reset?: boolean; belowMs?: number }
  | { type: 'prewarm'; id: number; numbers: string[] }
  | { type: 'memory'; id: number }
  | { type: 'shutdown' };

export type SimulatorReply =
  | { type: 'ready'; info: SimulatorInfo }
  | { type: 'counters'; id: number; counters: SimulatorCounters }
  | { type: 'prewarmed'; id: number; ms: number }
  | { type: 'memory'; id: number; rss: number; heapUsed: number }
  | { type: 'failed'; id?: number; message: string };

function send(message: SimulatorReply): void {
  process.send?.(message);
}

interface PerTransaction {
  /** Queries since the last reset. */
  count: number;
  /** When the last query arrived (kept across resets, so a gap across a reset still counts). */
  last: number;
}

async function main(): Promise<void> {
  const raw = process.argv[2];
  if (!raw) throw new Error('missing simulator arguments');
  const args = JSON.parse(raw) as SimulatorArgs;
  const simulator = await createMobileIdSimulator({
    apId: args.apId,
    dtbdPrefix: args.dtbdPrefix,
    ...(args.pendingTimeoutMs ? { pendingTimeoutMs: args.pendingTimeoutMs } : {}),
  });

  let requests: Record<string, number> = {};
  let since = performance.now();
  const perTransaction = new Map<string, PerTransaction>();
  let gaps: number[] = [];

  const app = new Koa();
  app.use(async (ctx, next) => {
    const operation = /\/rest\/service\/(\w+)$/.exec(ctx.path)?.[1] ?? (ctx.path.endsWith('/phone/api/approve') ? 'phone-approve' : 'other');
    requests[operation] = (requests[operation] ?? 0) + 1;
    if (ctx.method === 'POST' && operation === 'status') {
      // Read the body here and hand it on as text: the simulator takes a string body as the raw body.
      const chunks: Buffer[] = [];
      for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      (ctx.request as { body?: unknown }).body = text;
      let id: unknown;
      try {
        id = (JSON.parse(text) as { MSS_StatusReq?: { MSSP_TransID?: unknown } }).MSS_StatusReq?.MSSP_TransID;
      } catch {
        /* the simulator answers 101 */
      }
      if (typeof id === 'string') {
        const now = performance.now();
        const entry = perTransaction.get(id);
        if (entry) {
          gaps.push(now - entry.last);
          entry.count++;
          entry.last = now;
        } else {
          perTransaction.set(id, { count: 1, last: now });
        }
      }
    }
    await next();
  });
  app.use(simulator.router.routes());
  app.use(simulator.router.allowedMethods());
  const server = app.listen(args.port, '127.0.0.1');
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;

  const counters = (belowMs: number | undefined): SimulatorCounters => {
    let queried = 0;
    let max = 0;
    const distribution: Record<string, number> = {};
    for (const entry of perTransaction.values()) {
      if (entry.count === 0) continue;
      queried++;
      max = Math.max(max, entry.count);
      distribution[entry.count] = (distribution[entry.count] ?? 0) + 1;
    }
    return {
      requests: { ...requests },
      status: {
        queries: requests.status ?? 0,
        transactions: queried,
        maxPerTransaction: max,
        minGapMs: gaps.length ? Math.round(gaps.reduce((a, b) => Math.min(a, b), Infinity)) : undefined,
        gapsBelow: belowMs === undefined ? 0 : gaps.filter((g) => g < belowMs).length,
        distribution,
      },
      sinceMs: Math.round(performance.now() - since),
    };
  };

  let closing = false;
  const shutdown = () => {
    if (closing) return;
    closing = true;
    setTimeout(() => process.exit(0), 5000).unref();
    simulator.close();
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };

  process.on('message', (message) => {
    const command = message as SimulatorCommand;
    const fail = (id: number, err: unknown) => send({ type: 'failed', id, message: err instanceof Error ? err.message : String(err) });
    switch (command.type) {
      case 'counters': {
        send({ type: 'counters', id: command.id, counters: counters(command.belowMs) });
        if (command.reset) {
          requests = {};
          gaps = [];
          since = performance.now();
          for (const entry of perTransaction.values()) entry.count = 0;
        }
        break;
      }
      case 'prewarm': {
        const started = performance.now();
        (async () => {
          for (const n of command.numbers) await simulator.phone.account(`+${n.replace(/^\+/, '')}`);
        })()
          .then(() => send({ type: 'prewarmed', id: command.id, ms: Math.round(performance.now() - started) }))
          .catch((err: unknown) => fail(command.id, err));
        break;
      }
      case 'memory': {
        const { rss, heapUsed } = process.memoryUsage();
        send({ type: 'memory', id: command.id, rss, heapUsed });
        break;
      }
      case 'shutdown':
        shutdown();
        break;
    }
  });
  process.on('disconnect', shutdown);
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  send({ type: 'ready', info: { url: `http://127.0.0.1:${port}${simulator.basePath}`, rootCaPem: simulator.rootCaPem } });
}

main().catch(failStart);
