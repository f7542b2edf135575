import { createHmac } from 'node:crypto';
import { UserDirectory } from '../users/user-directory.service';
import { AccessTokenVerifier } from './access-token-verifier';
import { JWT_AUDIENCE, JWT_ISSUER } from './jwt-secret';

const SECRET = 'test-secret-test-secret-test-secret';
const SUB = '01900000-0000-7000-8000-000000000001';
const NOW = 1_800_000_000;
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function token(claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }, secret = SECRET): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}
const valid = { sub: SUB, iss: JWT_ISSUER, aud: JWT_AUDIENCE, exp: NOW + 60, iat: NOW - 1 };

describe('AccessTokenVerifier.subjectOf', () => {
  const verifier = new AccessTokenVerifier(SECRET, {} as UserDirectory, { jwtExpiresInSeconds: 900 });

  it('accepts a token signed as the service signs them', () => {
    expect(verifier.subjectOf(token(valid), NOW)).toBe(SUB);
    expect(verifier.subjectOf(token({ ...valid, aud: ['other', JWT_AUDIENCE] }), NOW)).toBe(SUB);
    expect(verifier.subjectOf(token({ ...valid, iat: NOW - 840, gen: 3 }), NOW)).toBe(SUB);
  });

  it.each([
    ['another key', token(valid, undefined, 'another-secret')],
    ['alg none', `${b64({ alg: 'none' })}.${b64(valid)}.`],
    ['HS512 header', token(valid, { alg: 'HS512' })],
    ['no exp', token({ ...valid, exp: undefined })],
    ['exp as text', token({ ...valid, exp: String(NOW + 60) })],
    ['expired', token({ ...valid, exp: NOW })],
    ['not yet valid', token({ ...valid, nbf: NOW + 1 })],
    ['crit in the header', token(valid, { alg: 'HS256', typ: 'JWT', crit: ['exp'] })],
    ['no iat', token({ ...valid, iat: undefined })],
    ['iat as text', token({ ...valid, iat: String(NOW - 1) })],
    ['exp − iat longer than the lifetime', token({ ...valid, iat: NOW - 841 })],
    ['gen negative', token({ ...valid, gen: -1 })],
    ['gen as text', token({ ...valid, gen: '0' })],
    ['gen fractional', token({ ...valid, gen: 1.5 })],
    ['nbf as text', token({ ...valid, nbf: 'soon' })],
    ['other issuer', token({ ...valid, iss: 'someone' })],
    ['other audience', token({ ...valid, aud: 'someone' })],
    ['subject not a UUID', token({ ...valid, sub: 'admin' })],
    ['payload not an object', `${b64({ alg: 'HS256' })}.${Buffer.from('[1]').toString('base64url')}.x`],
    ['two parts', 'abc.def'],
    ['tampered payload', token(valid).replace(/^([^.]+)\.[^.]+/, (_, h) => `${h}.${b64({ ...valid, sub: '01900000-0000-7000-8000-000000000002' })}`)],
  ])('refuses %s', (_, candidate) => {
    expect(verifier.subjectOf(candidate, NOW)).toBeUndefined();
  });

  it('checks the time window again when a verified token is used later', () => {
    const t = token(valid);
    expect(verifier.subjectOf(t, NOW)).toBe(SUB);
    expect(verifier.subjectOf(t, NOW + 60)).toBeUndefined();
    const early = token({ ...valid, nbf: NOW + 10 });
    expect(verifier.subjectOf(early, NOW)).toBeUndefined();
    expect(verifier.subjectOf(early, NOW + 10)).toBe(SUB);
  });
});
