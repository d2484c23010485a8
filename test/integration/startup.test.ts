import { spawnSync } from 'node:child_process';

import { describe, expect, it } from 'vitest';

describe('start-up', () => {
  it('fails with a message naming the bad configuration value', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { PATH: process.env.PATH, PORT: 'not-a-port', DATA_DIR: ':memory:' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('Invalid configuration: PORT must be an integer between 1 and 65535 (got "not-a-port")');
  });
});
