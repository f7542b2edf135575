import { VERIFIED_TOKENS_CAPACITY, VerifiedTokens } from './verified-tokens';

const SUB = '01900000-0000-7000-8000-000000000001';
const NOW = 1_800_000_000;

describe('VerifiedTokens', () => {
  it('recalls only what it was told, and checks the time window again on every use', () => {
    const tokens = new VerifiedTokens();
    expect(tokens.recall('t', NOW)).toBeUndefined();
    tokens.remember('t', { sub: SUB, exp: NOW + 60, gen: 0 });
    expect(tokens.recall('t', NOW)).toEqual({ sub: SUB, exp: NOW + 60, gen: 0 });
    expect(tokens.recall('t ', NOW)).toBeUndefined();
    expect(tokens.recall('t', NOW + 60)).toBeUndefined();
    // Expired: forgotten, so a later clock (or a bug) cannot bring it back.
    expect(tokens.recall('t', NOW)).toBeUndefined();

    tokens.remember('early', { sub: SUB, exp: NOW + 60, nbf: NOW + 10, gen: 0 });
    expect(tokens.recall('early', NOW)).toBeUndefined();
    expect(tokens.recall('early', NOW + 10)).toMatchObject({ sub: SUB });
  });

  it(`holds at most ${VERIFIED_TOKENS_CAPACITY} tokens, forgetting the oldest first`, () => {
    const tokens = new VerifiedTokens();
    for (let i = 0; i <= VERIFIED_TOKENS_CAPACITY; i++) tokens.remember(`t${i}`, { sub: SUB, exp: NOW + 60, gen: 0 });
    expect(tokens.size).toBe(VERIFIED_TOKENS_CAPACITY);
    expect(tokens.recall('t0', NOW)).toBeUndefined();
    expect(tokens.recall('t1', NOW)).toBeDefined();
    expect(tokens.recall(`t${VERIFIED_TOKENS_CAPACITY}`, NOW)).toBeDefined();
  });
});
