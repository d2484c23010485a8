import { describe, expect, it } from 'vitest';

import { selectVerifiedClaims } from '../../../src/qor/index.js';

const released = {
  acr: 'urn:servicecore:qor:300',
  given_name: 'Anna',
  verified_claims: {
    verification: { trust_framework: 'urn:servicecore:trust-framework:login' },
    claims: { given_name: 'Anna', family_name: 'Muster', birthdate: '1985-03-14' },
  },
};

describe('verified_claims: only what the relying party asked for', () => {
  it('keeps the claims named in the request', () => {
    const out = selectVerifiedClaims(released, { verification: { trust_framework: null }, claims: { family_name: null, birthdate: { essential: true } } });
    expect(out.verified_claims).toEqual({ verification: released.verified_claims.verification, claims: { family_name: 'Muster', birthdate: '1985-03-14' } });
    expect(out.given_name).toBe('Anna');
  });

  it('leaves verified_claims out when none of the requested claims was proven', () => {
    const out = selectVerifiedClaims(released, { verification: {}, claims: { nationalities: null } });
    expect(out).not.toHaveProperty('verified_claims');
    expect(out.acr).toBe(released.acr);
  });

  it('releases every proven claim when the request names none, and nothing when nothing was proven', () => {
    expect(selectVerifiedClaims(released, null)).toEqual(released);
    expect(selectVerifiedClaims({ acr: 'x' }, { claims: { given_name: null } })).toEqual({ acr: 'x' });
  });
});
