/** Where a simulator's routes live: under its own base path, or at the root. */
import { Router } from '@koa/router';

/** "" or "/something" (a leading slash added, trailing slashes removed). */
export function normaliseBasePath(basePath: string | undefined): string {
  const trimmed = (basePath ?? '').trim().replace(/\/+$/, '');
  if (!trimmed) return '';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/** A router for the routes under a normalised base path. */
export function routerAt(basePath: string): Router {
  return basePath ? new Router({ prefix: basePath }) : new Router();
}
