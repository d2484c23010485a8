import { describe, expect, it } from 'vitest';

import { DEFAULT_GEOFENCE_THRESHOLDS, evaluateGeofence, type GeofenceThresholds } from '../../../src/mobileid/geofence.js';
import { processStatusResponse, type GeofencingData } from '../../../src/mobileid/responses.js';
import { fixtureJson } from './helpers.js';

const now = new Date('2024-07-02T08:10:00Z');
const swissSim: GeofencingData = {
  kind: 'location',
  country: 'CH',
  accuracyMeters: 0,
  deviceConfidence: 1,
  locationConfidence: 1,
  timestamp: '2024-07-02T10:04:25.998+02:00',
};
const required: GeofenceThresholds = { ...DEFAULT_GEOFENCE_THRESHOLDS, required: true, allowedCountries: ['CH', 'LI'] };

describe('evaluateGeofence', () => {
  it('checks nothing when the level of trust does not ask for a location', () => {
    expect(evaluateGeofence(undefined, DEFAULT_GEOFENCE_THRESHOLDS, now)).toEqual({ ok: true, evaluated: false });
    expect(DEFAULT_GEOFENCE_THRESHOLDS.minLocationConfidence).toBe(0.7);
  });

  it('accepts a Swiss SIM location', () => {
    expect(evaluateGeofence(swissSim, required, now)).toEqual({ ok: true, evaluated: true });
  });

  it('accepts the recorded status response (CH, confidence 0.9, accuracy 105 m)', () => {
    const r = processStatusResponse(200, fixtureJson('rest-responses/status-500-SIGNATURE-ec-geofencing.json'));
    if (r.state !== 'signed') throw new Error('expected signed');
    expect(evaluateGeofence(r.geofencing, { ...required, maxAgeSeconds: 3600, maxAccuracyMeters: 200 }, now)).toMatchObject({ ok: true });
    expect(evaluateGeofence(r.geofencing, { ...required, maxAccuracyMeters: 100 }, now)).toMatchObject({ ok: false, reason: 'geofence_accuracy' });
  });

  it('refuses the recorded Romanian location for a Swiss-only service', () => {
    const r = processStatusResponse(200, fixtureJson('client-java-samples/rest-response-status-signature.json'));
    if (r.state !== 'signed') throw new Error('expected signed');
    expect(evaluateGeofence(r.geofencing, required, now)).toMatchObject({ ok: false, reason: 'geofence_country', messageKey: 'mobileid.geofence.country' });
    expect(evaluateGeofence(r.geofencing, { ...required, allowedCountries: [] }, now)).toMatchObject({ ok: true });
    expect(evaluateGeofence(r.geofencing, { ...required, allowedCountries: ['ro'] }, now)).toMatchObject({ ok: true });
  });

  it('fails closed when no location comes back', () => {
    expect(evaluateGeofence(undefined, required, now)).toMatchObject({ ok: false, reason: 'geofence_missing', messageKey: 'mobileid.geofence.missing', adviceKey: 'mobileid.geofencing.200' });
    expect(evaluateGeofence({ kind: 'unreadable', reason: 'x' }, required, now)).toMatchObject({ ok: false, reason: 'geofence_missing' });
  });

  it.each([
    [100, 'mobileid.geofencing.100'],
    [106, 'mobileid.geofencing.106'],
    [123, 'mobileid.geofencing.123'],
    [201, 'mobileid.geofencing.201'],
    [555, 'mobileid.geofencing.unknown'],
  ])('geofencing error %i → advice %s', (code, adviceKey) => {
    expect(evaluateGeofence({ kind: 'error', errorCode: code, errorMessage: 'x' }, required, now)).toMatchObject({
      ok: false,
      reason: 'geofence_missing',
      adviceKey,
      geofencingErrorCode: code,
    });
  });

  it.each([
    [{ locationConfidence: 0.69 }, {}, 'geofence_location_confidence'],
    [{ locationConfidence: 0.7 }, {}, null],
    [{ locationConfidence: 0.85 }, { minLocationConfidence: 0.9 }, 'geofence_location_confidence'],
    [{ locationConfidence: Number.NaN }, {}, 'geofence_location_confidence'],
    [{ deviceConfidence: 0.49 }, { minDeviceConfidence: 0.5 }, 'geofence_device_confidence'],
    [{ deviceConfidence: 0.49 }, {}, null],
    [{ accuracyMeters: 16 }, { maxAccuracyMeters: 15 }, 'geofence_accuracy'],
    [{ accuracyMeters: 15 }, { maxAccuracyMeters: 15 }, null],
    [{ accuracyMeters: -1 }, { maxAccuracyMeters: 15 }, 'geofence_accuracy'],
    [{ timestamp: '2024-07-02T07:09:59Z' }, { maxAgeSeconds: 3600 }, 'geofence_age'],
    [{ timestamp: '2024-07-02T07:10:00Z' }, { maxAgeSeconds: 3600 }, null],
    [{ timestamp: '2024-07-02T08:20:00Z' }, { maxAgeSeconds: 3600 }, 'geofence_age'],
    [{ timestamp: 'yesterday' }, { maxAgeSeconds: 3600 }, 'geofence_age'],
    [{ country: 'DE' }, {}, 'geofence_country'],
  ] as const)('%j with %j → %s', (data, thresholds, reason) => {
    const decision = evaluateGeofence({ ...swissSim, ...data }, { ...required, ...thresholds }, now);
    if (reason === null) expect(decision).toEqual({ ok: true, evaluated: true });
    else expect(decision).toMatchObject({ ok: false, reason, messageKey: `mobileid.geofence.${reason.slice('geofence_'.length)}` });
  });

  it('reports the first failing check in a fixed order (country before confidence)', () => {
    expect(evaluateGeofence({ ...swissSim, country: 'FR', locationConfidence: 0.1 }, required, now)).toMatchObject({ reason: 'geofence_country' });
  });
});
