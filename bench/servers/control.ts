/**
 * What both server processes share: minting refresh tokens through the provider's own models (no
 * browser login needed) and answering the benchmark over the IPC channel.
 */
import fs from 'node:fs';
import inspector from 'node:inspector/promises';
import path from 'node:path';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

import type Provider from 'oidc-provider';

import type { Command, LoopDelayFigures, Reply, ServerArgs, ServerInfo } from '../lib/protocol.js';

export const REFRESH_SCOPE = 'openid offline_access';

export function readArgs(): ServerArgs {
  const raw = process.argv[2];
  if (!raw) throw new Error('missing server arguments');
  return JSON.parse(raw) as ServerArgs;
}

function send(message: Reply): void {
  process.send?.(message);
}

/**
 * Refresh tokens as an authorization code exchange would have left them: one grant per token
 * (a person, a login), scope `openid offline_access`. The returned strings are the token values.
 */
export async function mintRefreshTokens(provider: Provider, clientId: string, accountId: string, count: number, concurrency = 16): Promise<string[]> {
  const client = await provider.Client.find(clientId);
  if (!client) throw new Error(`client ${clientId} not found`);
  const authTime = Math.floor(Date.now() / 1000);
  const tokens = new Array<string>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const grant = new provider.Grant({ accountId, clientId });
      grant.addOIDCScope(REFRESH_SCOPE);
      const grantId = await grant.save();
      const refreshToken = new provider.RefreshToken({
        client,
        accountId,
        grantId,
        scope: REFRESH_SCOPE,
        gty: 'authorization_code',
        authTime,
      });
      tokens[i] = await refreshToken.save();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(count, 1)) }, worker));
  return tokens;
}

/** Timer resolution of the event-loop delay monitor (Node's default). */
const LOOP_DELAY_RESOLUTION_MS = 10;

/**
 * The histogram records the time between two ticks of a timer set to the resolution, so an idle
 * loop shows the resolution itself: reported figures are the delay beyond it.
 */
export function loopDelayFigures(h: IntervalHistogram, resolutionMs = LOOP_DELAY_RESOLUTION_MS): LoopDelayFigures {
  const ms = (ns: number) => Math.max(0, Math.round((ns / 1e6 - resolutionMs) * 100) / 100);
  return {
    resolutionMs,
    samples: h.count,
    mean: h.count ? ms(h.mean) : 0,
    p50: h.count ? ms(h.percentile(50)) : 0,
    p90: h.count ? ms(h.percentile(90)) : 0,
    p99: h.count ? ms(h.percentile(99)) : 0,
    max: h.count ? ms(h.max) : 0,
  };
}

export interface Controlled {
  provider: Provider;
  info: ServerInfo;
  close(): Promise<void>;
}

/** Report readiness, then serve the benchmark's commands until told to shut down. */
export function serveControl(server: Controlled): void {
  const { provider, info } = server;
  let closing = false;
  const shutdown = async (code: number) => {
    if (closing) return;
    closing = true;
    const force = setTimeout(() => process.exit(code), 10_000);
    force.unref();
    try {
      await server.close();
    } finally {
      process.exit(code);
    }
  };

  let profiler: inspector.Session | undefined;
  let loopDelay: IntervalHistogram | undefined;
  const reply = (id: number, work: () => Promise<Reply>) => {
    work()
      .then(send)
      .catch((err: unknown) => send({ type: 'failed', id, message: err instanceof Error ? err.message : String(err) }));
  };

  process.on('message', (raw) => {
    const command = raw as Command;
    switch (command.type) {
      case 'profileStart':
        reply(command.id, async () => {
          profiler = new inspector.Session();
          profiler.connect();
          await profiler.post('Profiler.enable');
          await profiler.post('Profiler.start');
          return { type: 'done', id: command.id };
        });
        break;
      case 'profileStop':
        reply(command.id, async () => {
          if (!profiler) throw new Error('the profiler is not running');
          const { profile } = await profiler.post('Profiler.stop');
          profiler.disconnect();
          profiler = undefined;
          fs.mkdirSync(path.dirname(command.file), { recursive: true });
          fs.writeFileSync(command.file, JSON.stringify(profile));
          return { type: 'done', id: command.id };
        });
        break;
      case 'loopDelayStart':
        loopDelay?.disable();
        loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
        loopDelay.enable();
        send({ type: 'done', id: command.id });
        break;
      case 'loopDelayStop': {
        if (!loopDelay) {
          send({ type: 'failed', id: command.id, message: 'the event-loop delay monitor is not running' });
          break;
        }
        loopDelay.disable();
        send({ type: 'loopDelay', id: command.id, figures: loopDelayFigures(loopDelay) });
        loopDelay = undefined;
        break;
      }
      case 'mint': {
        const started = performance.now();
        mintRefreshTokens(provider, info.clientId, info.accountId, command.count)
          .then((tokens) => send({ type: 'minted', id: command.id, tokens, ms: Math.round(performance.now() - started) }))
          .catch((err: unknown) => send({ type: 'failed', id: command.id, message: err instanceof Error ? err.message : String(err) }));
        break;
      }
      case 'collectGarbage':
        reply(command.id, async () => {
          const session = new inspector.Session();
          session.connect();
          try {
            await session.post('HeapProfiler.collectGarbage');
          } finally {
            session.disconnect();
          }
          const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
          return { type: 'memory', id: command.id, rss, heapUsed, heapTotal, external, arrayBuffers };
        });
        break;
      case 'memory': {
        const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
        send({ type: 'memory', id: command.id, rss, heapUsed, heapTotal, external, arrayBuffers });
        break;
      }
      case 'shutdown':
        void shutdown(0);
        break;
    }
  });
  // The benchmark went away (crash, Ctrl-C): do not outlive it.
  process.on('disconnect', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGINT', () => void shutdown(0));
  send({ type: 'ready', info });
}

/** Start-up failures are reported to the benchmark, which prints them. */
export function failStart(err: unknown): never {
  const message = err instanceof Error ? err.stack ?? err.message : String(err);
  console.error(message);
  setTimeout(() => process.exit(1), 1000).unref();
  if (process.send) process.send({ type: 'failed', message } satisfies Reply, undefined, {}, () => process.exit(1));
  else process.exit(1);
  throw err;
}
