/**
 * `npm start` with a configuration that cannot work stops with exit code 78 and one line that
 * names the variable and its value (secrets masked), never a bare system error or a stack trace;
 * a database still out of reach after DATABASE_WAIT_SECONDS, with exit code 69 and such a line.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runEntry, type ChildRun } from '../helpers/child.js';
import { freePort } from '../helpers/server.js';

type Run = ChildRun;

/** Start the server as `npm start` does (tsx) with only these variables, and wait for it to end. */
const start = (env: Record<string, string>): Promise<Run> => runEntry('src/main.ts', [], { LOG_LEVEL: 'warn', ...env });

function failure(run: Run): string {
  expect(run.status).toBe(78);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stderr).not.toContain('Start-up failed');
  return run.stderr.trim().split('\n').at(-1)!;
}

/** Hold a port on 127.0.0.1, as another process would. */
function occupy(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('start-up', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scl-startup-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('fails with a message naming the bad configuration value', async () => {
    const run = await start({ PORT: 'not-a-port', DATA_DIR: ':memory:' });
    expect(failure(run)).toBe('Invalid configuration: PORT must be an integer between 1 and 65535 (got "not-a-port")');
  });

  it('names a numeric variable in words of its own', async () => {
    const run = await start({ DATABASE_POOL_MAX: 'abc', DATA_DIR: ':memory:' });
    expect(failure(run)).toBe('Invalid configuration: DATABASE_POOL_MAX must be a whole number between 1 and 200 (got "abc")');
  });

  it('refuses a SIMULATOR_PORT equal to PORT before listening on either', async () => {
    const run = await start({ PORT: '3933', SIMULATOR_PORT: '3933', DATA_DIR: ':memory:' });
    expect(failure(run)).toBe(
      'Invalid configuration: SIMULATOR_PORT must differ from PORT: the sandbox simulators listen on a port of their own (got 3933 for both)',
    );
  });

  it('names PORT and HOST when another process listens on the port', async () => {
    const port = await freePort();
    const other = await occupy(port);
    try {
      const run = await start({ PORT: String(port), HOST: '127.0.0.1', SIMULATOR_PORT: String(await freePort()), DATA_DIR: ':memory:' });
      expect(failure(run)).toBe(
        `Invalid configuration: PORT ${port} on HOST 127.0.0.1 is already in use by another process (EADDRINUSE): stop that process or choose another PORT`,
      );
    } finally {
      other.close();
    }
  }, 90_000);

  it('names SIMULATOR_PORT and HOST when another process listens on the simulators\' port', async () => {
    const simulatorPort = await freePort();
    const other = await occupy(simulatorPort);
    try {
      const run = await start({ PORT: String(await freePort()), HOST: '127.0.0.1', SIMULATOR_PORT: String(simulatorPort), DATA_DIR: ':memory:' });
      expect(failure(run)).toMatch(
        new RegExp(`^Invalid configuration: SIMULATOR_PORT ${simulatorPort} on HOST 127\\.0\\.0\\.1 is already in use by another process \\(EADDRINUSE\\)`),
      );
    } finally {
      other.close();
    }
  }, 90_000);

  it('names DATABASE_URL, without its password, and exits 69 when the database cannot be reached within DATABASE_WAIT_SECONDS', async () => {
    const port = await freePort(); // nothing listens there
    const run = await start({ DATABASE_URL: `postgres://scl:hunter2-secret@127.0.0.1:${port}/login`, DATA_DIR: ':memory:', DATABASE_WAIT_SECONDS: '2' });
    expect(run.stdout).toContain('database not reachable yet: waiting for it');
    expect(run.ms).toBeGreaterThanOrEqual(1000);
    // Not a configuration error for certain (the server may not be up yet): EX_UNAVAILABLE, so a supervisor tries again.
    expect(run.status).toBe(69);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(run.stderr.trim().split('\n').at(-1)).toBe(
      `Database unavailable: DATABASE_URL could not be reached within DATABASE_WAIT_SECONDS (2 s): the connection was refused: is PostgreSQL running at that host and port? (ECONNREFUSED; got "postgres://scl:***@127.0.0.1:${port}/login")`,
    );
    expect(run.stdout + run.stderr).not.toContain('hunter2-secret');
  }, 60_000);

  it('names DATA_DIR when it is a file', async () => {
    const file = path.join(tmp, 'afile');
    fs.writeFileSync(file, 'not a directory');
    const run = await start({ DATA_DIR: file });
    expect(failure(run)).toBe(`Invalid configuration: DATA_DIR must be a directory or a path where one can be created: it is a file (got "${file}")`);
    const below = await start({ DATA_DIR: path.join(file, 'data') });
    expect(failure(below)).toBe(
      `Invalid configuration: DATA_DIR must be a directory or a path where one can be created: ${file} is a file (got "${path.join(file, 'data')}")`,
    );
  }, 60_000);

  it('names POLICY_DIR when it does not exist, or holds a policy that cannot be read', async () => {
    const run = await start({ POLICY_DIR: '/nonexistent', DATA_DIR: ':memory:' });
    expect(failure(run)).toBe(
      'Invalid configuration: POLICY_DIR must be a directory holding the policy files (qor.json, mobileid.json, …): no such directory (got "/nonexistent")',
    );
    const policyDir = path.join(tmp, 'policies');
    fs.cpSync(path.resolve('policies'), policyDir, { recursive: true });
    fs.writeFileSync(path.join(policyDir, 'qor.json'), '{');
    const broken = await start({ POLICY_DIR: policyDir, DATA_DIR: ':memory:', PORT: String(await freePort()), SIMULATOR_PORT: String(await freePort()) });
    expect(failure(broken)).toMatch(
      new RegExp(`^Invalid configuration: POLICY_DIR holds a policy file that cannot be used: Cannot read the policy ${policyDir}/qor\\.json: .* \\(got "${policyDir}"\\)$`),
    );
  }, 90_000);
});
