/**
 * Reading V8 `.cpuprofile` files: self time by package (or source area) and by function, and the
 * share of samples spent under some frames (inclusive time), e.g. the CMS verification.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
export interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function readProfile(file: string): Profile {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
}

/** A package name (`pkijs`, `@koa/router`), a `node:` module, or the first path segments of our sources. */
export function area(url: string, fn: string, root = process.cwd()): string {
  if (!url) return fn.startsWith('(') ? fn : '(native / V8)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm !== -1) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0] ?? url;
  }
  if (url.startsWith('node:')) return url;
  const rel = url.replace(/^file:\/\//, '');
  // The servers run compiled from bench/.build/, which mirrors the source tree.
  return path.relative(root, rel).replace(/^bench\/\.build\//, '').split('/').slice(0, 3).join('/');
}

/** Microseconds of self time per sampled node id, and their total. */
function selfTimes(profile: Profile): { selfUs: Map<number, number>; total: number } {
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  return { selfUs, total };
}

export interface SelfTime {
  /** Total sampled time, µs. */
  total: number;
  /** µs of self time by area and by function ("name  area:line"), largest first. */
  byArea: [string, number][];
  byFunction: [string, number][];
}

export function selfTime(profile: Profile, root = process.cwd()): SelfTime {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const { selfUs, total } = selfTimes(profile);
  const areas = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const a = area(url, functionName, root);
    areas.set(a, (areas.get(a) ?? 0) + us);
    const key = `${functionName || '(anonymous)'}  ${url ? `${area(url, functionName, root)}:${lineNumber + 1}` : ''}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((x, y) => y[1] - x[1]);
  return { total, byArea: sorted(areas), byFunction: sorted(fns) };
}

/**
 * Share (0…1) of the sampled time whose stack contains a frame matching `matches` (inclusive
 * time). Stacks are synchronous: after an `await` the stack starts at the resumed function, so a
 * frame of the code in question must be on it for the sample to count.
 */
export function inclusiveShare(profile: Profile, matches: (frame: ProfileNode['callFrame']) => boolean): { share: number; us: number; total: number } {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const under = new Map<number, boolean>();
  const isUnder = (id: number): boolean => {
    const known = under.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id);
    const p = parent.get(id);
    const result = node ? matches(node.callFrame) || (p !== undefined && isUnder(p)) : false;
    under.set(id, result);
    return result;
  };
  const { selfUs, total } = selfTimes(profile);
  let us = 0;
  for (const [id, t] of selfUs) if (isUnder(id)) us += t;
  return { share: total > 0 ? us / total : 0, us, total };
}
