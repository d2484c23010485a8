/**
 * `npm run bench`: this server (on PostgreSQL) and a bare oidc-provider, side by side on loopback.
 *
 * Each server runs in its own Node process; the load generator (autocannon) runs here. Endpoints
 * are measured one after the other, never both servers at once. See bench/README.md.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import knexFactory, { type Knex } from 'knex';

import { backgroundLoad, snapshot, usageBetween, type CpuSnapshot } from './lib/cpu.js';
import { BUSY_PCT, basicAuthorization, cleanUpOnSignals, cleanup, envNumber, log, onCleanup, sleep, waitForQuiet } from './lib/harness.js';
import { MemorySampler, ROOT, freePort, serverNodeFlags, startServerProcess, type ServerProcess } from './lib/children.js';
import { round, runLoad, failures, type LoadFigures, type LoadSpec } from './lib/load.js';
import { describeSpeed } from './lib/machine-speed.js';
import {
  ENDPOINTS,
  ENDPOINT_LABELS,
  evaluateTargets,
  markdownReport,
  mb,
  pct,
  type Endpoint,
  type EndpointResult,
  type MemoryResult,
  type PoolInfo,
} from './lib/report.js';

// ---------------------------------------------------------------------------------------------
// Settings


type ServerName = 'ours' | 'bare';

function readSettings() {
  const read = {
    duration: envNumber('BENCH_DURATION', 10, 1),
    warmup: envNumber('BENCH_WARMUP', 2, 0),
    connections: envNumber('BENCH_CONNECTIONS', 50, 1),
    databaseUrl: process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    logLevel: process.env.BENCH_LOG_LEVEL || 'info',
    poolMax: process.env.DATABASE_POOL_MAX ? envNumber('DATABASE_POOL_MAX', 10, 1) : undefined,
    refreshPoolMax: envNumber('BENCH_REFRESH_POOL', 60_000, 100),
    endpoints: (process.env.BENCH_ENDPOINTS ? process.env.BENCH_ENDPOINTS.split(',').map((s) => s.trim()) : [...ENDPOINTS]) as Endpoint[],
    servers: (process.env.BENCH_SERVERS ? process.env.BENCH_SERVERS.split(',').map((s) => s.trim()) : ['ours', 'bare']) as ServerName[],
    quietWait: envNumber('BENCH_QUIET_WAIT', 20, 0),
    cpuProfile: (process.env.BENCH_CPU_PROF ?? '').split(',').map((s) => s.trim()).filter(Boolean),
  };
  for (const e of read.endpoints) {
    if (!ENDPOINTS.includes(e)) throw new Error(`BENCH_ENDPOINTS: unknown endpoint "${e}" (known: ${ENDPOINTS.join(', ')})`);
  }
  for (const s of read.servers) {
    if (s !== 'ours' && s !== 'bare') throw new Error(`BENCH_SERVERS: unknown server "${s}" (ours, bare)`);
  }
  return read;
}

let settings: ReturnType<typeof readSettings>;
try {
  settings = readSettings();
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(2);
}

const RESULTS_DIR = path.join(ROOT, 'bench', 'results');
const PROFILE_DIR = path.join(RESULTS_DIR, 'profiles', new Date().toISOString().replace(/[:.]/g, '-'));
const PAUSE_MS = 1000;

// ---------------------------------------------------------------------------------------------
// Clean-up: whatever happens, the server processes are stopped and the database dropped.
cleanUpOnSignals('stopping the servers and dropping the database');


/** The server processes, whose CPU use is not "other". */
const serverPids: number[] = [];

// ---------------------------------------------------------------------------------------------
// Set-up

async function createDatabase(): Promise<{ url: string; name: string; admin: Knex; version: string }> {
  const admin = knexFactory({ client: 'pg', connection: settings.databaseUrl, pool: { min: 0, max: 1 } });
  onCleanup(() => admin.destroy());
  const name = `scl_bench_${crypto.randomBytes(5).toString('hex')}`;
  const version = String(((await admin.raw('show server_version')) as { rows: { server_version: string }[] }).rows[0]?.server_version);
  await admin.raw(`create database ${name}`);
  onCleanup(async () => {
    await admin.raw(`drop database if exists ${name} with (force)`);
    log(`database ${name} dropped`);
  });
  const url = new URL(settings.databaseUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), name, admin, version };
}

/**
 * The token table went from empty to tens of thousands of rows within seconds, faster than
 * autovacuum's first look at a new database (a minute): its statistics are brought up to date, as
 * they are on a database in service, so the server's prepared statements are planned for the
 * table's real size.
 */
async function analyze(databaseUrl: string): Promise<void> {
  const benchDb = knexFactory({ client: 'pg', connection: databaseUrl, pool: { min: 0, max: 1 } });
  try {
    await benchDb.raw('analyze');
    log('ours: table statistics updated (analyze)');
  } finally {
    await benchDb.destroy();
  }
}

async function start(name: ServerName, databaseUrl: string): Promise<ServerProcess> {
  const server = await startServerProcess({
    name,
    script: name === 'ours' ? 'bench/servers/ours.ts' : 'bench/servers/bare.ts',
    args: {
      port: await freePort(),
      ...(name === 'ours' ? { databaseUrl, logLevel: settings.logLevel, ...(settings.poolMax ? { poolMax: settings.poolMax } : {}) } : {}),
    },
  });
  onCleanup(() => server.stop());
  return server;
}

interface Target {
  server: ServerProcess;
  basic: string;
  paths: { discovery: string; jwks: string; token: string; introspection: string };
  /** An opaque access token issued by the server (refresh grant), for introspection. */
  accessToken: string;
  sampler: MemorySampler;
  idleRss: number;
}

const FORM = 'application/x-www-form-urlencoded';

/** One request of each kind, checked for content, before any load. Stops the bench when one fails. */
async function preflight(server: ServerProcess): Promise<Omit<Target, 'sampler' | 'idleRss'>> {
  const { url, clientId, clientSecret } = server.info;
  const basic = basicAuthorization(clientId, clientSecret);
  const fail = (what: string, detail: unknown): never => {
    throw new Error(`${server.name}: ${what} does not work before load: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`);
  };
  const json = async (res: Response) => (await res.json()) as Record<string, unknown>;

  const discoveryRes = await fetch(`${url}/.well-known/openid-configuration`);
  const discovery = await json(discoveryRes);
  if (discoveryRes.status !== 200 || discovery.issuer !== url) fail('discovery', discovery);
  const pathOf = (key: string) => {
    const value = discovery[key];
    if (typeof value !== 'string') return fail('discovery', `no ${key}`);
    return new URL(value).pathname;
  };
  const paths = {
    discovery: '/.well-known/openid-configuration',
    jwks: pathOf('jwks_uri'),
    token: pathOf('token_endpoint'),
    introspection: pathOf('introspection_endpoint'),
  };

  const jwks = await json(await fetch(`${url}${paths.jwks}`));
  const algs = ((jwks.keys as { alg?: string }[] | undefined) ?? []).map((k) => k.alg).sort();
  if (!algs.includes('RS256') || !algs.includes('ES256')) fail('JWKS', jwks);

  const post = (p: string, body: string) =>
    fetch(`${url}${p}`, { method: 'POST', headers: { authorization: basic, 'content-type': FORM }, body });

  const cc = await json(await post(paths.token, 'grant_type=client_credentials'));
  if (typeof cc.access_token !== 'string') fail('client_credentials', cc);

  const { tokens } = await server.mint(1);
  const refreshed = await json(await post(paths.token, `grant_type=refresh_token&refresh_token=${encodeURIComponent(tokens[0]!)}`));
  if (typeof refreshed.access_token !== 'string' || typeof refreshed.refresh_token !== 'string' || typeof refreshed.id_token !== 'string') {
    fail('refresh_token', refreshed);
  }
  const accessToken = refreshed.access_token as string;

  const introspected = await json(await post(paths.introspection, `token=${encodeURIComponent(accessToken)}`));
  if (introspected.active !== true) fail('introspection', introspected);

  return { server, basic, paths, accessToken };
}

// ---------------------------------------------------------------------------------------------
// Load

function specFor(endpoint: Endpoint, t: Target, duration: number, nextBody?: () => string | undefined): LoadSpec {
  const base = { connections: settings.connections, duration };
  const url = t.server.info.url;
  const auth = { authorization: t.basic, 'content-type': FORM };
  switch (endpoint) {
    case 'discovery':
      return { ...base, url: url + t.paths.discovery, method: 'GET' };
    case 'jwks':
      return { ...base, url: url + t.paths.jwks, method: 'GET' };
    case 'client_credentials':
      return { ...base, url: url + t.paths.token, method: 'POST', headers: auth, body: 'grant_type=client_credentials' };
    case 'refresh_token':
      if (!nextBody) throw new Error('refresh_token needs a token pool');
      return { ...base, url: url + t.paths.token, method: 'POST', headers: auth, nextBody };
    case 'introspection':
      return {
        ...base,
        url: url + t.paths.introspection,
        method: 'POST',
        headers: auth,
        body: `token=${encodeURIComponent(t.accessToken)}`,
        verifyBody: (body) => body.includes('"active":true'),
      };
  }
}

/** Enough single-use refresh tokens for warm-up and run, judged from the client_credentials rate. */
function poolSizeFor(ccRate: number | undefined): number {
  if (ccRate === undefined) return settings.refreshPoolMax;
  const needed = Math.ceil(ccRate * (settings.warmup + settings.duration) * 1.3) + settings.connections * 4;
  return Math.min(settings.refreshPoolMax, Math.max(needed, 2000));
}

/** Before a run, wait (boundedly) for other processes to leave the CPU alone. */

async function measure(endpoint: Endpoint, t: Target, nextBody?: () => string | undefined): Promise<LoadFigures> {
  await waitForQuiet(serverPids, settings.quietWait);
  t.sampler.startWindow();
  try {
    const profiling = settings.cpuProfile.includes(t.server.name);
    let before: CpuSnapshot | undefined;
    let profileStarted: Promise<void> | undefined;
    const figures = await runLoad(specFor(endpoint, t, settings.duration, nextBody), {
      warmup: settings.warmup,
      onWindowStart: () => {
        before = snapshot(t.server.pid);
        if (!profiling) return;
        profileStarted = t.server.profileStart();
        profileStarted.catch(() => {}); // awaited (and thrown) once the run is over
      },
    });
    const cpu = before && usageBetween(before, snapshot(t.server.pid));
    if (profileStarted) {
      await profileStarted;
      const file = path.join(PROFILE_DIR, `${t.server.name}-${endpoint}.cpuprofile`);
      await t.server.profileStop(file);
      log(`CPU profile written to ${path.relative(ROOT, file)}`);
    }
    return { ...figures, ...(cpu ? { cpu } : {}), ...(t.sampler.windowMax ? { maxRss: t.sampler.windowMax } : {}) };
  } finally {
    t.sampler.recording = false;
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const startedAt = new Date();
  const perRun = settings.warmup + settings.duration + settings.quietWait + PAUSE_MS / 1000 + 5;
  const budgetMs = (settings.endpoints.length * settings.servers.length * perRun + 300) * 1000;
  const deadline = setTimeout(() => {
    console.error(`The benchmark exceeded its time budget (${Math.round(budgetMs / 1000)} s): stopping.`);
    void cleanup().finally(() => process.exit(1));
  }, budgetMs);
  deadline.unref();

  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  // Other work on the machine competes with the servers: say so rather than report skewed figures.
  const busyBefore = await backgroundLoad(1500, []);
  if (busyBefore !== undefined && busyBefore > BUSY_PCT) {
    console.log(`⚠️ The machine is busy before the benchmark starts (${busyBefore} % of a core in use by other processes): figures will be low and noisy.`);
  }
  const versions = {
    node: process.version,
    oidcProvider: readVersion('oidc-provider'),
    autocannon: readVersion('autocannon'),
    serverNodeFlags: serverNodeFlags().join(' '),
  };

  const db = settings.servers.includes('ours') ? await createDatabase() : undefined;
  if (db) log(`database ${db.name} created on PostgreSQL ${db.version}`);

  const targets: Partial<Record<ServerName, Target>> = {};
  for (const name of settings.servers) {
    const server = await start(name, db?.url ?? '');
    log(`${name} server ready at ${server.info.url} (pid ${server.pid}): ${describe(server.info.details)}`);
    serverPids.push(server.pid);
    const sampler = new MemorySampler(server);
    onCleanup(async () => sampler.stop());
    targets[name] = { server, sampler, idleRss: 0, basic: '', paths: { discovery: '', jwks: '', token: '', introspection: '' }, accessToken: '' };
  }

  // Idle memory: started, settled, nothing asked of it yet.
  await sleep(2000);
  for (const t of Object.values(targets)) {
    t.idleRss = await t.server.rss();
    t.sampler.start();
  }
  for (const t of Object.values(targets)) {
    Object.assign(t, await preflight(t.server));
    log(`${t.server.name}: every endpoint answers correctly`);
  }

  const results: EndpointResult[] = [];
  for (const endpoint of settings.endpoints) {
    const result: EndpointResult = { endpoint };
    results.push(result);

    // Refresh tokens are single use: mint a pool per server beforehand, one token per request.
    const pools: Partial<Record<ServerName, { tokens: string[]; next: number; info: PoolInfo }>> = {};
    if (endpoint === 'refresh_token') {
      result.pool = {};
      for (const name of settings.servers) {
        const cc = results.find((r) => r.endpoint === 'client_credentials')?.[name];
        const size = poolSizeFor(cc?.reqPerSec);
        log(`${name}: minting ${size} refresh tokens…`);
        const { tokens, ms } = await targets[name]!.server.mint(size);
        const info = { size, mintMs: ms, used: 0 };
        pools[name] = { tokens, next: 0, info };
        result.pool[name] = info;
        log(`${name}: minted ${size} refresh tokens in ${round(ms / 1000, 1)} s`);
        if (name === 'ours' && db) await analyze(db.url);
      }
      await sleep(PAUSE_MS);
    }

    for (const name of settings.servers) {
      const t = targets[name]!;
      const pool = pools[name];
      const nextBody = pool
        ? () => {
            const token = pool.tokens[pool.next];
            if (token === undefined) return undefined;
            pool.next++;
            pool.info.used = pool.next;
            return `grant_type=refresh_token&refresh_token=${token}`;
          }
        : undefined;
      const figures = await measure(endpoint, t, nextBody);
      result[name] = figures;
      log(
        `${ENDPOINT_LABELS[endpoint]} ${name}: ${figures.reqPerSec} req/s, p50 ${figures.p50} ms, p99 ${figures.p99} ms` +
          (failures(figures) ? `  ⚠️ ${figures.non2xx} non-2xx, ${figures.errors} errors, ${figures.mismatches} bad bodies${figures.exhausted ? ', token pool exhausted' : ''}` : ''),
      );
      await sleep(PAUSE_MS);
    }
    if (result.ours && result.bare && result.bare.reqPerSec > 0) result.ratio = result.ours.reqPerSec / result.bare.reqPerSec;
  }

  const memory: { ours?: MemoryResult; bare?: MemoryResult } = {};
  for (const [name, t] of Object.entries(targets) as [ServerName, Target][]) {
    memory[name] = { idleRss: t.idleRss, maxRssUnderLoad: t.sampler.max, samples: t.sampler.samples };
  }
  const targetResults = evaluateTargets(results, memory, settings.connections);

  const details = Object.fromEntries(Object.entries(targets).map(([name, t]) => [name, t.server.info.details]));
  const cpu = os.cpus();
  const header = [
    `## ServiceCore Login vs bare oidc-provider — ${startedAt.toISOString()}`,
    '',
    `- machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${mb(os.totalmem())} MB RAM, ${os.platform()} ${os.release()}`,
    `- Node ${versions.node} (servers started with \`${versions.serverNodeFlags || 'no options'}\`, as \`npm run start:prod\`), oidc-provider ${versions.oidcProvider}, autocannon ${versions.autocannon}${db ? `, PostgreSQL ${db.version} on loopback` : ''}`,
    `- load: ${settings.connections} connections, ${settings.warmup} s warm-up (not counted) then ${settings.duration} s per endpoint and server, one at a time; load generator in the benchmark process, each server in its own process`,
    ...(targets.ours ? [`- ours: ${describe(targets.ours.server.info.details)}`] : []),
    ...(targets.bare ? [`- bare: ${describe(targets.bare.server.info.details)}`] : []),
    '- refresh_token: both servers rotate refresh tokens (rotateRefreshToken: true); every request presents a different, never used token minted beforehand (one grant each) and gets an access token, a new refresh token and an id_token',
    '- req/s is the mean of the per-second counts; latencies are autocannon\'s, in ms; ours/bare compares req/s',
    ...speedLines(results),
  ].join('\n');
  const report = markdownReport({ results, memory, targets: targetResults, connections: settings.connections, duration: settings.duration, busyPct: BUSY_PCT });
  const invalid = results.filter((r) => (r.ours && failures(r.ours)) || (r.bare && failures(r.bare)));
  const disturbed = results.filter((r) => (r.ours?.cpu?.other ?? 0) > BUSY_PCT || (r.bare?.cpu?.other ?? 0) > BUSY_PCT);
  const warning = [
    ...(invalid.length ? [`⚠️ Runs with errors (their figures are not comparable): ${invalid.map((r) => r.endpoint).join(', ')}`] : []),
    ...(busyBefore !== undefined && busyBefore > BUSY_PCT ? [`⚠️ Other processes used ${busyBefore} % of a core before the start.`] : []),
    ...(disturbed.length ? [`⚠️ Other processes used more than ${BUSY_PCT} % of a core during: ${disturbed.map((r) => r.endpoint).join(', ')} (see "other" above): run again on a quiet machine.`] : []),
  ]
    .map((w) => `\n\n${w}`)
    .join('');

  console.log(`\n${header}\n\n${report}${warning}\n`);

  const file = path.join(RESULTS_DIR, `foundation-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        settings: { ...settings, databaseUrl: undefined },
        machineBusyBeforePercentOfCore: busyBefore,
        machine: { cpus: cpu.length, cpuModel: cpu[0]?.model, totalMemMb: mb(os.totalmem()), platform: `${os.platform()} ${os.release()}` },
        versions: { ...versions, postgresql: db?.version },
        servers: details,
        results: results.map((r) => ({ ...r, ratioPercent: r.ratio !== undefined ? pct(r.ratio) : undefined })),
        memory: Object.fromEntries(
          Object.entries(memory).map(([k, m]) => [k, { idleRssMb: mb(m.idleRss), maxRssUnderLoadMb: mb(m.maxRssUnderLoad), samples: m.samples }]),
        ),
        targets: targetResults,
      },
      null,
      2,
    ),
  );
  console.log(`Results written to ${path.relative(ROOT, file)}`);
  if (settings.cpuProfile.length) {
    console.log(`CPU profiles of the measured runs: ${path.relative(ROOT, PROFILE_DIR)}/ (npx tsx bench/profile-summary.ts <file>)`);
  }}

/** How this machine compares with the one the targets were set on, from the bare server's figures. */
function speedLines(results: { endpoint: string; bare?: LoadFigures }[]): string[] {
  const lines: string[] = [];
  for (const endpoint of ['client_credentials', 'refresh_token'] as const) {
    const bare = results.find((r) => r.endpoint === endpoint)?.bare;
    if (bare && !failures(bare)) lines.push(`- machine speed: ${describeSpeed(endpoint, bare.reqPerSec)}`);
  }
  return lines;
}

function readVersion(pkg: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function describe(details: Record<string, unknown>): string {
  return Object.entries(details)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ');
}

main()
  .then(async () => {
    await cleanup();
    process.exit(0);
  })
  .catch(async (err: unknown) => {
    console.error(`\nBenchmark failed: ${err instanceof Error ? err.message : String(err)}`);
    await cleanup();
    process.exit(1);
  });
