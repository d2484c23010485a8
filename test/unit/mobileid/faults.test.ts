import { describe, expect, it } from 'vitest';

import { LOCAL_ERROR_MESSAGE_KEYS } from '../../../src/mobileid/errors.js';
import { GEOFENCING_ERRORS, MSS_CODES, geofencingAdviceKey } from '../../../src/mobileid/faults.js';
import messages from '../../../src/mobileid/messages.json' with { type: 'json' };
import { fixtureJson } from './helpers.js';

interface Documented {
  status_codes: Record<string, string>;
  fault_test_msisdns: { msisdn: string; subcode: string; reason: string; detail: string }[];
  geofencing_error_codes: Record<string, string>;
}
const documented = fixtureJson('status-fault-codes.json') as Documented;
const catalogue = messages as Record<'en' | 'de' | 'fr' | 'it', Record<string, string>>;
const LANGS = ['en', 'de', 'fr', 'it'] as const;

describe('the status and fault table is complete (section 6, status-fault-codes.json)', () => {
  it('has every documented status code, by name', () => {
    for (const [code, name] of Object.entries(documented.status_codes)) {
      expect(MSS_CODES.get(Number(code)), code).toMatchObject({ kind: 'status', name });
    }
  });

  it('has every documented fault code with its reason and the test-MSISDN detail', () => {
    for (const f of documented.fault_test_msisdns) {
      expect(f.msisdn).toBe(`41000092${f.subcode}`);
      expect(MSS_CODES.get(Number(f.subcode)), f.subcode).toMatchObject({
        kind: 'fault',
        name: f.reason,
        errorCode: f.reason.toLowerCase(),
        documentedDetail: f.detail,
        messageKey: `mobileid.fault.${f.subcode}`,
      });
    }
  });

  it('has nothing undocumented', () => {
    expect(MSS_CODES.size).toBe(Object.keys(documented.status_codes).length + documented.fault_test_msisdns.length);
    expect(MSS_CODES.size).toBe(23);
  });

  it('marks 1xx faults as Sender and the others as Receiver, like the recordings (105/107 Sender, 208 Receiver)', () => {
    for (const info of MSS_CODES.values()) {
      if (info.kind === 'fault') expect(info.faultRole, String(info.code)).toBe(info.code < 200 ? 'Sender' : 'Receiver');
      else expect(info.faultRole).toBeUndefined();
    }
  });

  it('has every geofencing error code of 3.2.4.2.4', () => {
    expect([...GEOFENCING_ERRORS.keys()].sort((a, b) => a - b)).toEqual(Object.keys(documented.geofencing_error_codes).map(Number));
    expect(geofencingAdviceKey(106)).toBe('mobileid.geofencing.106');
    expect(geofencingAdviceKey(999)).toBe('mobileid.geofencing.unknown');
  });

  it('says what a user can do', () => {
    const action = (c: number) => MSS_CODES.get(c)?.userAction;
    expect([action(401), action(208)]).toEqual(['retry', 'retry']);
    expect([action(404), action(422), action(109)]).toEqual(['activate', 'activate', 'activate']);
    expect(action(402)).toBe('unblock_pin');
    expect(action(406)).toBe('retry_later');
    expect(action(105)).toBe('check_number');
    expect(action(900)).toBe('retry_later');
    expect(MSS_CODES.get(401)?.retryable).toBe(true);
    expect(MSS_CODES.get(402)?.retryable).toBe(false);
    expect(MSS_CODES.get(404)?.retryable).toBe(false);
    expect(GEOFENCING_ERRORS.get(201)?.userAction).toBe('update_app');
    expect(GEOFENCING_ERRORS.get(106)?.userAction).toBe('enable_location');
  });
});

describe('messages.json', () => {
  const requiredKeys = [
    ...[...MSS_CODES.values()].map((i) => i.messageKey),
    ...[...GEOFENCING_ERRORS.values()].map((i) => i.messageKey),
    'mobileid.geofencing.unknown',
    ...Object.values(LOCAL_ERROR_MESSAGE_KEYS),
    ...['missing', 'country', 'location_confidence', 'device_confidence', 'accuracy', 'age'].map((r) => `mobileid.geofence.${r}`),
    'mobileid.geofence.advice.refresh_location',
    'mobileid.geofence.advice.precise_location',
    'mobileid.prompt.confirm',
  ];

  it.each(LANGS)('%s has a non-empty text for every key', (lang) => {
    for (const key of requiredKeys) {
      expect(catalogue[lang][key], `${lang} ${key}`).toMatch(/\S{2,}/);
    }
  });

  it('the four languages have the same keys and the same {placeholders}', () => {
    const keys = Object.keys(catalogue.en).sort();
    const placeholders = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort().join(',');
    for (const lang of LANGS) {
      expect(Object.keys(catalogue[lang]).sort()).toEqual(keys);
      for (const key of keys) expect(placeholders(catalogue[lang][key]!), `${lang} ${key}`).toBe(placeholders(catalogue.en[key]!));
    }
  });

  it('German, French and Italian are translations, not copies of the English', () => {
    for (const lang of ['de', 'fr', 'it'] as const) {
      for (const key of Object.keys(catalogue.en)) expect(catalogue[lang][key], `${lang} ${key}`).not.toBe(catalogue.en[key]);
    }
  });

  it('German follows Swiss spelling (ss, no ß)', () => {
    for (const text of Object.values(catalogue.de)) expect(text).not.toContain('ß');
  });

  it('is actionable for the common outcomes', () => {
    const t = (lang: (typeof LANGS)[number], code: number) => catalogue[lang][`mobileid.fault.${code}`] ?? '';
    expect(t('en', 401)).toMatch(/cancelled.*try again/i);
    expect(t('de', 401)).toMatch(/abgebrochen.*erneut/);
    expect(t('fr', 401)).toMatch(/annulé.*Réessayez/);
    expect(t('it', 401)).toMatch(/annullato.*Riprovi/);
    expect(t('en', 208)).toMatch(/expired.*try again/i);
    for (const lang of LANGS) {
      for (const code of [404, 422, 402, 105]) expect(t(lang, code), `${lang} ${code}`).toContain('https://mobileid.ch');
    }
    expect(t('en', 402)).toMatch(/PIN is blocked/);
    expect(t('en', 406)).toMatch(/already pending/);
    expect(t('en', 105)).toMatch(/no Mobile ID for this mobile number/);
    expect(t('en', 109)).toMatch(/SIM or app/);
    expect(t('en', 900)).toMatch(/temporarily unavailable/);
    expect(catalogue.en['mobileid.geofencing.106']).toMatch(/flight mode/);
    expect(catalogue.de['mobileid.geofencing.106']).toMatch(/Flugmodus/);
    expect(catalogue.fr['mobileid.geofencing.106']).toMatch(/mode avion/);
    expect(catalogue.it['mobileid.geofencing.106']).toMatch(/modalità aereo/);
    expect(catalogue.en['mobileid.geofencing.105']).toMatch(/Location services are switched off/);
    expect(catalogue.en['mobileid.geofencing.201']).toMatch(/Update it/);
    expect(catalogue.de['mobileid.geofencing.201']).toMatch(/Aktualisieren/);
  });
});
