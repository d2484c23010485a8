/** Server processes: start one (Node with tsx, as production runs), talk to it, watch its memory. */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import type { Command, Reply, ServerArgs, ServerInfo } from './protocol.js';

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
  /** CPU profile of the server's main thread between the two calls, written to `file`. */
  profileStart(): Promise<void>;
  profileStop(file: string): Promise<void>;
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

export async function startServerProcess(opts: StartServerOptions): Promise<ServerProcess> {
  const execArgv = ['--import', 'tsx'];
  const child: ChildProcess = fork(path.join(ROOT, opts.script), [JSON.stringify(opts.args)], {
    cwd: ROOT,
    execArgv,
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

  let nextId = 1;
  const pending = new Map<number, { resolve(reply: Reply): void; reject(err: Error): void }>();
  let exited: string | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `exited (code ${code ?? '-'}, signal ${signal ?? '-'})`;
      for (const p of pending.values()) p.reject(new Error(`${opts.name} server ${exited}\n${tail.join('\n')}`));
      pending.clear();
      resolve();
    });
  });

  const info = await new Promise<ServerInfo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${opts.name} server did not start within ${opts.startTimeoutMs ?? 60_000} ms\n${tail.join('\n')}`)), opts.startTimeoutMs ?? 60_000);
    child.on('message', (raw) => {
      const reply = raw as Reply;
      if (reply.type === 'ready') {
        clearTimeout(timer);
        resolve(reply.info);
      } else if (reply.type === 'failed' && reply.id === undefined) {
        clearTimeout(timer);
        reject(new Error(`${opts.name} server failed to start: ${reply.message}`));
      } else if ('id' in reply && reply.id !== undefined) {
        const p = pending.get(reply.id);
        pending.delete(reply.id);
        if (reply.type === 'failed') p?.reject(new Error(`${opts.name} server: ${reply.message}`));
        else p?.resolve(reply);
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`${opts.name} server ${exited ?? 'exited'} during start\n${tail.join('\n')}`));
    });
  }).catch(async (err: unknown) => {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw err;
  });

  const request = (command: WithoutId<Extract<Command, { id: number }>>): Promise<Reply> => {
    if (exited) return Promise.reject(new Error(`${opts.name} server ${exited}`));
    const id = nextId++;
    return new Promise<Reply>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      child.send({ ...command, id } as Command);
    });
  };

  const pid = child.pid!;
  return {
    name: opts.name,
    pid,
    info,
    mint: async (count) => {
      const reply = await request({ type: 'mint', count });
      if (reply.type !== 'minted') throw new Error(`unexpected reply ${reply.type}`);
      return { tokens: reply.tokens, ms: reply.ms };
    },
    rss: async () => {
      // The kernel's figure, without waking the server's event loop; IPC where /proc is missing.
      try {
        const status = await fs.promises.readFile(`/proc/${pid}/status`, 'utf8');
        const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
        if (kb) return Number(kb) * 1024;
      } catch {
        /* not Linux */
      }
      const reply = await request({ type: 'memory' });
      if (reply.type !== 'memory') throw new Error(`unexpected reply ${reply.type}`);
      return reply.rss;
    },
    profileStart: async () => {
      await request({ type: 'profileStart' });
    },
    profileStop: async (file) => {
      await request({ type: 'profileStop', file });
    },
    stop: async () => {
      if (exited) return;
      if (child.connected) child.send({ type: 'shutdown' } satisfies Command);
      else child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exitedPromise;
      clearTimeout(killer);
    },
    output: () => tail.join('\n'),
  };
}

/** Samples the RSS of a process every `intervalMs`, keeping the maximum while `recording` is on. */
export class MemorySampler {
  max = 0;
  samples = 0;
  recording = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly server: ServerProcess, private readonly intervalMs = 500) {}

  start(): void {
    this.timer = setInterval(() => {
      if (!this.recording) return;
      this.server
        .rss()
        .then((rss) => {
          this.samples++;
          if (rss > this.max) this.max = rss;
        })
        .catch(() => undefined);
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
