import net from 'node:net';
import { Writable } from 'node:stream';

import { describe, expect, it } from 'vitest';

import { createDb } from '../../../src/db/index.js';
import { createLogger } from '../../../src/logger.js';

/** A port on loopback where nothing listens. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

describe("knex's own warnings", () => {
  it('go to the log as JSON lines, with the stack apart and without the password', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const db = createDb({ databaseUrl: `postgres://app:pw-9f8e7d6c@127.0.0.1:${await closedPort()}/login`, poolMax: 1, log: createLogger('warn', sink) });
    try {
      await expect(db.raw('select 1')).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await db.destroy();
    }
    expect(lines.length).toBeGreaterThan(0);
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries[0]).toMatchObject({ level: 'warn', source: 'knex', service: 'servicecore-login' });
    expect(entries[0]!.msg).toMatch(/^Acquire connection error: Error: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
    expect(entries[0]!.detail).toMatch(/^\s+at /);
    expect(lines.join('\n')).not.toContain('pw-9f8e7d6c');
  });
});
