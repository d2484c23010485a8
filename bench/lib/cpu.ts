/**
 * CPU accounting on Linux (/proc): how busy the server, PostgreSQL, the load generator and the
 * machine as a whole were during a run. Anything else using the CPU makes the figures unreliable,
 * so it is reported too. Elsewhere every figure is undefined.
 */
import fs from 'node:fs';

export const HZ = 100; // USER_HZ: /proc counts CPU time in 1/100 s on Linux

export interface CpuSnapshot {
  at: number;
  /** Busy jiffies of the whole machine (all cores). */
  machineBusy: number;
  server: number;
  postgres: number;
  /** This process (the load generator), in microseconds. */
  self: number;
}

export interface CpuUsage {
  /** In % of one core (200 % = two cores fully busy). */
  server: number;
  postgres: number;
  loadGenerator: number;
  machine: number;
  /** Machine busy time not explained by the three above. */
  other: number;
}

/** CPU time (user + system, all threads) of one process so far, in jiffies (1/100 s); 0 when unknown. */
export function procTicks(pid: number | string): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of the full line (utime, stime) are 11 and 12 after "pid (comm) ".
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

function postgresTicks(): number {
  let total = 0;
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return 0;
  }
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') continue;
    } catch {
      continue;
    }
    total += procTicks(pid);
  }
  return total;
}

function machineBusy(): number {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [, ...values] = line.trim().split(/\s+/);
    const n = values.map(Number);
    const total = n.slice(0, 8).reduce((a, b) => a + b, 0); // user … steal
    const idle = (n[3] ?? 0) + (n[4] ?? 0); // idle + iowait
    return total - idle;
  } catch {
    return Number.NaN;
  }
}

export const cpuAccountingAvailable = fs.existsSync('/proc/stat');

export function snapshot(serverPid: number): CpuSnapshot {
  const usage = process.cpuUsage();
  return {
    at: performance.now(),
    machineBusy: machineBusy(),
    server: procTicks(serverPid),
    postgres: postgresTicks(),
    self: usage.user + usage.system,
  };
}

export function usageBetween(a: CpuSnapshot, b: CpuSnapshot): CpuUsage | undefined {
  if (!cpuAccountingAvailable) return undefined;
  const seconds = (b.at - a.at) / 1000;
  const pct = (ticks: number) => Math.round((ticks / HZ / seconds) * 100);
  const server = pct(b.server - a.server);
  const postgres = Math.max(0, pct(b.postgres - a.postgres)); // negative when a PostgreSQL process exits in between
  const loadGenerator = Math.round(((b.self - a.self) / 1e6 / seconds) * 100);
  const machine = pct(b.machineBusy - a.machineBusy);
  return { server, postgres, loadGenerator, machine, other: Math.max(0, machine - server - postgres - loadGenerator) };
}

/**
 * CPU time used over `ms` by processes other than these servers, PostgreSQL and this process, in %
 * of one core: to wait for, or warn about, other work on the machine.
 */
export async function backgroundLoad(ms: number, serverPids: number[]): Promise<number | undefined> {
  if (!cpuAccountingAvailable) return undefined;
  const ours = () => serverPids.reduce((sum, pid) => sum + procTicks(pid), 0) + postgresTicks();
  const a = { machine: machineBusy(), ours: ours(), self: process.cpuUsage(), at: performance.now() };
  await new Promise((resolve) => setTimeout(resolve, ms));
  const seconds = (performance.now() - a.at) / 1000;
  const self = process.cpuUsage(a.self);
  const ticks = machineBusy() - a.machine - (ours() - a.ours);
  return Math.max(0, Math.round((ticks / HZ / seconds) * 100 - ((self.user + self.system) / 1e6 / seconds) * 100));
}
