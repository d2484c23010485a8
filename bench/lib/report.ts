/** The targets, the markdown tables and the JSON record of a run. */
import os from 'node:os';

import { failures, round, type LoadFigures } from './load.js';

export const ENDPOINTS = ['discovery', 'jwks', 'client_credentials', 'refresh_token', 'introspection'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

export const ENDPOINT_LABELS: Record<Endpoint, string> = {
  discovery: 'discovery `GET /.well-known/openid-configuration`',
  jwks: 'JWKS `GET /jwks`',
  client_credentials: 'token, client_credentials `POST /token`',
  refresh_token: 'token, refresh_token (rotating) `POST /token`',
  introspection: 'introspection `POST /token/introspection`',
};

export interface EndpointResult {
  endpoint: Endpoint;
  ours?: LoadFigures;
  bare?: LoadFigures;
  /** ours / bare, requests per second. */
  ratio?: number;
  /** Refresh tokens minted beforehand, per server. */
  pool?: { ours?: PoolInfo; bare?: PoolInfo };
}

export interface PoolInfo {
  size: number;
  mintMs: number;
  used: number;
}

export interface MemoryResult {
  idleRss: number;
  maxRssUnderLoad: number;
  samples: number;
}

export type Status = 'met' | 'missed' | 'invalid' | 'not run';

export interface TargetResult {
  target: string;
  measured: string;
  status: Status;
  note?: string;
}

const MB = 1024 * 1024;
export const mb = (bytes: number) => round(bytes / MB, 1);

const THRESHOLDS = {
  ccMin: 2000,
  ccRatio: 0.5,
  refreshMin: 1000,
  refreshRatio: 0.6,
  staticRatio: 0.9,
  p99Ms: 50,
  idleMb: 150,
  loadMb: 300,
};

function status(ok: boolean | undefined, invalid: boolean): Status {
  if (ok === undefined) return 'not run';
  if (invalid) return 'invalid';
  return ok ? 'met' : 'missed';
}

function badRun(...figures: (LoadFigures | undefined)[]): boolean {
  return figures.some((f) => f !== undefined && failures(f) > 0);
}

export function evaluateTargets(results: EndpointResult[], memory: { ours?: MemoryResult }, connections: number): TargetResult[] {
  const by = (e: Endpoint) => results.find((r) => r.endpoint === e);
  const out: TargetResult[] = [];
  const absolute = (e: Endpoint, min: number) => {
    const r = by(e);
    out.push({
      target: `${e}: ≥ ${min} req/s`,
      measured: r?.ours ? `${r.ours.reqPerSec} req/s` : '–',
      status: status(r?.ours ? r.ours.reqPerSec >= min : undefined, badRun(r?.ours)),
    });
  };
  const relative = (e: Endpoint, min: number) => {
    const r = by(e);
    out.push({
      target: `${e}: ≥ ${Math.round(min * 100)} % of bare`,
      measured: r?.ratio !== undefined ? `${pct(r.ratio)}` : '–',
      status: status(r?.ratio !== undefined ? r.ratio >= min : undefined, badRun(r?.ours, r?.bare)),
    });
  };
  absolute('client_credentials', THRESHOLDS.ccMin);
  relative('client_credentials', THRESHOLDS.ccRatio);
  absolute('refresh_token', THRESHOLDS.refreshMin);
  relative('refresh_token', THRESHOLDS.refreshRatio);
  relative('discovery', THRESHOLDS.staticRatio);
  relative('jwks', THRESHOLDS.staticRatio);
  for (const e of ENDPOINTS) {
    const r = by(e);
    out.push({
      target: `${e}: p99 < ${THRESHOLDS.p99Ms} ms (ours)`,
      measured: r?.ours ? `${r.ours.p99} ms` : '–',
      status: status(r?.ours ? r.ours.p99 < THRESHOLDS.p99Ms : undefined, badRun(r?.ours)),
      ...(connections !== 50 ? { note: `measured at ${connections} connections, the target is set at 50` } : {}),
    });
  }
  const m = memory.ours;
  out.push({
    target: `memory idle < ${THRESHOLDS.idleMb} MB (ours, RSS)`,
    measured: m ? `${mb(m.idleRss)} MB` : '–',
    status: status(m ? mb(m.idleRss) < THRESHOLDS.idleMb : undefined, false),
  });
  out.push({
    target: `memory under load < ${THRESHOLDS.loadMb} MB (ours, max RSS)`,
    measured: m && m.samples > 0 ? `${mb(m.maxRssUnderLoad)} MB` : '–',
    status: status(m && m.samples > 0 ? mb(m.maxRssUnderLoad) < THRESHOLDS.loadMb : undefined, false),
  });
  return out;
}

export function pct(ratio: number): string {
  return `${round(ratio * 100, 1)} %`;
}

const STATUS_MARK: Record<Status, string> = {
  met: '✅ met',
  missed: '❌ missed',
  invalid: '⚠️ invalid (errors)',
  'not run': '– not run',
};

function failureText(f: LoadFigures | undefined): string {
  if (!f) return '–';
  if (failures(f) === 0) return '0';
  const parts: string[] = [];
  if (f.non2xx) {
    const codes = Object.entries(f.statusCodes).filter(([c]) => !c.startsWith('2')).map(([c, n]) => `${n}×${c}`);
    parts.push(`${f.non2xx} non-2xx (${codes.join(', ')})`);
  }
  if (f.errors) parts.push(`${f.errors} errors${f.timeouts ? ` (${f.timeouts} timeouts)` : ''}`);
  if (f.mismatches) parts.push(`${f.mismatches} bad bodies`);
  if (f.exhausted) parts.push('token pool exhausted');
  return `⚠️ ${parts.join(', ')}`;
}

const lat = (f: LoadFigures | undefined) => (f ? `${f.p50} / ${f.p99}` : '–');
const rps = (f: LoadFigures | undefined) => (f ? String(f.reqPerSec) : '–');

export function markdownReport(opts: {
  results: EndpointResult[];
  memory: { ours?: MemoryResult; bare?: MemoryResult };
  targets: TargetResult[];
  connections: number;
  duration: number;
  busyPct: number;
}): string {
  const lines: string[] = [];
  lines.push(`### Throughput and latency (${opts.connections} connections, ${opts.duration} s per run)`, '');
  lines.push('| endpoint | ours req/s | bare req/s | ours/bare | ours p50 / p99 ms | bare p50 / p99 ms | ours failures | bare failures |');
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |');
  for (const r of opts.results) {
    lines.push(
      `| ${ENDPOINT_LABELS[r.endpoint]} | ${rps(r.ours)} | ${rps(r.bare)} | ${r.ratio !== undefined ? pct(r.ratio) : '–'} | ${lat(r.ours)} | ${lat(r.bare)} | ${failureText(r.ours)} | ${failureText(r.bare)} |`,
    );
  }
  if (opts.results.some((r) => r.ours?.cpu || r.bare?.cpu)) {
    lines.push('', '### CPU during the measured runs (% of one core; the machine has ' + String(os.cpus().length * 100) + ' %)', '');
    lines.push('| endpoint | ours: server | ours: PostgreSQL | ours: load generator | ours: other | bare: server | bare: load generator | bare: other |');
    lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    const other = (n: number | undefined) => (n === undefined ? '–' : n > opts.busyPct ? `⚠️ ${n}` : String(n));
    for (const r of opts.results) {
      const o = r.ours?.cpu;
      const b = r.bare?.cpu;
      lines.push(
        `| ${r.endpoint} | ${o?.server ?? '–'} | ${o?.postgres ?? '–'} | ${o?.loadGenerator ?? '–'} | ${other(o?.other)} | ${b?.server ?? '–'} | ${b?.loadGenerator ?? '–'} | ${other(b?.other)} |`,
      );
    }
  }
  lines.push('', '### Memory (RSS of the server process)', '');
  lines.push('| server | idle (after start, before load) | max under load |');
  lines.push('| --- | ---: | ---: |');
  for (const name of ['ours', 'bare'] as const) {
    const m = opts.memory[name];
    lines.push(`| ${name} | ${m ? `${mb(m.idleRss)} MB` : '–'} | ${m && m.samples ? `${mb(m.maxRssUnderLoad)} MB` : '–'} |`);
  }
  const byEndpoint = (name: 'ours' | 'bare') =>
    opts.results
      .filter((r) => r[name]?.maxRss)
      .map((r) => `${r.endpoint} ${mb(r[name]!.maxRss!)}`)
      .join(', ');
  for (const name of ['ours', 'bare'] as const) {
    if (byEndpoint(name)) lines.push('', `Max RSS per run, ${name} (MB, in run order): ${byEndpoint(name)}`);
  }
  lines.push('', '### Targets (ours)', '');
  lines.push('| target | measured | status |');
  lines.push('| --- | ---: | --- |');
  for (const t of opts.targets) {
    lines.push(`| ${t.target} | ${t.measured} | ${STATUS_MARK[t.status]}${t.note ? ` (${t.note})` : ''} |`);
  }
  return lines.join('\n');
}
