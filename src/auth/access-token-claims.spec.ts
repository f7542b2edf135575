import { acceptedClaims, bearerToken, callerOf, withinWindow } from './access-token-claims';
import { UserDirectory } from '../users/user-directory.service';
import { Role } from '../shared/auth/role';

const SUB = '01900000-0000-7000-8000-000000000001';
const NOW = 1_800_000_000;
const HS256 = { alg: 'HS256', typ: 'JWT' };
const valid = { sub: SUB, iss: 'unit-ledger', aud: 'unit-ledger-api', exp: NOW + 60, iat: NOW - 1 };
const accepted = (payload: unknown, header: unknown = HS256) => acceptedClaims(header, payload, 900);

describe('acceptedClaims (what jsonwebtoken does not check)', () => {
  it('accepts the claims the service issues; gen missing counts as 0', () => {
    expect(accepted(valid)).toEqual({ sub: SUB, exp: NOW + 60, nbf: undefined, gen: 0 });
    expect(accepted({ ...valid, gen: 3, nbf: NOW - 1 })).toEqual({ sub: SUB, exp: NOW + 60, nbf: NOW - 1, gen: 3 });
    expect(accepted({ ...valid, iat: NOW + 60 - 900 })).toMatchObject({ sub: SUB });
  });

  it.each([
    ['no exp', { ...valid, exp: undefined }],
    ['exp as text', { ...valid, exp: String(NOW + 60) }],
    ['nbf as text', { ...valid, nbf: 'soon' }],
    ['no iat', { ...valid, iat: undefined }],
    ['iat as text', { ...valid, iat: String(NOW - 1) }],
    ['iat null', { ...valid, iat: null }],
    ['exp − iat one second above the lifetime', { ...valid, iat: NOW + 60 - 901 }],
    ['subject not a UUID', { ...valid, sub: 'admin' }],
    ['subject a number', { ...valid, sub: 1 }],
    ['gen negative', { ...valid, gen: -1 }],
    ['gen as text', { ...valid, gen: '0' }],
    ['gen fractional', { ...valid, gen: 1.5 }],
    ['payload a list', [valid]],
    ['payload a string', 'just a string'],
    ['payload null', null],
  ])('refuses %s', (_, payload) => {
    expect(accepted(payload)).toBeUndefined();
  });

  it.each([
    ['crit naming an extension', { ...HS256, crit: ['b64'], b64: false }],
    ['crit naming a registered claim', { ...HS256, crit: ['exp'] }],
    ['an empty crit list', { ...HS256, crit: [] }],
    ['an algorithm other than HS256', { alg: 'HS512' }],
    ['no header object', 'HS256'],
  ])('refuses a header with %s', (_, header) => {
    expect(accepted(valid, header)).toBeUndefined();
  });
});

describe('withinWindow', () => {
  it('is [nbf, exp): exp itself is too late, nbf itself is in time', () => {
    const claims = { sub: SUB, exp: NOW + 60, nbf: NOW + 10, gen: 0 };
    expect(withinWindow(claims, NOW + 9)).toBe(false);
    expect(withinWindow(claims, NOW + 10)).toBe(true);
    expect(withinWindow(claims, NOW + 59)).toBe(true);
    expect(withinWindow(claims, NOW + 60)).toBe(false);
  });
});

describe('bearerToken', () => {
  it.each([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer abc', 'abc'],
    ['BEARER \tabc \t', 'abc'],
    ['Bearer', undefined],
    ['Bearer ', undefined],
    ['Bearer a b', undefined],
    ['Basic abc', undefined],
    ['abc', undefined],
    [undefined, undefined],
  ])('%j → %j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});

describe('callerOf', () => {
  const user = { id: SUB, email: 'a@example.com', role: Role.VIEWER, organizationId: null };
  const directory = (found: unknown) => ({ findActive: async () => found }) as unknown as UserDirectory;
  const claims = { sub: SUB, exp: NOW + 60, gen: 2 };

  it('is the active user when the token carries their current generation', async () => {
    expect(await callerOf(directory({ user, tokenGeneration: 2 }), claims)).toBe(user);
  });

  it('is nobody for another generation (deactivated or role changed since) or an inactive or unknown user', async () => {
    expect(await callerOf(directory({ user, tokenGeneration: 3 }), claims)).toBeNull();
    expect(await callerOf(directory({ user, tokenGeneration: 0 }), { ...claims, gen: 0 })).toBe(user);
    expect(await callerOf(directory(null), claims)).toBeNull();
  });
});
