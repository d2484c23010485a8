import fs from 'node:fs';

import { describe, expect, it } from 'vitest';

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
});
