/**
 * The policy catalogue, read from the tables at most every few seconds per instance. An edit made
 * through this instance is seen at once (`invalidate`); other instances see it within `ttlMs`.
 */
import type { Db } from '../db/index.js';
import type { PolicyCatalogue } from './model.js';
import { loadCatalogue } from './repository.js';

export class CatalogueCache {
  private cached: { at: number; value: Promise<PolicyCatalogue> } | undefined;

  constructor(
    private readonly db: Db,
    private readonly ttlMs = 5000,
  ) {}

  get(): Promise<PolicyCatalogue> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > this.ttlMs) {
      const value = loadCatalogue(this.db);
      this.cached = { at: now, value };
      value.catch(() => {
        if (this.cached?.value === value) this.cached = undefined;
      });
    }
    return this.cached.value;
  }

  invalidate(): void {
    this.cached = undefined;
  }
}
