/** Small file helpers for what a simulator keeps in the data directory (its test PKI, accounts). */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The simulator's folder inside the product's data directory; none for an in-memory run. */
export function simulatorDataDir(dataDir: string | undefined, simulator: string): string | undefined {
  if (!dataDir || dataDir === ':memory:') return undefined;
  return path.join(dataDir, 'simulators', simulator);
}

export async function readJsonFile<T>(dir: string, name: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dir, name), 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Write through a temporary file and rename, so a crash never leaves half a file. */
export async function writeFileAtomic(dir: string, name: string, content: string, mode: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const target = path.join(dir, name);
  const tmp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, content, { mode });
  await rename(tmp, target);
}
