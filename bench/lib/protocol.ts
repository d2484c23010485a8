/** Messages between the benchmark and a server process (Node IPC, `process.send`). */

export interface ServerInfo {
  /** Base URL on loopback. */
  url: string;
  clientId: string;
  clientSecret: string;
  /** The account the refresh tokens are minted for. */
  accountId: string;
  /** What the server runs with, printed with the results. */
  details: Record<string, string | number | boolean>;
}

/** Sent to the server process. */
export type Command =
  /** Mint `count` refresh tokens, each of its own grant (openid offline_access). */
  | { type: 'mint'; id: number; count: number }
  | { type: 'memory'; id: number }
  /** Start the V8 CPU profiler of the server's main thread. */
  | { type: 'profileStart'; id: number }
  /** Stop it and write the profile to `file` (.cpuprofile, for Chrome DevTools or profile-summary). */
  | { type: 'profileStop'; id: number; file: string }
  /** Start measuring the event-loop delay of the server's main thread (perf_hooks.monitorEventLoopDelay). */
  | { type: 'loopDelayStart'; id: number }
  /** Stop measuring and report the figures since the start. */
  | { type: 'loopDelayStop'; id: number }
  /** A full garbage collection (through the inspector, no flag needed); answered with `memory` afterwards. */
  | { type: 'collectGarbage'; id: number }
  | { type: 'shutdown' };

/** Sent by the server process. */
export type Reply =
  | { type: 'ready'; info: ServerInfo }
  | { type: 'minted'; id: number; tokens: string[]; ms: number }
  | { type: 'memory'; id: number; rss: number; heapUsed: number; heapTotal?: number; external?: number; arrayBuffers?: number }
  | { type: 'loopDelay'; id: number; figures: LoopDelayFigures }
  | { type: 'done'; id: number }
  | { type: 'failed'; id?: number; message: string };

/** Event-loop delay of a process over a period, in ms (from a perf_hooks histogram). */
export interface LoopDelayFigures {
  /** Timer resolution of the monitor, ms. */
  resolutionMs: number;
  samples: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Arguments of a server process (JSON in argv[2]). */
export interface ServerArgs {
  port: number;
  /** Ours only. */
  databaseUrl?: string;
  logLevel?: string;
  poolMax?: number;
  /**
   * Ours only: further configuration variables (as in the environment), applied over the
   * benchmark's defaults, e.g. `{ MOBILEID_URL: … }` to point Mobile ID at a simulator.
   */
  config?: Record<string, string>;
}
