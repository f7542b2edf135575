import { createHmac } from 'node:crypto';
import passport from 'passport';
import { AppConfig } from '../config/app-config';
import { UserDirectory } from '../users/user-directory.service';
import { authStrategyNames } from './auth-strategies';
import { JWT_AUDIENCE, JWT_ISSUER } from './jwt-secret';
import { JwtStrategy } from './jwt.strategy';
import { Role } from '../shared/auth/role';
import { VerifiedTokens } from './verified-tokens';

const SECRET = 'test-secret-test-secret-test-secret';
const SUB = '01900000-0000-7000-8000-000000000001';
const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const user = { id: SUB, email: 'a@example.com', role: Role.VIEWER, organizationId: null };

function token(claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }, secret = SECRET): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}
const valid = () => ({ sub: SUB, iss: JWT_ISSUER, aud: JWT_AUDIENCE, exp: now() + 60, iat: now() - 1, gen: 2 });

type Outcome = { user: unknown } | { fail: true } | { error: unknown };

describe('JwtStrategy (passport-jwt, then the claims jsonwebtoken does not check, then the user)', () => {
  const names = authStrategyNames();
  let generation = 2;
  const users = { findActive: async () => ({ user, tokenGeneration: generation }) } as unknown as UserDirectory;
  let verified: VerifiedTokens;
  let strategy: JwtStrategy;

  beforeEach(() => {
    generation = 2;
    verified = new VerifiedTokens();
    strategy = new JwtStrategy(SECRET, names, { jwtExpiresInSeconds: 900 } as AppConfig, users, verified);
  });
  afterEach(() => strategy.onModuleDestroy());

  /** One run of the strategy on a request, the way passport.authenticate runs it. */
  const run = (authorization: string | undefined): Promise<Outcome> =>
    new Promise((resolve) => {
      const attempt = Object.create(strategy);
      attempt.success = (u: unknown) => resolve({ user: u });
      attempt.fail = () => resolve({ fail: true });
      attempt.error = (e: unknown) => resolve({ error: e });
      attempt.authenticate({ headers: authorization === undefined ? {} : { authorization } }, {});
    });

  it('is registered under its application’s own name, not as "jwt", and unregistered on shutdown', () => {
    const registry = passport as unknown as { _strategy(name: string): unknown };
    expect(registry._strategy(names.jwt)).toBe(strategy);
    expect(registry._strategy('jwt')).toBeUndefined();
    strategy.onModuleDestroy();
    expect(registry._strategy(names.jwt)).toBeUndefined();
  });

  it('accepts a token signed as the service signs them, and remembers it (only it)', async () => {
    const t = token(valid());
    expect(await run(`Bearer ${t}`)).toEqual({ user });
    expect(verified.recall(t, now())).toEqual({ sub: SUB, exp: expect.any(Number), gen: 2 });
    expect(await run(`Bearer ${token({ ...valid(), aud: ['other', JWT_AUDIENCE] })}`)).toEqual({ user });
    expect(verified.size).toBe(2);
  });

  it.each([
    ['no header', () => undefined],
    ['another key', () => `Bearer ${token(valid(), undefined, 'another-secret')}`],
    ['alg none', () => `Bearer ${b64({ alg: 'none' })}.${b64(valid())}.`],
    ['HS512 header, signed HS256', () => `Bearer ${token(valid(), { alg: 'HS512' })}`],
    ['RS256 header, HMAC signature (key confusion)', () => `Bearer ${token(valid(), { alg: 'RS256' })}`],
    ['no exp', () => `Bearer ${token({ ...valid(), exp: undefined })}`],
    ['expired', () => `Bearer ${token({ ...valid(), exp: now() })}`],
    ['not yet valid', () => `Bearer ${token({ ...valid(), nbf: now() + 30 })}`],
    ['other issuer', () => `Bearer ${token({ ...valid(), iss: 'someone' })}`],
    ['other audience', () => `Bearer ${token({ ...valid(), aud: 'someone' })}`],
    ['crit in the header', () => `Bearer ${token(valid(), { alg: 'HS256', crit: ['exp'] })}`],
    ['no iat', () => `Bearer ${token({ ...valid(), iat: undefined })}`],
    ['a lifetime above JWT_EXPIRES_IN', () => `Bearer ${token({ ...valid(), iat: now() - 900 })}`],
    ['subject not a UUID', () => `Bearer ${token({ ...valid(), sub: 'admin' })}`],
    ['an older token generation', () => `Bearer ${token({ ...valid(), gen: 1 })}`],
    ['no gen (0) for a user at generation 2', () => `Bearer ${token({ ...valid(), gen: undefined })}`],
    ['payload not an object', () => `Bearer ${b64({ alg: 'HS256' })}.${Buffer.from('[1]').toString('base64url')}.x`],
    ['two parts', () => 'Bearer abc.def'],
    ['tampered payload', () => `Bearer ${token(valid()).replace(/^([^.]+)\.[^.]+/, (_, h) => `${h}.${b64({ ...valid(), sub: '01900000-0000-7000-8000-000000000002' })}`)}`],
  ])('refuses %s, and does not remember it', async (_, header) => {
    expect(await run(header())).toEqual({ fail: true });
    expect(verified.size).toBe(0);
  });

  it('a database failure is an error, not a refusal', async () => {
    const failing = { findActive: async () => Promise.reject(new Error('connection refused')) } as unknown as UserDirectory;
    strategy.onModuleDestroy();
    strategy = new JwtStrategy(SECRET, names, { jwtExpiresInSeconds: 900 } as AppConfig, failing, verified);
    expect(await run(`Bearer ${token(valid())}`)).toEqual({ error: new Error('connection refused') });
    expect(verified.size).toBe(0);
  });
});
