/** Server processes: start one (compiled, as production runs), talk to it, watch its memory. */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import type { Command, LoopDelayFigures, Reply, ServerArgs, ServerInfo } from './protocol.js';

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

export const ROOT = path.resolve(import.meta.dirname, '..', '..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  name: string;
  pid: number;
  info: ServerInfo;
  mint(count: number): Promise<{ tokens: string[]; ms: number }>;
  /** Resident set size in bytes. */
  rss(): Promise<number>;
  /** Resident set size and V8 heap in use (and, when reported, heap reserved, external and array buffers), in bytes, as the process itself reports them (IPC). */
  memory(): Promise<{ rss: number; heapUsed: number; heapTotal?: number; external?: number; arrayBuffers?: number }>;
  /** A full garbage collection, then `memory()`: what is still alive. */
  memoryAfterGc(): Promise<{ rss: number; heapUsed: number; heapTotal?: number; external?: number; arrayBuffers?: number }>;
  /** CPU profile of the server's main thread between the two calls, written to `file`. */
  profileStart(): Promise<void>;
  profileStop(file: string): Promise<void>;
  /** Event-loop delay of the server's main thread between the two calls. */
  loopDelayStart(): Promise<void>;
  loopDelayStop(): Promise<LoopDelayFigures>;
  stop(): Promise<void>;
  /** The last lines the process wrote to stdout/stderr (for error reports). */
  output(): string;
}

export interface StartServerOptions {
  name: string;
  /** Script, relative to the repository root. */
  script: string;
  args: ServerArgs;
  startTimeoutMs?: number;
}

/**
 * A child process (Node with tsx) that answers over IPC: it sends `{ type: 'ready', info }` once
 * started (or `{ type: 'failed', message }`), answers each command carrying an `id` with a message
 * of the same `id` (`{ type: 'failed', id, message }` on error), and exits on `{ type: 'shutdown' }`.
 */
export interface ControlledProcess<Info> {
  name: string;
  pid: number;
  info: Info;
  /** Send a command (an `id` is added) and wait for its answer; rejects on `failed`. */
  request<R extends { type: string }>(command: { type: string; [key: string]: unknown }): Promise<R>;
  /** Resident set size in bytes (from /proc, without waking the process). Undefined where /proc is missing. */
  procRss(): Promise<number | undefined>;
  stop(): Promise<void>;
  output(): string;
}

export interface StartControlledOptions {
  name: string;
  /** Script, relative to the repository root. */
  script: string;
  /** JSON-serialisable arguments, passed as argv[2]. */
  args: unknown;
  startTimeoutMs?: number;
  /** Node options of the child (e.g. `--cpu-prof`). */
  execArgv?: string[];
}

/** Where the server scripts and the sources they run are compiled to (git-ignored). */
const BUILD_DIR = path.join(ROOT, 'bench', '.build');
let built = false;

/**
 * Compiles the servers with tsc, once per benchmark run, as `npm run build` compiles the product
 * for production: the measured processes run plain JavaScript, without a loader of their own.
 */
function buildServers(): void {
  if (built) return;
  fs.rmSync(BUILD_DIR, { recursive: true, force: true });
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.bench.json'], { cwd: ROOT, stdio: 'inherit' });
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/copy-assets.mjs'), BUILD_DIR], { cwd: ROOT, stdio: 'inherit' });
  built = true;
}

export async function startControlledProcess<Info>(opts: StartControlledOptions): Promise<ControlledProcess<Info>> {
  buildServers();
  const script = path.join(BUILD_DIR, opts.script.replace(/\.ts$/, '.js'));
  const child: ChildProcess = fork(script, [JSON.stringify(opts.args)], {
    cwd: ROOT,
    // Not the loader this process runs with: the child runs the compiled JavaScript as it is.
    execArgv: opts.execArgv ?? [],
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (tail.length > 40) tail.splice(0, tail.length - 40);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  type Message = { type: string; id?: number; info?: Info; message?: string };
  let nextId = 1;
  const pending = new Map<number, { resolve(reply: Message): void; reject(err: Error): void }>();
  let exited: string | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `exited (code ${code ?? '-'}, signal ${signal ?? '-'})`;
      for (const p of pending.values()) p.reject(new Error(`${opts.name} ${exited}\n${tail.join('\n')}`));
      pending.clear();
      resolve();
    });
  });

  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  const info = await new Promise<Info>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${opts.name} did not start within ${timeoutMs} ms\n${tail.join('\n')}`)), timeoutMs);
    child.on('message', (raw) => {
      const reply = raw as Message;
      if (reply.type === 'ready') {
        clearTimeout(timer);
        resolve(reply.info as Info);
      } else if (reply.type === 'failed' && reply.id === undefined) {
        clearTimeout(timer);
        reject(new Error(`${opts.name} failed to start: ${reply.message}`));
      } else if (reply.id !== undefined) {
        const p = pending.get(reply.id);
        pending.delete(reply.id);
        if (reply.type === 'failed') p?.reject(new Error(`${opts.name}: ${reply.message}`));
        else p?.resolve(reply);
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`${opts.name} ${exited ?? 'exited'} during start\n${tail.join('\n')}`));
    });
  }).catch(async (err: unknown) => {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw err;
  });

  const pid = child.pid!;
  return {
    name: opts.name,
    pid,
    info,
    request: <R extends { type: string }>(command: { type: string; [key: string]: unknown }): Promise<R> => {
      if (exited) return Promise.reject(new Error(`${opts.name} ${exited}`));
      const id = nextId++;
      return new Promise<R>((resolve, reject) => {
        pending.set(id, { resolve: (reply) => resolve(reply as unknown as R), reject });
        child.send({ ...command, id });
      });
    },
    procRss: async () => {
      try {
        const status = await fs.promises.readFile(`/proc/${pid}/status`, 'utf8');
        const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
        return kb ? Number(kb) * 1024 : undefined;
      } catch {
        return undefined; // not Linux, or gone
      }
    },
    stop: async () => {
      if (exited) return;
      if (child.connected) child.send({ type: 'shutdown' });
      else child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exitedPromise;
      clearTimeout(killer);
    },
    output: () => tail.join('\n'),
  };
}

/**
 * The Node options the servers run with: those production starts the server with (the `start:prod`
 * script, which the Dockerfile's command repeats), unless `BENCH_SERVER_NODE_FLAGS` says otherwise.
 * Both servers get the same, so the comparison is of the code, not of the runtime's settings.
 */
export function serverNodeFlags(): string[] {
  const override = process.env.BENCH_SERVER_NODE_FLAGS;
  if (override !== undefined) return override.split(/\s+/).filter(Boolean);
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const words = (pkg.scripts['start:prod'] ?? '').split(/\s+/);
  if (words[0] !== 'node') throw new Error(`package.json start:prod does not start with node: ${pkg.scripts['start:prod']}`);
  return words.slice(1).filter((w) => w.startsWith('-'));
}

export async function startServerProcess(opts: StartServerOptions): Promise<ServerProcess> {
  const proc = await startControlledProcess<ServerInfo>({
    name: `${opts.name} server`,
    script: opts.script,
    args: opts.args,
    ...(opts.startTimeoutMs !== undefined ? { startTimeoutMs: opts.startTimeoutMs } : {}),
    execArgv: serverNodeFlags(),
  });
  const request = (command: WithoutId<Extract<Command, { id: number }>>): Promise<Reply> => proc.request<Reply>(command);
  const memory = async () => {
    const reply = await request({ type: 'memory' });
    if (reply.type !== 'memory') throw new Error(`unexpected reply ${reply.type}`);
    const { type: _type, id: _id, ...figures } = reply;
    return figures;
  };

  return {
    name: opts.name,
    pid: proc.pid,
    info: proc.info,
    mint: async (count) => {
      const reply = await request({ type: 'mint', count });
      if (reply.type !== 'minted') throw new Error(`unexpected reply ${reply.type}`);
      return { tokens: reply.tokens, ms: reply.ms };
    },
    rss: async () => {
      // The kernel's figure, without waking the server's event loop; IPC where /proc is missing.
      return (await proc.procRss()) ?? (await memory()).rss;
    },
    memory,
    memoryAfterGc: async () => {
      const reply = await request({ type: 'collectGarbage' });
      if (reply.type !== 'memory') throw new Error(`unexpected reply ${reply.type}`);
      const { type: _type, id: _id, ...figures } = reply;
      return figures;
    },
    profileStart: async () => {
      await request({ type: 'profileStart' });
    },
    profileStop: async (file) => {
      await request({ type: 'profileStop', file });
    },
    loopDelayStart: async () => {
      await request({ type: 'loopDelayStart' });
    },
    loopDelayStop: async () => {
      const reply = await request({ type: 'loopDelayStop' });
      if (reply.type !== 'loopDelay') throw new Error(`unexpected reply ${reply.type}`);
      return reply.figures;
    },
    stop: () => proc.stop(),
    output: () => proc.output(),
  };
}

/** Samples the RSS of a process every `intervalMs`, keeping the maximum while `recording` is on. */
export class MemorySampler {
  max = 0;
  /** The largest since the last `startWindow()`. */
  windowMax = 0;
  samples = 0;
  recording = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly server: Pick<ServerProcess, 'rss'>, private readonly intervalMs = 500) {}

  start(): void {
    this.timer = setInterval(() => {
      if (!this.recording) return;
      this.server
        .rss()
        .then((rss) => {
          this.samples++;
          if (rss > this.max) this.max = rss;
          if (rss > this.windowMax) this.windowMax = rss;
        })
        .catch(() => undefined);
    }, this.intervalMs);
    this.timer.unref();
  }

  startWindow(): void {
    this.windowMax = 0;
    this.recording = true;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
