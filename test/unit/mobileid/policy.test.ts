import { describe, expect, it } from 'vitest';

import { geofenceFor, geofencedLevelsMet, parseMobileIdPolicy, type GeofencedLevel } from '../../../src/mobileid/policy.js';

const CH = { required: true, allowedCountries: ['CH', 'LI'], minLocationConfidence: 0.9 };
const ANYWHERE = { required: true, allowedCountries: [], minLocationConfidence: 0.5 };
const levels: GeofencedLevel[] = [
  { systemName: 'urn:lot:plain' },
  { systemName: 'urn:lot:anywhere', geofencing: ANYWHERE },
  { systemName: 'urn:lot:ch', geofencing: CH },
  { systemName: 'urn:lot:unchecked', geofencing: { ...CH, required: false } },
];
const at = new Date('2026-11-24T10:00:10Z');
const location = (country: string, locationConfidence: number) => ({ country, accuracy: 30, locationConfidence, deviceConfidence: 0.9, timestamp: '2026-11-24T10:00:00Z' });
const noClients = parseMobileIdPolicy({});

describe('the geofencing thresholds of a login', () => {
  it('are those of the first requested level with a geofencing check, or the client\'s own', () => {
    expect(geofenceFor(noClients, levels, 'rp', ['urn:lot:plain', 'urn:lot:ch', 'urn:lot:anywhere'])).toEqual(CH);
    expect(geofenceFor(noClients, levels, 'rp', ['urn:lot:plain'])).toBeUndefined();
    const own = parseMobileIdPolicy({ clients: { rp: { required: true, allowedCountries: ['FR'] } } });
    expect(geofenceFor(own, levels, 'rp', [])).toMatchObject({ allowedCountries: ['FR'], minLocationConfidence: 0.7 });
  });
});

describe('the levels a reported location met', () => {
  it('are judged each by their own thresholds, at the time of the login', () => {
    expect(geofencedLevelsMet(noClients, levels, 'rp', location('CH', 0.95), at)).toEqual(['urn:lot:anywhere', 'urn:lot:ch']);
    expect(geofencedLevelsMet(noClients, levels, 'rp', location('DE', 0.95), at)).toEqual(['urn:lot:anywhere']);
    expect(geofencedLevelsMet(noClients, levels, 'rp', location('CH', 0.6), at)).toEqual(['urn:lot:anywhere']);
    expect(geofencedLevelsMet(noClients, levels, 'rp', undefined, at)).toEqual([]);
  });

  it('apply the client\'s own thresholds to every geofenced level for that client', () => {
    const own = parseMobileIdPolicy({ clients: { strict: { required: true, allowedCountries: ['LI'], minLocationConfidence: 0.5 } } });
    expect(geofencedLevelsMet(own, levels, 'strict', location('CH', 0.95), at)).toEqual([]);
    expect(geofencedLevelsMet(own, levels, 'strict', location('LI', 0.95), at)).toEqual(['urn:lot:anywhere', 'urn:lot:ch']);
    expect(geofencedLevelsMet(own, levels, 'other', location('CH', 0.95), at)).toEqual(['urn:lot:anywhere', 'urn:lot:ch']);
  });
});
