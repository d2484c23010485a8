/**
 * policies/srs.json: which SRS catalogue entries count for our methods `srs-video` and `srs-bank`,
 * with the Level of Assurance and jurisdiction we require. Pure: no I/O beyond reading the file.
 */
import fs from 'node:fs';

import { z } from 'zod';

import { ConfigError } from '../../errors.js';
import type { CatalogueEntry } from './responses.js';

const methodSchema = z.object({
  /** The catalogue's `realtimeMethods` entry, also the `{method}` of POST /api/providers/{issuer}/{method}. */
  realtimeMethod: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
  /** Acceptable Levels of Assurance (3: advanced, 4: qualified); the lowest is the one we require. */
  loa: z.array(z.number().int().min(1).max(4)).min(1),
  /** Acceptable jurisdictions (ZERTES, EIDAS), in order of preference. */
  jurisdictions: z.array(z.string().regex(/^[A-Za-z]{2,16}$/)).min(1),
  /** Acceptable identification partners (catalogue `issuer`); empty: any. */
  issuers: z.array(z.string().min(1)).default([]),
  webflow: z.boolean().optional(),
  offline: z.boolean().optional(),
  /** OIDC4IA evidence type of the result: `document` (ID checked) or `electronic_record`. */
  evidenceType: z.enum(['document', 'electronic_record']).default('electronic_record'),
  /** Show the QR code first (video identification wants the phone's camera). */
  preferPhone: z.boolean().default(false),
});

const schema = z.object({
  methods: z.record(z.string(), methodSchema),
  /** How many identifications one account may start per hour (each one costs). */
  startsPerAccountPerHour: z.number().int().min(1).max(100).default(5),
});

export type SrsMethodPolicy = z.infer<typeof methodSchema>;
export type SrsPolicy = z.infer<typeof schema>;

export function parseSrsPolicy(raw: unknown, source = 'policies/srs.json'): SrsPolicy {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`Invalid policy ${source}: ${issue.path.join('.')} ${issue.message}`);
  }
  return parsed.data;
}

export function loadSrsPolicy(file: string): SrsPolicy {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`Invalid policy: ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return parseSrsPolicy(JSON.parse(text) as unknown, file);
  } catch (err) {
    if (err instanceof SyntaxError) throw new ConfigError(`Invalid policy ${file}: not JSON (${err.message})`);
    throw err;
  }
}

/** The lowest LoA the policy accepts: what the verify call asks for. */
export function requiredLoa(policy: SrsMethodPolicy): number {
  return Math.min(...policy.loa);
}

/** The filters of the catalogue request for a method (the policy is applied to the answer too). */
export function catalogueFilters(policy: SrsMethodPolicy): Record<string, string> {
  return {
    realtimeMethod: policy.realtimeMethod,
    ...(policy.webflow !== undefined ? { webflow: String(policy.webflow) } : {}),
  };
}

const same = (a: string, b: string) => a.toUpperCase() === b.toUpperCase();

/** A catalogue entry the policy accepts, with the jurisdiction it counts for. */
export interface ChosenEntry {
  entry: CatalogueEntry;
  jurisdiction: string;
}

/** Whether a catalogue entry counts for the method, and for which jurisdiction. */
export function acceptEntry(policy: SrsMethodPolicy, entry: CatalogueEntry): ChosenEntry | undefined {
  if (!entry.realtimeMethods.some((m) => same(m, policy.realtimeMethod))) return undefined;
  if (!policy.loa.includes(entry.loa)) return undefined;
  if (policy.issuers.length && !policy.issuers.some((i) => same(i, entry.issuer))) return undefined;
  if (policy.webflow !== undefined && entry.webflow !== policy.webflow) return undefined;
  if (policy.offline !== undefined && entry.offline !== policy.offline) return undefined;
  const jurisdiction = policy.jurisdictions.find((j) => entry.jurisdictions.some((e) => same(e, j)));
  return jurisdiction ? { entry, jurisdiction: jurisdiction.toUpperCase() } : undefined;
}

/** The best entry of the catalogue for the method: highest LoA, then catalogue order. */
export function chooseEntry(policy: SrsMethodPolicy, catalogue: readonly CatalogueEntry[]): ChosenEntry | undefined {
  let best: ChosenEntry | undefined;
  for (const entry of catalogue) {
    const chosen = acceptEntry(policy, entry);
    if (chosen && (!best || chosen.entry.loa > best.entry.loa)) best = chosen;
  }
  return best;
}
