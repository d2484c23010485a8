import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { ConfigError } from '../../../src/errors.js';
import { DEFAULT_CATALOGUE } from '../../../src/simulators/srs/index.js';
import { chooseEntry, loadSrsPolicy, parseSrsPolicy, processCatalogueResponse, requiredLoa } from '../../../src/verification/srs/index.js';

const policy = loadSrsPolicy(path.resolve('policies/srs.json'));
const catalogue = processCatalogueResponse(200, DEFAULT_CATALOGUE);

describe('policies/srs.json', () => {
  it('counts a LoA 3 or 4 video identification, web flow, no visit, for srs-video', () => {
    const video = policy.methods['srs-video']!;
    expect(requiredLoa(video)).toBe(3);
    const chosen = chooseEntry(video, catalogue)!;
    expect(chosen.entry.issuer).toBe('Video-ISP');
    expect(chosen.entry.loa).toBe(4);
    expect(chosen.jurisdiction).toBe('ZERTES');
    // The white paper's Test-ISP entry needs an offline step: it does not count.
    expect(chooseEntry(video, catalogue.filter((e) => e.issuer === 'Test-ISP'))).toBeUndefined();
  });

  it('counts the aml-bank identification of Klarna at LoA 4 (EIDAS) for srs-bank', () => {
    const bank = policy.methods['srs-bank']!;
    expect(requiredLoa(bank)).toBe(4);
    expect(chooseEntry(bank, catalogue)).toMatchObject({ entry: { issuer: 'KLARNA', loa: 4 }, jurisdiction: 'EIDAS' });
    expect(chooseEntry(bank, catalogue.map((e) => ({ ...e, loa: 3 })))).toBeUndefined();
    expect(chooseEntry(bank, catalogue.map((e) => ({ ...e, jurisdictions: ['ZERTES'] })))).toBeUndefined();
  });

  it('ignores methods the policy does not name (auto-identification, courier)', () => {
    for (const m of Object.values(policy.methods)) {
      const chosen = chooseEntry(m, catalogue.filter((e) => e.issuer === 'AutoIdent-ISP' || e.issuer === 'Courier-ISP'));
      expect(chosen).toBeUndefined();
    }
  });

  it('names the problem in a broken policy', () => {
    expect(() => parseSrsPolicy({ methods: { 'srs-video': { realtimeMethod: 'video', loa: [], jurisdictions: ['ZERTES'] } } })).toThrow(ConfigError);
    expect(() => parseSrsPolicy({ methods: { 'srs-video': { realtimeMethod: 'video', loa: [5], jurisdictions: ['ZERTES'] } } })).toThrow(/methods\.srs-video\.loa/);
  });
});
