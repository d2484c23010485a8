/**
 * `npx tsx bench/logins.ts`: the Mobile ID login benchmark, on PostgreSQL, against the Mobile ID
 * simulator in its own process.
 *
 *   1. complete logins per second: virtual browsers loop authorization request → phone number →
 *      Mobile ID (a number that signs at once; the server verifies the CMS) → code → tokens;
 *      with the simulator's two instant test numbers, and with a number of its own per browser
 *      approved at once on the virtual phone. The server's CPU profile says where the time goes;
 *      the CMS verification is also timed on its own.
 *   2. 10 000 pending logins, each polled by its browser every second: server memory, event-loop
 *      delay, PostgreSQL load, and the status queries Mobile ID receives.
 *
 * Each part runs on a fresh database, simulator and server. See bench/README.md.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import knexFactory, { type Knex } from 'knex';
import { request, type Agent } from 'undici';

import {
  beginLogin,
  discoverRelyingParty,
  httpAgent,
  redeemCode,
  statusUrlOf,
  submitPhone,
  VirtualBrowser,
  waitForCallback,
  type RelyingParty,
} from './lib/browser.js';
import { timeCmsVerification, type CmsTiming } from './lib/cms-timing.js';
import { MemorySampler, ROOT, freePort, serverNodeFlags, startControlledProcess, startServerProcess, type ControlledProcess, type ServerProcess } from './lib/children.js';
import { backgroundLoad, HZ, procTicks, snapshot, usageBetween, type CpuSnapshot } from './lib/cpu.js';
import { BUSY_PCT, cleanUpOnSignals, cleanup, envNumber, log, onCleanup, sleep, waitForQuiet } from './lib/harness.js';
import { latencies, round } from './lib/load.js';
import { describeSpeed, measureMachineSpeed, REFERENCE_BARE, type MachineSpeed } from './lib/machine-speed.js';
import {
  indexActivity,
  indexSnapshot,
  lastAnalyzed,
  pgActivity,
  pgSnapshot,
  tableActivity,
  tableSnapshot,
  type PgActivity,
  type PgSnapshot,
  type TableCounters,
} from './lib/pgstats.js';
import { inclusiveShare, readProfile, selfTime } from './lib/profile.js';
import type { LoopDelayFigures } from './lib/protocol.js';
import { mb } from './lib/report.js';
import type { SimulatorCounters, SimulatorInfo, SimulatorReply } from './servers/mobileid-simulator.js';

// ---------------------------------------------------------------------------------------------
// Settings


const VARIANTS = ['instant', 'approved'] as const;
type Variant = (typeof VARIANTS)[number];
const PHASES = ['logins', 'pending'] as const;
type Phase = (typeof PHASES)[number];

function readSettings() {
  const list = <T extends string>(name: string, known: readonly T[]): T[] => {
    const raw = process.env[name];
    const values = (raw ? raw.split(',').map((s) => s.trim()).filter(Boolean) : [...known]) as T[];
    for (const v of values) if (!known.includes(v)) throw new Error(`${name}: unknown value "${v}" (known: ${known.join(', ')})`);
    return values;
  };
  return {
    phases: list<Phase>('BENCH_PHASES', PHASES),
    variants: list<Variant>('BENCH_LOGIN_VARIANTS', VARIANTS),
    browsers: envNumber('BENCH_BROWSERS', 64, 1),
    duration: envNumber('BENCH_DURATION', 20, 1),
    warmup: envNumber('BENCH_WARMUP', 3, 0),
    pending: envNumber('BENCH_PENDING', 10_000, 1),
    pendingDuration: envNumber('BENCH_PENDING_DURATION', 30, 1),
    pendingPollMs: envNumber('BENCH_PENDING_POLL_MS', 1000, 50),
    pendingStartConcurrency: envNumber('BENCH_PENDING_START_CONCURRENCY', 32, 1),
    pendingConnections: envNumber('BENCH_PENDING_CONNECTIONS', 256, 1),
    pollIntervalMs: envNumber('MOBILEID_POLL_INTERVAL_MS', 2000, 500),
    databaseUrl: process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    logLevel: process.env.BENCH_LOG_LEVEL || 'info',
    poolMax: process.env.DATABASE_POOL_MAX ? envNumber('DATABASE_POOL_MAX', 10, 1) : undefined,
    quietWait: envNumber('BENCH_QUIET_WAIT', 20, 0),
    profile: (process.env.BENCH_PROFILE ?? '1') !== '0',
    profileSimulator: process.env.BENCH_PROFILE_SIMULATOR === '1',
    cmsIterations: envNumber('BENCH_CMS_ITERATIONS', 200, 10),
    retryMs: envNumber('BENCH_RETRY_MS', 100, 0),
    speed: (process.env.BENCH_SPEED ?? '1') !== '0',
  };
}

let settings: ReturnType<typeof readSettings>;
try {
  settings = readSettings();
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(2);
}

/** Same AP on both sides, as Swisscom assigns it. */
const AP_ID = 'mid://sandbox.servicecore.ch';
const DTBD_PREFIX = 'ServiceCore: ';
/** The simulator's test numbers that sign at once (EC, RSA), and the number ranges used here. */
const INSTANT_NUMBERS = ['41700092501', '41700092502'] as const;
const APPROVED_BASE = 41_780_000_000;
const PENDING_BASE = 41_791_000_000;
/** How long Mobile ID keeps a SIM request open (our request's TimeOut; the simulator's default). */
const MOBILE_ID_TIMEOUT_MS = 80_000;
const REDIRECT_URI = 'https://rp.bench.example/callback';
/** Per number: the benchmark logs in with a few numbers many times. Per address: the default (30 in 10 minutes). */
const RATE_LIMIT = '1000000/600';
/** Every virtual browser has an address of its own (10.x.y.z), as people behind a load balancer do. */
let addresses = 0;
function nextAddress(): string {
  const n = ++addresses;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}
const RESULTS_DIR = path.join(ROOT, 'bench', 'results');
const STAMP = new Date().toISOString().replace(/[:.]/g, '-');
const PROFILE_DIR = path.join(RESULTS_DIR, 'profiles', `logins-${STAMP}`);
const THRESHOLDS = { loginsPerSec: 200, pendingRssMb: 250, loopDelayP99Ms: 50 };

// ---------------------------------------------------------------------------------------------
// Clean-up: whatever happens, the child processes are stopped and the databases dropped.
cleanUpOnSignals('stopping the child processes and dropping the databases');



function errorKey(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/[0-9a-f-]{36}/gi, '<id>').replace(/\/interaction\/[\w-]+/g, '/interaction/<uid>').slice(0, 120);
}
function countInto(map: Record<string, number>, key: string, n = 1): void {
  map[key] = (map[key] ?? 0) + n;
}

// ---------------------------------------------------------------------------------------------
// A stack: fresh database, simulator process, server process, one confidential client.

interface Stack {
  label: string;
  db: { url: string; name: string };
  sim: ControlledProcess<SimulatorInfo>;
  server: ServerProcess;
  rp: RelyingParty;
  agent: Agent;
  /** A connection to the benchmark database, for its statistics. */
  appDb: Knex;
  stop(): Promise<void>;
}

let admin: Knex | undefined;
function adminDb(): Knex {
  if (!admin) {
    const created = knexFactory({ client: 'pg', connection: settings.databaseUrl, pool: { min: 0, max: 2 } });
    admin = created;
    onCleanup(() => created.destroy());
  }
  return admin;
}

async function startStack(label: string, opts: { prewarm?: string[]; connections?: number }): Promise<Stack> {
  const name = `scl_bench_${crypto.randomBytes(5).toString('hex')}`;
  await adminDb().raw(`create database ${name}`);
  const dropDb = onCleanup(async () => {
    await adminDb().raw(`drop database if exists ${name} with (force)`);
    log(`database ${name} dropped`);
  });
  const dbUrl = new URL(settings.databaseUrl);
  dbUrl.pathname = `/${name}`;
  const appDb = knexFactory({ client: 'pg', connection: dbUrl.toString(), pool: { min: 0, max: 1 } });
  const closeAppDb = onCleanup(() => appDb.destroy());

  const sim = await startControlledProcess<SimulatorInfo>({
    name: 'Mobile ID simulator',
    script: 'bench/servers/mobileid-simulator.ts',
    args: { port: await freePort(), apId: AP_ID, dtbdPrefix: DTBD_PREFIX },
    ...(settings.profileSimulator ? { execArgv: ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=simulator-${label}.cpuprofile`] } : {}),
  });
  const stopSim = onCleanup(() => sim.stop());
  if (opts.prewarm?.length) {
    log(`${label}: activating ${opts.prewarm.length} Mobile ID numbers on the simulator beforehand (key pair and certificate each)…`);
    const reply = await sim.request<Extract<SimulatorReply, { type: 'prewarmed' }>>({ type: 'prewarm', numbers: opts.prewarm });
    log(`${label}: activated in ${round(reply.ms / 1000, 1)} s`);
  }

  const anchorFile = path.join(os.tmpdir(), `scl-bench-mobileid-root-${process.pid}-${name}.pem`);
  fs.writeFileSync(anchorFile, sim.info.rootCaPem);
  const removeAnchor = onCleanup(async () => fs.rmSync(anchorFile, { force: true }));

  const server = await startServerProcess({
    name: 'ours',
    script: 'bench/servers/ours.ts',
    args: {
      port: await freePort(),
      databaseUrl: dbUrl.toString(),
      logLevel: settings.logLevel,
      ...(settings.poolMax ? { poolMax: settings.poolMax } : {}),
      config: {
        SANDBOX: 'false',
        MOBILEID_URL: sim.info.url,
        MOBILEID_TRUST_ANCHOR_FILES: anchorFile,
        MOBILEID_AP_ID: AP_ID,
        MOBILEID_DTBD_PREFIX: DTBD_PREFIX,
        MOBILEID_RATE_LIMIT_PER_NUMBER: RATE_LIMIT,
        TRUST_PROXY: 'true',
        MOBILEID_POLL_INTERVAL_MS: String(settings.pollIntervalMs),
      },
    },
  });
  const stopServer = onCleanup(() => server.stop());
  const agent = httpAgent(opts.connections);
  const closeAgent = onCleanup(() => agent.close());
  const rp = await discoverRelyingParty(agent, server.info.url, {
    clientId: server.info.clientId,
    clientSecret: server.info.clientSecret,
    redirectUri: REDIRECT_URI,
  });
  log(`${label}: server ${server.info.url} (pid ${server.pid}), simulator ${sim.info.url} (pid ${sim.pid}), database ${name}`);
  return {
    label,
    db: { url: dbUrl.toString(), name },
    sim,
    server,
    rp,
    agent,
    appDb,
    stop: async () => {
      await closeAgent();
      await closeAppDb();
      await stopServer();
      await stopSim();
      await removeAnchor();
      await dropDb();
    },
  };
}

async function simCounters(stack: Stack, reset: boolean, belowMs?: number): Promise<SimulatorCounters> {
  const reply = await stack.sim.request<Extract<SimulatorReply, { type: 'counters' }>>({
    type: 'counters',
    reset,
    ...(belowMs !== undefined ? { belowMs } : {}),
  });
  return reply.counters;
}

// ---------------------------------------------------------------------------------------------
// Measurement around a window: CPU of every party, PostgreSQL, event-loop delay, profile.

interface CpuFigures {
  /** % of one core. */
  server: number;
  postgres: number;
  simulator: number;
  loadGenerator: number;
  other: number;
  machine: number;
  /** CPU seconds of the server process (all threads) in the window. */
  serverSeconds: number;
}

type IndexUse = ReturnType<typeof indexActivity>[number];

interface WindowStart {
  cpu: CpuSnapshot;
  simTicks: number;
  serverTicks: number;
  pg: PgSnapshot;
  tables: Record<string, TableCounters>;
  indexes: Awaited<ReturnType<typeof indexSnapshot>>;
}

async function windowStart(stack: Stack): Promise<WindowStart> {
  const pg = await pgSnapshot(adminDb(), stack.db.name);
  const tables = await tableSnapshot(stack.appDb);
  const indexes = await indexSnapshot(stack.appDb);
  return { cpu: snapshot(stack.server.pid), simTicks: procTicks(stack.sim.pid), serverTicks: procTicks(stack.server.pid), pg, tables, indexes };
}

async function windowEnd(
  stack: Stack,
  start: WindowStart,
): Promise<{ cpu: CpuFigures | undefined; pg: PgActivity; tables: Record<string, TableCounters>; indexes: IndexUse[] }> {
  const cpuEnd = snapshot(stack.server.pid);
  const simTicks = procTicks(stack.sim.pid);
  const serverTicks = procTicks(stack.server.pid);
  const pg = pgActivity(start.pg, await pgSnapshot(adminDb(), stack.db.name));
  const tables = tableActivity(start.tables, await tableSnapshot(stack.appDb));
  const indexes = indexActivity(start.indexes, await indexSnapshot(stack.appDb)).slice(0, 6);
  const usage = usageBetween(start.cpu, cpuEnd);
  if (!usage) return { cpu: undefined, pg, tables, indexes };
  const seconds = (cpuEnd.at - start.cpu.at) / 1000;
  const simulator = Math.round(((simTicks - start.simTicks) / HZ / seconds) * 100);
  return {
    cpu: {
      server: usage.server,
      postgres: usage.postgres,
      simulator,
      loadGenerator: usage.loadGenerator,
      machine: usage.machine,
      other: Math.max(0, usage.other - simulator),
      serverSeconds: (serverTicks - start.serverTicks) / HZ,
    },
    pg,
    tables,
    indexes,
  };
}

/** Before a measured window, wait (boundedly) for other processes to leave the CPU alone. */

interface ProfileFigures {
  file: string;
  /** Sampled main-thread time, s, and the share of it not idle. */
  sampledSeconds: number;
  busyShare: number;
  /** Share of the busy main-thread time under the CMS verification (inclusive). */
  cmsShareOfBusy: number;
  /** Shares of the busy main-thread time under other parts (inclusive; they may overlap). */
  groups: Record<string, number>;
  topAreas: { area: string; shareOfBusy: number }[];
  topFunctions: { fn: string; shareOfBusy: number }[];
}

const CMS_PACKAGES = /\/node_modules\/(pkijs|asn1js|@peculiar\/utils|@noble\/hashes|bytestreamjs|pvtsutils|pvutils)\//;
const CMS_SOURCES = /\/src\/mobileid\/(cms|certificates)\.ts$/;
/** Other parts of a login, by the code on the stack. */
const PROFILE_GROUPS: Record<string, (f: { functionName: string; url: string }) => boolean> = {
  'database client (knex, pg)': (f) => /\/node_modules\/(knex|pg|pg-protocol|pg-pool|tarn)\//.test(f.url),
  'oidc-provider': (f) => /\/node_modules\/oidc-provider\//.test(f.url),
  'Mobile ID HTTP client (undici)': (f) => /\/node_modules\/undici\//.test(f.url),
  'garbage collector': (f) => f.functionName === '(garbage collector)',
  'pages (nunjucks)': (f) => /\/node_modules\/nunjucks\//.test(f.url),
  'logs (pino)': (f) => /\/node_modules\/(pino|sonic-boom)\//.test(f.url),
};

function summariseProfile(file: string): ProfileFigures {
  const profile = readProfile(file);
  const self = selfTime(profile, ROOT);
  const idle = self.byArea.find(([a]) => a === '(idle)')?.[1] ?? 0;
  const busy = Math.max(1, self.total - idle);
  const cms = inclusiveShare(profile, (f) => CMS_SOURCES.test(f.url) || CMS_PACKAGES.test(f.url));
  return {
    file: path.relative(ROOT, file),
    sampledSeconds: round(self.total / 1e6, 1),
    busyShare: round(busy / self.total, 3),
    cmsShareOfBusy: round(cms.us / busy, 3),
    groups: Object.fromEntries(Object.entries(PROFILE_GROUPS).map(([name, match]) => [name, round(inclusiveShare(profile, match).us / busy, 3)])),
    topAreas: self.byArea
      .filter(([a]) => a !== '(idle)')
      .slice(0, 8)
      .map(([area, us]) => ({ area, shareOfBusy: round(us / busy, 3) })),
    topFunctions: self.byFunction
      .filter(([f]) => !f.startsWith('(idle)'))
      .slice(0, 8)
      .map(([fn, us]) => ({ fn: fn.trim(), shareOfBusy: round(us / busy, 3) })),
  };
}

// ---------------------------------------------------------------------------------------------
// Part 1: complete logins per second

interface LoginVariantResult {
  variant: Variant;
  numbers: string;
  browsers: number;
  duration: number;
  logins: number;
  loginsPerSec: number;
  /** ms, authorization request to token response (retries after a refusal included). */
  latency: { p50: number; p90: number; p99: number; max: number };
  /** Phone number submissions in the window, and how many were refused with 409 (already pending). */
  submissions: number;
  collisions: number;
  collisionRate: number;
  /** Logins (completed in the window) that were refused at least once before they went through. */
  loginsWithCollision: number;
  /** Waiting pages shown (still pending) before the callback, in the window. */
  waitingReloads: number;
  errors: number;
  errorKinds: Record<string, number>;
  /** Completed logins by number, for the CMS mix (EC / RSA). */
  byNumber: Record<string, number>;
  cpu?: CpuFigures;
  serverCpuMsPerLogin?: number;
  pg: PgActivity;
  tables: Record<string, TableCounters>;
  dbCommitsPerLogin: number;
  simulator: SimulatorCounters;
  loopDelay: LoopDelayFigures;
  profile?: ProfileFigures;
  /** CPU of the CMS verifications (timed on their own) / server CPU per login. */
  cmsShareEstimate?: number;
  otherBusyPct?: number;
  disturbed: boolean;
}

function numberFor(variant: Variant, browser: number): string {
  return variant === 'instant' ? INSTANT_NUMBERS[browser % INSTANT_NUMBERS.length]! : String(APPROVED_BASE + browser);
}

async function approveOnPhone(stack: Stack, msisdn: string): Promise<void> {
  const res = await request(`${stack.sim.info.url}/phone/api/approve`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ msisdn: `+${msisdn}` }),
    dispatcher: stack.agent,
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`phone approve: HTTP ${res.statusCode} ${text.slice(0, 120)}`);
}

interface LoginOutcome {
  startedAt: number;
  endedAt: number;
  number: string;
  collisions: number;
  reloads: number;
}

/** One complete login by a new browser (no session): returns when the relying party holds an id_token. */
async function completeLogin(stack: Stack, variant: Variant, number: string, stopAt: () => number, onSubmit: (status: number) => void): Promise<LoginOutcome> {
  const startedAt = performance.now();
  const browser = new VirtualBrowser(stack.agent, stack.rp.origin, nextAddress());
  const login = await beginLogin(browser, stack.rp);
  let collisions = 0;
  let waitingUrl: URL;
  for (;;) {
    const result = await submitPhone(browser, login, number);
    onSubmit(result.kind === 'started' ? 303 : result.status);
    if (result.kind === 'started') {
      waitingUrl = result.waitingUrl;
      break;
    }
    if (result.status !== 409) throw new Error(`phone number: HTTP ${result.status} (the rate limits are raised; not expected)`);
    collisions++;
    if (performance.now() > stopAt()) throw new Error('gave up: refused (409) until the end of the run');
    // What a person does after "a request to this number is already pending": try again.
    await sleep(settings.retryMs * (1 + Math.random()));
  }
  if (variant === 'approved') await approveOnPhone(stack, number);
  const { callback, reloads } = await waitForCallback(browser, waitingUrl, { retryMs: 50, timeoutMs: 15_000 });
  await redeemCode(stack.agent, stack.rp, login, callback);
  return { startedAt, endedAt: performance.now(), number, collisions, reloads };
}

async function runLoginVariant(variant: Variant, cmsTimings: CmsTiming[]): Promise<LoginVariantResult> {
  const browsers = settings.browsers;
  const numbers = Array.from({ length: browsers }, (_, i) => numberFor(variant, i));
  const distinct = [...new Set(numbers)];
  const stack = await startStack(`logins (${variant})`, { prewarm: variant === 'approved' ? distinct : [] });
  try {
    // Before any load: one login per number, each must end with an id_token.
    for (const n of distinct) await completeLogin(stack, variant, n, () => performance.now() + 10_000, () => undefined);
    log(`${variant}: a complete login works with each of the ${distinct.length} number(s)`);

    const busy = await waitForQuiet([stack.server.pid, stack.sim.pid], settings.quietWait);
    const t0 = performance.now();
    const windowFrom = t0 + settings.warmup * 1000;
    const windowTo = windowFrom + settings.duration * 1000;
    const inWindow = (t: number) => t >= windowFrom && t < windowTo;
    // The profiler slows the server down: the measured window runs without it, and the profile
    // is taken afterwards, under the same load, for as long again.
    const profiling = settings.profile;
    const loadTo = profiling ? windowTo + settings.duration * 1000 : windowTo;

    const outcomes: LoginOutcome[] = [];
    let submissions = 0;
    let collisions = 0;
    let errors = 0;
    const errorKinds: Record<string, number> = {};
    const loop = async (i: number) => {
      const number = numbers[i]!;
      while (performance.now() < loadTo) {
        try {
          const outcome = await completeLogin(stack, variant, number, () => loadTo, (status) => {
            if (!inWindow(performance.now())) return;
            submissions++;
            if (status === 409) collisions++;
          });
          if (inWindow(outcome.endedAt)) outcomes.push(outcome);
        } catch (err) {
          if (inWindow(performance.now())) {
            errors++;
            countInto(errorKinds, errorKey(err));
          }
          await sleep(50);
        }
      }
    };
    const loops = Array.from({ length: browsers }, (_, i) => loop(i));

    await sleep(Math.max(0, windowFrom - performance.now()));
    await simCounters(stack, true);
    await stack.server.loopDelayStart();
    const start = await windowStart(stack);
    await sleep(Math.max(0, windowTo - performance.now()));
    const end = await windowEnd(stack, start);
    const simulator = await simCounters(stack, false);
    const loopDelay = await stack.server.loopDelayStop();
    let profile: ProfileFigures | undefined;
    if (profiling) {
      await stack.server.profileStart();
      await sleep(Math.max(0, loadTo - performance.now()));
      const file = path.join(PROFILE_DIR, `logins-${variant}.cpuprofile`);
      await stack.server.profileStop(file);
      profile = summariseProfile(file);
    }
    // Logins under way at the end finish (not counted); bounded by the request timeouts.
    await Promise.race([Promise.all(loops), sleep(30_000)]);

    const logins = outcomes.length;
    const byNumber: Record<string, number> = {};
    for (const o of outcomes) countInto(byNumber, o.number);
    const serverCpuMsPerLogin = end.cpu && logins ? round((end.cpu.serverSeconds * 1000) / logins, 2) : undefined;
    // The CMS mix of this run: EC for the approved numbers and 41700092501, RSA for 41700092502.
    const cpuOf = (prefix: string) => cmsTimings.find((t) => t.name.startsWith(prefix))?.cpuMs;
    const ec = cpuOf('simulator EC');
    const rsa = cpuOf('simulator RSA');
    let cmsMs: number | undefined;
    if (ec !== undefined && rsa !== undefined && logins) {
      const rsaLogins = byNumber[INSTANT_NUMBERS[1]] ?? 0;
      cmsMs = (ec * (logins - rsaLogins) + rsa * rsaLogins) / logins;
    }
    const otherBusy = end.cpu?.other;
    return {
      variant,
      numbers:
        variant === 'instant'
          ? `${INSTANT_NUMBERS.join(' / ')} (instant EC / RSA), ${Math.ceil(browsers / 2)} browsers each`
          : `one per browser (+${APPROVED_BASE}…), approved at once on the virtual phone`,
      browsers,
      duration: settings.duration,
      logins,
      loginsPerSec: round(logins / settings.duration),
      latency: latencies(outcomes.map((o) => o.endedAt - o.startedAt)),
      submissions,
      collisions,
      collisionRate: submissions ? round(collisions / submissions, 3) : 0,
      loginsWithCollision: outcomes.filter((o) => o.collisions > 0).length,
      waitingReloads: outcomes.reduce((a, o) => a + o.reloads, 0),
      errors,
      errorKinds,
      byNumber,
      ...(end.cpu ? { cpu: end.cpu } : {}),
      ...(serverCpuMsPerLogin !== undefined ? { serverCpuMsPerLogin } : {}),
      pg: end.pg,
      tables: end.tables,
      dbCommitsPerLogin: logins ? round(end.pg.commits / logins, 1) : 0,
      simulator,
      loopDelay,
      ...(profile ? { profile } : {}),
      ...(cmsMs !== undefined && serverCpuMsPerLogin ? { cmsShareEstimate: round(cmsMs / serverCpuMsPerLogin, 3) } : {}),
      ...(otherBusy !== undefined ? { otherBusyPct: otherBusy } : {}),
      disturbed: (otherBusy ?? 0) > BUSY_PCT || (busy ?? 0) > BUSY_PCT,
    };
  } finally {
    await stack.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Part 2: 10 000 pending logins, polled

interface PendingResult {
  /** CPU profiles of the server while the logins were started, and while they were polled. */
  startProfileFile?: string;
  profileFile?: string;
  /** Logins asked for, and started (all, unless the start budget ran out first). */
  logins: number;
  started: number;
  startSeconds: number;
  /** Seconds the starts were allowed (so that every login is still pending at the end of the polling). */
  startBudgetSeconds: number;
  startsPerSec: number;
  /** Pending logins this machine can hold at once at that start rate: starts/s × Mobile ID's 80 s. */
  sustainablePending: number;
  startLatency: { p50: number; p90: number; p99: number; max: number };
  startErrors: number;
  startErrorKinds: Record<string, number>;
  startCpu?: CpuFigures;
  startPg: PgActivity;
  startLoopDelay: LoopDelayFigures;
  /** Simulator activation of the numbers beforehand (not measured), s. */
  prewarmSeconds: number;
  pollSeconds: number;
  pollShortened: boolean;
  pollIntervalMs: number;
  connections: number;
  targetPollsPerSec: number;
  polls: number;
  pollsPerSec: number;
  pollLatency: { p50: number; p90: number; p99: number; max: number };
  pollStatuses: Record<string, number>;
  /** Browsers whose last poll said pending. */
  pendingAtEnd: number;
  pollErrors: number;
  pollErrorKinds: Record<string, number>;
  rss: { idle: number; afterStart: number; maxStart: number; maxPoll: number; end: number };
  heap: { afterStart: ServerMemory; end: ServerMemory; afterGc: ServerMemory };
  loopDelay: LoopDelayFigures;
  cpu?: CpuFigures;
  pg: PgActivity;
  tables: Record<string, TableCounters>;
  indexes: IndexUse[];
  /** Whether PostgreSQL had statistics of mobileid_transactions (analysed after the logins were inserted) during the polling. */
  analyzedBeforePolling: boolean;
  analyzedDuringPolling: boolean;
  tableBytes: number;
  outbound: {
    serverIntervalMs: number;
    statusQueries: number;
    /** pending logins × (window / interval + 1) */
    bound: number;
    perLoginBound: number;
    transactions: number;
    maxPerLogin: number;
    minGapMs: number | undefined;
    gapsBelowInterval: number;
    distribution: Record<string, number>;
    otherRequests: Record<string, number>;
  };
  simulatorRss: number | undefined;
  otherBusyPct?: number;
  disturbed: boolean;
}

type ServerMemory = Awaited<ReturnType<ServerProcess['memory']>>;

/** Seconds kept free between the end of the polling and the expiry of the first login on Mobile ID. */
const EXPIRY_MARGIN_S = 5;

async function runPending(): Promise<PendingResult> {
  const count = settings.pending;
  const numbers = Array.from({ length: count }, (_, i) => String(PENDING_BASE + i));
  const prewarmStarted = performance.now();
  const stack = await startStack('pending logins', { prewarm: numbers, connections: settings.pendingConnections });
  const prewarmSeconds = round((performance.now() - prewarmStarted) / 1000, 1);
  const sampler = new MemorySampler(stack.server);
  sampler.start();
  try {
    const busyBefore = await waitForQuiet([stack.server.pid, stack.sim.pid], settings.quietWait);
    const idleRss = await stack.server.rss();

    // Start the logins, each by its own browser: login page → number → waiting page. Mobile ID
    // ends a request after 80 s, so the starts stop in time for all of them to be polled for
    // the whole window while still pending.
    interface Started {
      browser: VirtualBrowser;
      statusUrl: URL;
      last?: string;
    }
    const started: Started[] = [];
    const startLatency: number[] = [];
    const startErrorKinds: Record<string, number> = {};
    let startErrors = 0;
    let firstPushAt: number | undefined;
    const startBudgetSeconds = Math.max(5, MOBILE_ID_TIMEOUT_MS / 1000 - EXPIRY_MARGIN_S - settings.pendingDuration);
    let next = 0;
    sampler.recording = true;
    await stack.server.loopDelayStart();
    if (settings.profile) await stack.server.profileStart();
    const startWindow = await windowStart(stack);
    const t0 = performance.now();
    log(`pending: starting ${count} logins, ${settings.pendingStartConcurrency} at a time, for at most ${startBudgetSeconds} s…`);
    const progress = setInterval(() => log(`pending: ${started.length} started, ${startErrors} failed`), 10_000);
    const outOfTime = () => firstPushAt !== undefined && performance.now() - firstPushAt > startBudgetSeconds * 1000;
    const starter = async () => {
      while (next < count && !outOfTime()) {
        const i = next++;
        const begun = performance.now();
        try {
          const browser = new VirtualBrowser(stack.agent, stack.rp.origin, nextAddress());
          const login = await beginLogin(browser, stack.rp);
          firstPushAt ??= performance.now();
          const result = await submitPhone(browser, login, numbers[i]!);
          if (result.kind !== 'started') throw new Error(`phone number: refused with HTTP ${result.status}`);
          const { page, left } = await browser.follow(result.waitingUrl);
          const statusUrl = left ? undefined : statusUrlOf(page);
          if (!statusUrl) throw new Error(`waiting page: HTTP ${page.status}${left ? ' (left the server)' : ''}`);
          started.push({ browser, statusUrl });
          startLatency.push(performance.now() - begun);
        } catch (err) {
          startErrors++;
          countInto(startErrorKinds, errorKey(err));
        }
      }
    };
    await Promise.all(Array.from({ length: settings.pendingStartConcurrency }, starter));
    clearInterval(progress);
    const startSeconds = (performance.now() - t0) / 1000;
    const startEnd = await windowEnd(stack, startWindow);
    const startProfileFile = settings.profile ? path.join(PROFILE_DIR, 'pending-starts.cpuprofile') : undefined;
    if (startProfileFile) await stack.server.profileStop(startProfileFile);
    const startLoopDelay = await stack.server.loopDelayStop();
    const maxStart = sampler.max;
    const afterStart = await stack.server.rss();
    const heapAfterStart = await stack.server.memory();
    const startsPerSec = round(started.length / startSeconds);
    log(
      `pending: ${started.length} of ${count} logins started in ${round(startSeconds, 1)} s (${startsPerSec}/s), ${startErrors} failed` +
        (started.length + startErrors < count ? ' — the start budget ran out' : ''),
    );

    // Poll, within the time Mobile ID keeps the first request open.
    const expiresAt = (firstPushAt ?? t0) + MOBILE_ID_TIMEOUT_MS;
    const available = (expiresAt - performance.now()) / 1000 - EXPIRY_MARGIN_S;
    const pollSeconds = Math.max(0, Math.min(settings.pendingDuration, Math.floor(available)));
    const pollShortened = pollSeconds < settings.pendingDuration;
    if (pollSeconds <= 0) throw new Error('no time left to poll before Mobile ID expires the first login');
    if (pollShortened) log(`pending: the first login expires on Mobile ID in ${round(available + EXPIRY_MARGIN_S, 1)} s: polling ${pollSeconds} s`);
    const analyzedBeforePolling = (await lastAnalyzed(stack.appDb, 'mobileid_transactions')) !== undefined;

    const pollLatency: number[] = [];
    const pollStatuses: Record<string, number> = {};
    const pollErrorKinds: Record<string, number> = {};
    let pollErrors = 0;
    let polls = 0;
    await simCounters(stack, true);
    sampler.max = 0;
    await stack.server.loopDelayStart();
    if (settings.profile) await stack.server.profileStart();
    const pollWindow = await windowStart(stack);
    const pollFrom = new Date();
    const from = performance.now();
    const to = from + pollSeconds * 1000;
    const period = settings.pendingPollMs;
    const poller = async (s: Started, i: number) => {
      // Spread the browsers evenly over the first period, as people arrive at different times.
      await sleep((i / started.length) * period);
      while (performance.now() < to) {
        const sent = performance.now();
        try {
          const page = await s.browser.request(s.statusUrl);
          if (page.status !== 200) throw new Error(`status: HTTP ${page.status}`);
          const status = (JSON.parse(page.body) as { status?: string }).status ?? 'none';
          s.last = status;
          if (sent < to) {
            polls++;
            pollLatency.push(performance.now() - sent);
            countInto(pollStatuses, status);
          }
        } catch (err) {
          if (sent < to) {
            pollErrors++;
            countInto(pollErrorKinds, errorKey(err));
          }
        }
        await sleep(Math.max(0, sent + period - performance.now()));
      }
    };
    log(`pending: ${started.length} browsers poll their status every ${period} ms for ${pollSeconds} s…`);
    const pollers = started.map((s, i) => poller(s, i));
    await sleep(Math.max(0, to - performance.now()));
    const pollEnd = await windowEnd(stack, pollWindow);
    const profileFile = settings.profile ? path.join(PROFILE_DIR, 'pending-polled.cpuprofile') : undefined;
    if (profileFile) await stack.server.profileStop(profileFile);
    const loopDelay = await stack.server.loopDelayStop();
    const outbound = await simCounters(stack, false, settings.pollIntervalMs - 250);
    const heapEnd = await stack.server.memory();
    const simulatorRss = await stack.sim.procRss();
    const analyzedAt = await lastAnalyzed(stack.appDb, 'mobileid_transactions');
    await Promise.race([Promise.all(pollers), sleep(30_000)]);
    // What of the heap was alive: a full collection once the polling is over.
    const afterGc = await stack.server.memoryAfterGc();
    const tableBytes = await tableSize(stack);
    const perLoginBound = Math.floor((pollSeconds * 1000) / settings.pollIntervalMs) + 1;
    const otherBusy = pollEnd.cpu?.other;
    return {
      logins: count,
      started: started.length,
      startSeconds: round(startSeconds, 1),
      startBudgetSeconds,
      startsPerSec,
      sustainablePending: Math.round((startsPerSec * MOBILE_ID_TIMEOUT_MS) / 1000),
      startLatency: latencies(startLatency),
      startErrors,
      startErrorKinds,
      ...(startEnd.cpu ? { startCpu: startEnd.cpu } : {}),
      startPg: startEnd.pg,
      startLoopDelay,
      prewarmSeconds,
      pollSeconds,
      pollShortened,
      pollIntervalMs: period,
      connections: settings.pendingConnections,
      targetPollsPerSec: round((started.length * 1000) / period),
      polls,
      pollsPerSec: round(polls / pollSeconds),
      pollLatency: latencies(pollLatency),
      pollStatuses,
      pendingAtEnd: started.filter((s) => s.last === 'pending').length,
      pollErrors,
      pollErrorKinds,
      rss: { idle: idleRss, afterStart, maxStart, maxPoll: sampler.max, end: heapEnd.rss },
      heap: { afterStart: heapAfterStart, end: heapEnd, afterGc },
      loopDelay,
      ...(pollEnd.cpu ? { cpu: pollEnd.cpu } : {}),
      pg: pollEnd.pg,
      tables: pollEnd.tables,
      indexes: pollEnd.indexes,
      analyzedBeforePolling,
      analyzedDuringPolling: !analyzedBeforePolling && analyzedAt !== undefined && analyzedAt >= pollFrom,
      tableBytes,
      ...(profileFile ? { profileFile: path.relative(ROOT, profileFile) } : {}),
      ...(startProfileFile ? { startProfileFile: path.relative(ROOT, startProfileFile) } : {}),
      outbound: {
        serverIntervalMs: settings.pollIntervalMs,
        statusQueries: outbound.status.queries,
        bound: started.length * perLoginBound,
        perLoginBound,
        transactions: outbound.status.transactions,
        maxPerLogin: outbound.status.maxPerTransaction,
        minGapMs: outbound.status.minGapMs,
        gapsBelowInterval: outbound.status.gapsBelow,
        distribution: outbound.status.distribution,
        otherRequests: Object.fromEntries(Object.entries(outbound.requests).filter(([k]) => k !== 'status')),
      },
      simulatorRss,
      ...(otherBusy !== undefined ? { otherBusyPct: otherBusy } : {}),
      disturbed: (otherBusy ?? 0) > BUSY_PCT || (busyBefore ?? 0) > BUSY_PCT,
    };
  } finally {
    sampler.stop();
    await stack.stop();
  }
}

async function tableSize(stack: Stack): Promise<number> {
  const { rows } = (await stack.appDb.raw(`select pg_total_relation_size('mobileid_transactions') as bytes`)) as { rows: { bytes: string }[] };
  return Number(rows[0]?.bytes ?? 0);
}

// ---------------------------------------------------------------------------------------------
// Report

type Status = 'met' | 'missed' | 'invalid' | 'not run' | 'for information';
const MARK: Record<Status, string> = { met: '✅ met', missed: '❌ missed', invalid: '⚠️ invalid', 'not run': '– not run', 'for information': 'ℹ️ for information' };

interface TargetResult {
  target: string;
  measured: string;
  status: Status;
  note?: string;
}

function evaluate(variants: LoginVariantResult[], pending: PendingResult | undefined): TargetResult[] {
  const out: TargetResult[] = [];
  for (const v of variants) {
    out.push({
      target: `complete logins ≥ ${THRESHOLDS.loginsPerSec}/s (${v.variant})`,
      measured: `${v.loginsPerSec}/s`,
      status:
        v.errors > 0 && v.logins === 0
          ? 'invalid'
          : v.variant === 'instant'
            ? 'for information'
            : v.loginsPerSec >= THRESHOLDS.loginsPerSec
              ? 'met'
              : 'missed',
      ...(v.errors
        ? { note: `${v.errors} errors` }
        : v.variant === 'instant'
          ? { note: 'two test numbers shared by every browser, one pending request per number: the approved variant is the one to compare' }
          : v.disturbed
            ? { note: 'machine busy with other work' }
            : {}),
    });
  }
  if (!variants.length) out.push({ target: `complete logins ≥ ${THRESHOLDS.loginsPerSec}/s`, measured: '–', status: 'not run' });
  if (!pending) {
    out.push({ target: `memory < ${THRESHOLDS.pendingRssMb} MB with ${settings.pending} pending`, measured: '–', status: 'not run' });
    out.push({ target: `event-loop delay p99 < ${THRESHOLDS.loopDelayP99Ms} ms while polled`, measured: '–', status: 'not run' });
    out.push({ target: 'outbound status queries ≤ bound', measured: '–', status: 'not run' });
    return out;
  }
  const maxRss = Math.max(pending.rss.maxStart, pending.rss.maxPoll, pending.rss.end);
  const partial = pending.started < pending.logins;
  const over = mb(maxRss) >= THRESHOLDS.pendingRssMb;
  out.push({
    target: `server memory < ${THRESHOLDS.pendingRssMb} MB with ${pending.logins} pending (max RSS)`,
    measured: `${mb(maxRss)} MB with ${pending.started} pending`,
    // Fewer pending than asked: a miss still counts, a pass does not prove the target.
    status: over ? 'missed' : partial ? 'invalid' : 'met',
    ...(partial ? { note: `only ${pending.started} of ${pending.logins} started in time` } : {}),
  });
  out.push({
    target: `event-loop delay p99 < ${THRESHOLDS.loopDelayP99Ms} ms while polled`,
    measured: `${pending.loopDelay.p99} ms`,
    status: pending.loopDelay.p99 < THRESHOLDS.loopDelayP99Ms ? 'met' : 'missed',
    note: `${pending.started} pending, ${pending.pollsPerSec} polls/s of ${pending.targetPollsPerSec} asked`,
  });
  const o = pending.outbound;
  const within = o.statusQueries <= o.bound && o.maxPerLogin <= o.perLoginBound && o.gapsBelowInterval === 0;
  out.push({
    target: `outbound status queries ≤ logins × (window / interval + 1)`,
    measured: `${o.statusQueries} ≤ ${o.bound}; max ${o.maxPerLogin}/login (≤ ${o.perLoginBound}); min gap ${o.minGapMs ?? '–'} ms`,
    status: within ? 'met' : 'missed',
  });
  return out;
}

const ms = (n: number | undefined) => (n === undefined ? '–' : String(n));
const pctText = (share: number | undefined) => (share === undefined ? '–' : `${round(share * 100, 1)} %`);
const cpuText = (c: CpuFigures | undefined) =>
  c ? `${c.server} / ${c.postgres} / ${c.simulator} / ${c.loadGenerator} / ${c.other > BUSY_PCT ? `⚠️ ${c.other}` : c.other}` : '–';
const kinds = (m: Record<string, number>) =>
  Object.entries(m)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([k, n]) => `${n}× ${k}`)
    .join('; ');

/** Per table: scans and writes per unit (login, poll), the busiest first; sequential scans reading rows in bold. */
function tableText(tables: Record<string, TableCounters>, per: number, unit: string): string {
  if (!per) return '–';
  const f = (n: number) => round(n / per, 2);
  const shown = Object.entries(tables).filter(([, t]) => [t.seqScans, t.indexScans, t.inserted, t.updated, t.deleted].some((n) => n / per >= 0.05));
  return (
    shown
      .sort((a, b) => b[1].seqRowsRead - a[1].seqRowsRead || b[1].indexScans - a[1].indexScans)
      .map(
        ([name, t]) =>
          `${name}: ${t.seqRowsRead / per >= 1 ? `**${f(t.seqScans)} seq scans reading ${f(t.seqRowsRead)} rows**, ` : ''}${f(t.indexScans)} index scans, ${f(t.inserted)} inserts, ${f(t.updated)} updates` +
          `${t.deleted ? `, ${f(t.deleted)} deletes` : ''} (${t.liveRows} rows)`,
      )
      .join('; ') + ` — per ${unit}`
  );
}

function markdown(opts: { variants: LoginVariantResult[]; pending: PendingResult | undefined; cms: CmsTiming[]; targets: TargetResult[]; speed: MachineSpeed | undefined }): string {
  const lines: string[] = [];
  const { variants, pending, cms, speed } = opts;
  if (variants.length) {
    lines.push(`### Complete logins (authorization request → Mobile ID → code → tokens), ${settings.browsers} browsers, ${settings.duration} s`, '');
    lines.push(
      `Each browser loops: a new browser (no session) → authorization request (PKCE S256, state) → login page → number (CSRF, interaction cookie) → waiting page → redirects (the server queries Mobile ID and verifies the CMS) → callback → the relying party redeems the code (client_secret_basic + verifier) and checks the id_token. A number refused with 409 (a request to it is already pending) is submitted again after ${settings.retryMs}–${settings.retryMs * 2} ms; latency includes those retries, server CPU per login includes the refused attempts.`,
      '',
    );
    lines.push('| variant | logins/s | p50 / p90 / p99 ms | refused 409 (of submissions) | logins refused at least once | errors | server CPU ms/login | DB commits/login | event-loop delay p99 ms |');
    lines.push('| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |');
    for (const v of variants) {
      lines.push(
        `| ${v.variant}: ${v.numbers} | ${v.loginsPerSec} | ${v.latency.p50} / ${v.latency.p90} / ${v.latency.p99} | ${v.collisions} of ${v.submissions} (${pctText(v.collisionRate)}) | ${v.loginsWithCollision} of ${v.logins} | ${v.errors ? `⚠️ ${v.errors}: ${kinds(v.errorKinds)}` : '0'} | ${ms(v.serverCpuMsPerLogin)} | ${v.dbCommitsPerLogin} | ${v.loopDelay.p99} |`,
      );
    }
    if (speed) {
      lines.push(
        '',
        `This machine ran the bare oidc-provider at ${speed.factor}× the speed of the machine the targets were set on (header). Logins divided by that, for information (PostgreSQL, the simulator and the load generator share the cores and need not scale alike; the target is read on the figure measured): ${variants.map((v) => `${v.variant} ≈ ${Math.round(v.loginsPerSec / speed.factor)} logins/s`).join(', ')}.`,
      );
    }
    lines.push('', '#### Where the server spends its time per login', '');
    lines.push(
      '| variant | CPU % of a core: server / PostgreSQL / simulator / load generator / other | CMS share of the busy main thread (profile) | CMS share of server CPU (timed CMS ÷ CPU per login) | other parts of the busy main thread (profile, inclusive) | top self time (main thread, busy) |',
    );
    lines.push('| --- | --- | ---: | ---: | --- | --- |');
    for (const v of variants) {
      const top = v.profile ? v.profile.topAreas.slice(0, 5).map((a) => `${a.area} ${pctText(a.shareOfBusy)}`).join(', ') : '–';
      const groups = v.profile ? Object.entries(v.profile.groups).map(([g, share]) => `${g} ${pctText(share)}`).join(', ') : '–';
      lines.push(`| ${v.variant} | ${cpuText(v.cpu)} | ${pctText(v.profile?.cmsShareOfBusy)} | ${pctText(v.cmsShareEstimate)} | ${groups} | ${top} |`);
    }
    lines.push('', '#### PostgreSQL per login', '');
    for (const v of variants) lines.push(`- ${v.variant}: ${tableText(v.tables, v.logins, 'completed login')}`);
    const profiles = variants.filter((v) => v.profile).map((v) => v.profile!.file);
    if (profiles.length) lines.push('', `Profiles: ${profiles.join(', ')} (\`npx tsx bench/profile-summary.ts <file>\`).`);
  }
  if (cms.length) {
    lines.push('', `### CMS verification on its own (\`verifyCmsSignature\`, ${cms[0]!.iterations} in a row, this process)`, '');
    lines.push('| signature | chain | ms per verification (wall) | CPU ms per verification (all threads) |');
    lines.push('| --- | --- | ---: | ---: |');
    for (const c of cms) lines.push(`| ${c.name} | ${c.description} | ${c.wallMs} | ${c.cpuMs} |`);
  }
  if (pending) {
    const p = pending;
    lines.push('', `### ${p.started} pending Mobile ID logins${p.started < p.logins ? ` (of ${p.logins} asked)` : ''}, polled by their browsers`, '');
    lines.push('| step | figures |');
    lines.push('| --- | --- |');
    lines.push(
      `| start (authorization request → login page → number → waiting page), ${settings.pendingStartConcurrency} at a time, at most ${p.startBudgetSeconds} s | ${p.started} started in ${p.startSeconds} s (**${p.startsPerSec}/s**; at that rate this machine holds at most ${p.sustainablePending} pending logins, Mobile ID ending each after ${MOBILE_ID_TIMEOUT_MS / 1000} s), p50 / p99 ${p.startLatency.p50} / ${p.startLatency.p99} ms, ${p.startErrors ? `⚠️ ${p.startErrors} failed: ${kinds(p.startErrorKinds)}` : 'no failures'}; CPU server / PostgreSQL / simulator / load generator / other ${cpuText(p.startCpu)}; event-loop delay p99 ${p.startLoopDelay.p99} ms |`,
    );
    lines.push(
      `| polling: every browser every ${p.pollIntervalMs} ms for ${p.pollSeconds} s${p.pollShortened ? ` (shortened from ${settings.pendingDuration} s: Mobile ID ends a request after ${MOBILE_ID_TIMEOUT_MS / 1000} s)` : ''}, over ${p.connections} connections | ${p.polls} polls = **${p.pollsPerSec}/s** of ${p.targetPollsPerSec}/s asked; p50 / p99 ${p.pollLatency.p50} / ${p.pollLatency.p99} ms (in the client, queueing included); answers ${JSON.stringify(p.pollStatuses)}, ${p.pendingAtEnd} still pending at the end; ${p.pollErrors ? `⚠️ ${p.pollErrors} errors: ${kinds(p.pollErrorKinds)}` : 'no errors'} |`,
    );
    const heap = (m: ServerMemory) =>
      `heap ${mb(m.heapUsed)} of ${m.heapTotal !== undefined ? mb(m.heapTotal) : '?'} MB, external ${m.external !== undefined ? mb(m.external) : '?'} MB (array buffers ${m.arrayBuffers !== undefined ? mb(m.arrayBuffers) : '?'} MB)`;
    lines.push(
      `| server memory (RSS) | idle ${mb(p.rss.idle)} MB → after the starts ${mb(p.rss.afterStart)} MB (max ${mb(p.rss.maxStart)}; ${heap(p.heap.afterStart)}) → max while polled **${mb(p.rss.maxPoll)} MB**, at the end ${mb(p.rss.end)} MB (${heap(p.heap.end)}); after the polling and a full garbage collection ${mb(p.heap.afterGc.rss)} MB (${heap(p.heap.afterGc)}) |`,
    );
    lines.push(`| server event-loop delay while polled | p50 ${p.loopDelay.p50} ms, p90 ${p.loopDelay.p90} ms, **p99 ${p.loopDelay.p99} ms**, max ${p.loopDelay.max} ms |`);
    lines.push(`| CPU while polled, % of a core: server / PostgreSQL / simulator / load generator / other | ${cpuText(p.cpu)} |`);
    const s = p.pg.seconds || 1;
    lines.push(
      `| PostgreSQL while polled | ${round(p.pg.commits / s)} transactions/s (${p.polls ? round(p.pg.commits / p.polls, 2) : '–'} per poll); rows/s returned ${round(p.pg.rowsReturned / s)} (${p.polls ? round(p.pg.rowsReturned / p.polls) : '–'} per poll), fetched ${round(p.pg.rowsFetched / s)}, updated ${round(p.pg.rowsUpdated / s)}; ${p.pg.backends} connections; mobileid_transactions ${mb(p.tableBytes)} MB; planner statistics of mobileid_transactions ${p.analyzedBeforePolling ? 'present' : p.analyzedDuringPolling ? 'missing at the start, gathered (autovacuum) during the polling' : 'missing (not analysed since the logins were inserted)'} |`,
    );
    lines.push(`| tables while polled | ${tableText(p.tables, p.polls, 'poll')} |`);
    lines.push(
      `| indexes while polled (most entries read) | ${p.indexes
        .slice(0, 3)
        .map((i) => `${i.index}: ${p.polls ? round(i.scans / p.polls, 2) : '–'} scans and ${p.polls ? round(i.entriesRead / p.polls, 1) : '–'} entries read per poll`)
        .join('; ')} |`,
    );
    const o = p.outbound;
    lines.push(
      `| status queries Mobile ID received while polled | **${o.statusQueries}** (${round(o.statusQueries / p.pollSeconds)}/s) for ${o.transactions} logins; bound ${p.started} × (${p.pollSeconds} s / ${o.serverIntervalMs / 1000} s + 1) = ${o.bound}; at most ${o.maxPerLogin} for one login (bound ${o.perLoginBound}); shortest gap between two queries of one login ${o.minGapMs ?? '–'} ms (${o.gapsBelowInterval} gaps under ${o.serverIntervalMs - 250} ms) |`,
    );
    const profiles = [p.startProfileFile && `while started ${p.startProfileFile}`, p.profileFile && `while polled ${p.profileFile}`].filter(Boolean);
    if (profiles.length) lines.push('', `Profiles of the server: ${profiles.join(', ')} (\`npx tsx bench/profile-summary.ts <file>\`).`);
  }
  lines.push('', '### Targets', '');
  lines.push('| target | measured | status |');
  lines.push('| --- | --- | --- |');
  for (const t of opts.targets) lines.push(`| ${t.target} | ${t.measured} | ${MARK[t.status]}${t.note ? ` (${t.note})` : ''} |`);
  return lines.join('\n');
}

function readVersion(pkg: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const startedAt = new Date();
  const loginBudget = settings.phases.includes('logins') ? settings.variants.length * (settings.warmup + settings.duration + settings.quietWait + 90) : 0;
  const pendingBudget = settings.phases.includes('pending') ? settings.pending / 100 + settings.pendingDuration + settings.quietWait + 180 : 0;
  const budgetMs = (loginBudget + pendingBudget + 120) * 1000;
  const deadline = setTimeout(() => {
    console.error(`The benchmark exceeded its time budget (${Math.round(budgetMs / 1000)} s): stopping.`);
    void cleanup().finally(() => process.exit(1));
  }, budgetMs);
  deadline.unref();

  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const busyBefore = await backgroundLoad(1500, []);
  if (busyBefore !== undefined && busyBefore > BUSY_PCT) {
    console.log(`⚠️ The machine is busy before the benchmark starts (${busyBefore} % of a core in use by other processes): figures will be low and noisy.`);
  }
  const pgVersion = String(((await adminDb().raw('show server_version')) as { rows: { server_version: string }[] }).rows[0]?.server_version);

  log(`timing the CMS verification on its own (${settings.cmsIterations} per signature)…`);
  const cms = await timeCmsVerification({ dtbdPrefix: DTBD_PREFIX, iterations: settings.cmsIterations });
  for (const c of cms) log(`CMS ${c.name}: ${c.cpuMs} ms CPU per verification`);

  let speed: MachineSpeed | undefined;
  if (settings.speed) {
    await waitForQuiet([], settings.quietWait);
    log('measuring the machine: bare oidc-provider, client_credentials, 2 + 5 s…');
    speed = await measureMachineSpeed({ seconds: 5, warmup: 2 });
    log(describeSpeed('client_credentials', speed.bareClientCredentialsPerSec));
  }

  const variants: LoginVariantResult[] = [];
  if (settings.phases.includes('logins')) {
    for (const variant of settings.variants) {
      const result = await runLoginVariant(variant, cms);
      variants.push(result);
      log(
        `${variant}: ${result.loginsPerSec} logins/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ` +
          `${result.collisions} refused (409) of ${result.submissions} submissions, ${result.errors} errors` +
          (result.profile ? `, CMS ${pctText(result.profile.cmsShareOfBusy)} of the busy main thread` : ''),
      );
    }
  }
  let pending: PendingResult | undefined;
  if (settings.phases.includes('pending')) {
    pending = await runPending();
    log(
      `pending: ${pending.pollsPerSec} polls/s, RSS max ${mb(pending.rss.maxPoll)} MB, event-loop delay p99 ${pending.loopDelay.p99} ms, ` +
        `${pending.outbound.statusQueries} status queries (bound ${pending.outbound.bound})`,
    );
  }

  const targets = evaluate(variants, pending);
  const cpu = os.cpus();
  const header = [
    `## ServiceCore Login: Mobile ID logins — ${startedAt.toISOString()}`,
    '',
    `- machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${mb(os.totalmem())} MB RAM, ${os.platform()} ${os.release()}`,
    `- Node ${process.version}, oidc-provider ${readVersion('oidc-provider')}, pkijs ${readVersion('pkijs')}, asn1js ${readVersion('asn1js')}, PostgreSQL ${pgVersion} on loopback`,
    `- server: production start-up (\`startServer\`) in its own process with the Node options of \`npm run start:prod\` (\`${serverNodeFlags().join(' ') || 'none'}\`), fresh database per part, DATABASE_POOL_MAX ${settings.poolMax ?? 10}, logs at ${settings.logLevel} to ${process.env.BENCH_SERVER_LOG || '/dev/null'}; Mobile ID = the simulator in another process (plain HTTP on loopback, AP_ID ${AP_ID}), MOBILEID_POLL_INTERVAL_MS ${settings.pollIntervalMs}, rate limit per number raised to ${RATE_LIMIT}; TRUST_PROXY=true and each virtual browser sends its own address (10.x.y.z) in X-Forwarded-For, so the limit per address is the default`,
    '- load generator (virtual browsers with their own cookies, the relying party) in the benchmark process; one machine for all: server, PostgreSQL, simulator and load generator share its cores',
    ...(speed ? [`- machine speed (\`bench/lib/machine-speed.ts\`): ${describeSpeed('client_credentials', speed.bareClientCredentialsPerSec)}`] : []),
  ].join('\n');
  const report = markdown({ variants, pending, cms, targets, speed });
  const warnings = [
    ...(busyBefore !== undefined && busyBefore > BUSY_PCT ? [`⚠️ Other processes used ${busyBefore} % of a core before the start.`] : []),
    ...variants.filter((v) => v.disturbed).map((v) => `⚠️ ${v.variant}: other processes used ${v.otherBusyPct ?? '?'} % of a core during the run: run again on a quiet machine.`),
    ...(pending?.disturbed ? [`⚠️ pending: other processes used ${pending.otherBusyPct ?? '?'} % of a core while polled.`] : []),
  ]
    .map((w) => `\n\n${w}`)
    .join('');
  console.log(`\n${header}\n\n${report}${warnings}\n`);

  const file = path.join(RESULTS_DIR, `logins-${STAMP}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        settings: { ...settings, databaseUrl: undefined },
        machineBusyBeforePercentOfCore: busyBefore,
        machine: { cpus: cpu.length, cpuModel: cpu[0]?.model, totalMemMb: mb(os.totalmem()), platform: `${os.platform()} ${os.release()}` },
        versions: { node: process.version, oidcProvider: readVersion('oidc-provider'), pkijs: readVersion('pkijs'), asn1js: readVersion('asn1js'), postgresql: pgVersion },
        cms,
        ...(speed ? { machineSpeed: { ...speed, reference: REFERENCE_BARE } } : {}),
        logins: variants,
        pending,
        targets,
      },
      null,
      2,
    ),
  );
  console.log(`Results written to ${path.relative(ROOT, file)}`);
}

main()
  .then(async () => {
    await cleanup();
    process.exit(0);
  })
  .catch(async (err: unknown) => {
    console.error(`\nBenchmark failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    await cleanup();
    process.exit(1);
  });
