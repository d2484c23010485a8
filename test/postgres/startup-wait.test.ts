/**
 * `npm start` while PostgreSQL is not there yet (both starting at once, or a restart): the server
 * waits for it (DATABASE_WAIT_SECONDS) and starts as soon as it answers. A database that is there
 * but refuses what the URL asks for is a configuration error, reported at once.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { runEntry } from '../helpers/child.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { freePort } from '../helpers/server.js';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => tdb?.cleanup());

/** From now on, connections to `port` reach the PostgreSQL server of `target`. */
function forward(port: number, target: URL): Promise<net.Server> {
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

it('waits for a PostgreSQL server that is not reachable yet, and starts once it is', async () => {
  const target = new URL(tdb.url!);
  const dbPort = await freePort(); // refused until the forwarder listens there
  const via = new URL(target);
  via.hostname = '127.0.0.1';
  via.port = String(dbPort);
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH, DATABASE_URL: via.href, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', DATABASE_WAIT_SECONDS: '60', SIMULATOR_PORT: String(await freePort()) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const ended = new Promise<number | null>((resolve) => child.once('close', resolve));
  let forwarder: net.Server | undefined;
  try {
    const until = async (text: string, ms: number) => {
      for (const start = Date.now(); !out.includes(text) && Date.now() - start < ms; ) await new Promise((r) => setTimeout(r, 100));
      expect(out).toContain(text);
    };
    await until('database not reachable yet: waiting for it', 30_000);
    expect(child.exitCode).toBeNull();
    forwarder = await forward(dbPort, target);
    await until('"msg":"listening"', 60_000);
    expect(out).toContain('database reachable');
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
  } finally {
    child.kill('SIGTERM');
    await ended;
    forwarder?.close();
  }
}, 120_000);

it('does not wait for a database that does not exist: a configuration error (exit 78) at once', async () => {
  const url = new URL(tdb.url!);
  url.pathname = `/${url.pathname.slice(1)}_missing`;
  const run = await runEntry('src/main.ts', [], { DATABASE_URL: url.href, PORT: String(await freePort()), HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATABASE_WAIT_SECONDS: '60' });
  expect(run.status).toBe(78);
  expect(run.ms).toBeLessThan(30_000);
  expect(run.stdout).not.toContain('waiting for it');
  expect(run.stderr.trim().split('\n').at(-1)).toMatch(/^Invalid configuration: DATABASE_URL cannot be used: the database it names does not exist \(3D000; got "postgres:\/\/.*_missing"\)$/);
}, 60_000);
