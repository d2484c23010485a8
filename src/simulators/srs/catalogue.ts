/**
 * The simulator's catalogue of identification methods (GET /api/providers), shaped as in the SRS
 * white paper, and its documented filters.
 */
export interface ProviderEntry {
  loa: number;
  issuer: string;
  webflow: boolean;
  /** Comma-separated, as SRS sends it: "ZERTES,EIDAS". */
  jurisdiction: string;
  realtimeMethods: string[];
  offline: boolean;
  identificationData: string[];
  additionalData: string[];
  defaultLocale: string;
}

const INITIAL = ['firstName', 'lastName', 'dob', 'mobile', 'nationality', 'email', 'language', 'externalId', 'callbackUrl'];

export const DEFAULT_CATALOGUE: readonly ProviderEntry[] = [
  // The example of the white paper.
  { loa: 3, issuer: 'Test-ISP', webflow: true, jurisdiction: 'ZERTES,EIDAS', realtimeMethods: ['video', 'test'], offline: true, identificationData: [], additionalData: [], defaultLocale: 'en' },
  { loa: 4, issuer: 'Video-ISP', webflow: true, jurisdiction: 'ZERTES,EIDAS', realtimeMethods: ['video'], offline: false, identificationData: INITIAL, additionalData: [], defaultLocale: 'de' },
  { loa: 3, issuer: 'AutoIdent-ISP', webflow: true, jurisdiction: 'EIDAS', realtimeMethods: ['autoident'], offline: false, identificationData: INITIAL, additionalData: [], defaultLocale: 'en' },
  // QES Ident Service, integration guide appendix: Klarna bank identification.
  { loa: 4, issuer: 'KLARNA', webflow: true, jurisdiction: 'EIDAS', realtimeMethods: ['aml-bank'], offline: false, identificationData: INITIAL, additionalData: [], defaultLocale: 'de' },
  // Planned methods with a breach of media (white paper): a courier at the door.
  { loa: 4, issuer: 'Courier-ISP', webflow: false, jurisdiction: 'ZERTES', realtimeMethods: [], offline: true, identificationData: INITIAL, additionalData: [], defaultLocale: 'de' },
];

const eq = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** The filters of the white paper: issuer, jurisdiction, loa, offline, realtimeMethod, webflow. */
export function filterCatalogue(entries: readonly ProviderEntry[], q: Record<string, string | undefined>): ProviderEntry[] {
  return entries.filter((e) => {
    if (q.issuer && !eq(e.issuer, q.issuer)) return false;
    if (q.jurisdiction && !e.jurisdiction.split(',').some((j) => eq(j.trim(), q.jurisdiction!))) return false;
    if (q.loa && e.loa !== Number(q.loa)) return false;
    if (q.offline && String(e.offline) !== q.offline.toLowerCase()) return false;
    if (q.webflow && String(e.webflow) !== q.webflow.toLowerCase()) return false;
    const method = q.realtimeMethod ?? q.method;
    if (method && !e.realtimeMethods.some((m) => eq(m, method))) return false;
    return true;
  });
}
