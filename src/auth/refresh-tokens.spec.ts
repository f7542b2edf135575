import { createHash } from 'node:crypto';
import { isWellFormedRefreshToken, newRefreshToken, tokenHash } from './refresh-tokens';

describe('refresh tokens', () => {
  it('are ulr_ and 43 base64url characters (256 random bits), never the same twice, stored as their SHA-256 (hex)', () => {
    const tokens = Array.from({ length: 100 }, newRefreshToken);
    expect(new Set(tokens).size).toBe(100);
    for (const token of tokens) expect(isWellFormedRefreshToken(token)).toBe(true);
    expect(tokenHash(tokens[0])).toBe(createHash('sha256').update(tokens[0]).digest('hex'));
    expect(tokenHash(tokens[0])).toMatch(/^[0-9a-f]{64}$/);
  });

  it('anything else is not one (refused without a lookup)', () => {
    for (const bad of ['', 'ulr_', `ulr_${'a'.repeat(42)}`, `ulr_${'a'.repeat(44)}`, `ul_${'a'.repeat(43)}`, `ULR_${'a'.repeat(43)}`, `ulr_${'a'.repeat(42)}/`, `${newRefreshToken()}\n`]) {
      expect({ bad, ok: isWellFormedRefreshToken(bad) }).toEqual({ bad, ok: false });
    }
  });
});
