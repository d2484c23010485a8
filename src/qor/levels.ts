/** What other parts need to know of the catalogue: supported acr values and geofenced levels. */
import { geofenceThresholdsSchema, type GeofencedLevel } from '../mobileid/policy.js';
import { ConfigError } from '../errors.js';
import { QorSteps, type PolicyCatalogue } from './model.js';

/** Every value a relying party may ask for in acr_values (Dummy rows are never offered). */
export function supportedAcrValues(catalogue: PolicyCatalogue): string[] {
  return [
    ...catalogue.lots.map((l) => l.systemName),
    ...catalogue.qors.filter((q) => q.steps !== QorSteps.Dummy).map((q) => q.systemName),
    ...catalogue.qoas.map((q) => q.systemName),
  ];
}

/** The Levels of Trust with validated geofencing thresholds. */
export function geofencedLevels(catalogue: PolicyCatalogue): GeofencedLevel[] {
  return catalogue.lots.map((lot) => {
    if (!lot.checks.geofencing) return { systemName: lot.systemName };
    const parsed = geofenceThresholdsSchema.safeParse(lot.checks.geofencing);
    if (!parsed.success) {
      throw new ConfigError(`servicecorelogin_level_of_trust ${lot.systemName}: invalid checks.geofencing (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`);
    }
    return { systemName: lot.systemName, geofencing: parsed.data };
  });
}

/** A Level of Trust's own max_age (`checks.maxAuthenticationAgeSeconds`), if it sets one. */
export function maxAuthenticationAge(catalogue: PolicyCatalogue, acr: string): number | undefined {
  const value = catalogue.lots.find((l) => l.systemName === acr)?.checks as { maxAuthenticationAgeSeconds?: unknown } | undefined;
  const seconds = value?.maxAuthenticationAgeSeconds;
  return typeof seconds === 'number' && seconds > 0 ? seconds : undefined;
}
