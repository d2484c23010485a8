/** Swisscom Smart Registration Service simulator: the SRS REST API, RAS verify, the partner's test form. */
export { createSrsSimulator, parseDn, type SrsSimulator, type SrsSimulatorOptions } from './app.js';
export { DEFAULT_CATALOGUE, filterCatalogue, type ProviderEntry } from './catalogue.js';
export { FORM_STATUSES, STATUS, type WireStatus } from './state.js';
