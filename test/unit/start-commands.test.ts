import fs from 'node:fs';

import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config.js';

/** The Node options before the entry point of a command line (`node`/`tsx` options). */
function nodeOptions(words: string[]): string[] {
  return words.slice(1).filter((w) => w.startsWith('-'));
}

describe('start commands', () => {
  const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
  const dockerCmd = /^CMD (\[.*\])$/m.exec(fs.readFileSync('Dockerfile', 'utf8'))?.[1];

  it('npm start, npm run start:prod and the Docker image run the server with the same Node options', () => {
    const prod = pkg.scripts['start:prod']!.split(/\s+/);
    expect(prod[0]).toBe('node');
    expect(nodeOptions(prod)).toContain('--v8-pool-size=1');
    expect(nodeOptions(pkg.scripts.start!.split(/\s+/))).toEqual(nodeOptions(prod));
    expect(dockerCmd).toBeDefined();
    expect(JSON.parse(dockerCmd!)).toEqual(prod);
  });

  it('docker compose sets every variable the production configuration requires, and says which to export', () => {
    const compose = fs.readFileSync('docker-compose.yml', 'utf8');
    const block = /^ {2}login:\n[\s\S]*?^ {4}environment:\n((?: {6}.+\n)+)/m.exec(compose)?.[1];
    expect(block).toBeDefined();
    const required: string[] = [];
    const env = Object.fromEntries(
      block!.trim().split('\n').map((line) => {
        const [, key, raw] = /^\s*([A-Z0-9_]+):\s*(.*)$/.exec(line)!;
        const value = raw!.replace(/^"(.*)"$/, '$1');
        const mustSet = /^\$\{([A-Z0-9_]+):\?[^}]*\}$/.exec(value);
        if (mustSet) {
          required.push(mustSet[1]!);
          return [key!, 'x'.repeat(48)];
        }
        return [key!, value.replace(/^\$\{[A-Z0-9_]+:-([^}]*)\}$/, '$1')];
      }),
    ) as Record<string, string>;
    expect(env.NODE_ENV).toBe('production');
    expect(required).toEqual(expect.arrayContaining(['KEY_ENCRYPTION_KEY', 'COOKIE_SECRETS', 'MOBILEID_AP_ID']));
    expect(() => loadConfig(env)).not.toThrow();
    // The comment at the top shows the command with every variable that must be set.
    const header = compose.split('\nservices:')[0]!;
    for (const name of required) expect(header).toContain(`${name}=`);
  });
});
