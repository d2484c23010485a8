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
  | { type: 'shutdown' };

/** Sent by the server process. */
export type Reply =
  | { type: 'ready'; info: ServerInfo }
  | { type: 'minted'; id: number; tokens: string[]; ms: number }
  | { type: 'memory'; id: number; rss: number; heapUsed: number }
  | { type: 'done'; id: number }
  | { type: 'failed'; id?: number; message: string };

/** Arguments of a server process (JSON in argv[2]). */
export interface ServerArgs {
  port: number;
  /** Ours only. */
  databaseUrl?: string;
  logLevel?: string;
  poolMax?: number;
}
