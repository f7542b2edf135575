import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHmac, generateKeyPairSync, randomBytes, randomUUID, sign as rsaSign } from 'node:crypto';
import { startTestApp, TestApp } from './helpers/test-app';
import { login, OrgWorld, PASSWORD, startAppWithOrg } from './helpers/world';

// SPEC §6: HS256 pinned (`alg: none` and every other algorithm refused); iss, aud and exp
// validated; a token is only as good as its signature and its user, who must still exist and be
// active. Every forged token below gets 401 UNAUTHORIZED on GET /api/v1/auth/me — and one token
// forged with the right key and the right claims gets 200, proving the forging code is right.

const SECRET = `test-secret-${randomBytes(24).toString('hex')}`;
const ISSUER = 'unit-ledger';
const AUDIENCE = 'unit-ledger-api';

const b64url = (input: string | Buffer) => Buffer.from(input).toString('base64url');
const encode = (part: object) => b64url(JSON.stringify(part));
const hmac = (algorithm: 'sha256' | 'sha384' | 'sha512', key: string, data: string) => createHmac(algorithm, key).update(data).digest('base64url');

/** A JWT by hand: header and payload as given, HMAC signature with the named hash (or none). */
function forge(header: object, payload: object, key: string | null = SECRET, hash: 'sha256' | 'sha384' | 'sha512' = 'sha256'): string {
  const signingInput = `${encode(header)}.${encode(payload)}`;
  return `${signingInput}.${key === null ? '' : hmac(hash, key, signingInput)}`;
}

const now = () => Math.floor(Date.now() / 1000);

describe('tokens: forged, tampered and stale bearer tokens are refused with 401', () => {
  let t: TestApp;
  let org: OrgWorld;
  let practitionerId: string;
  let realToken: string;
  const statuses: number[] = [];

  /** Valid claims for the org's PRACTITIONER, as the service itself would issue them. */
  const claims = (overrides: Record<string, unknown> = {}) => ({
    sub: practitionerId,
    role: 'PRACTITIONER',
    org: org.id,
    iat: now() - 5,
    exp: now() + 600,
    iss: ISSUER,
    aud: AUDIENCE,
    ...overrides,
  });
  const HS256 = { alg: 'HS256', typ: 'JWT' };
  const without = (key: string) => {
    const c: Record<string, unknown> = claims();
    delete c[key];
    return c;
  };

  const me = async (authorization: string | undefined) => {
    const res = await t.request('GET', '/api/v1/auth/me', { headers: authorization === undefined ? {} : { authorization } });
    statuses.push(res.status);
    return res;
  };
  const expectUnauthorized = async (authorization: string | undefined) => {
    const res = await me(authorization);
    expect({ status: res.status, body: res.body }).toEqual({
      status: 401,
      body: { statusCode: 401, error: 'Unauthorized', message: expect.any(String), code: 'UNAUTHORIZED' },
    });
  };

  beforeAll(async () => {
    ({ t, org } = await startAppWithOrg({ JWT_SECRET: SECRET }));
    practitionerId = org.userIds.PRACTITIONER;
    realToken = org.tokens.PRACTITIONER;
  });
  afterAll(() => t.close());

  describe('positive controls', () => {
    it('the token the service issued works, and carries the claims this file forges (iss, aud, exp, sub, role, org)', async () => {
      const res = await me(`Bearer ${realToken}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ id: practitionerId, email: expect.any(String), role: 'PRACTITIONER', organizationId: org.id });
      const [header, payload] = realToken.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()));
      expect(header).toMatchObject({ alg: 'HS256' });
      expect(payload).toMatchObject({ sub: practitionerId, role: 'PRACTITIONER', org: org.id, iss: ISSUER, aud: AUDIENCE });
      expect(payload.exp - payload.iat).toBe(900);
    });

    it('a token forged by hand with the right key and the right claims is accepted (200)', async () => {
      const res = await me(`Bearer ${forge(HS256, claims())}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: practitionerId, role: 'PRACTITIONER', organizationId: org.id });
    });

    it('the same forging, re-signing the issued token with the right key, reproduces its signature exactly', () => {
      const [h, p, signature] = realToken.split('.');
      expect(hmac('sha256', SECRET, `${h}.${p}`)).toBe(signature);
    });
  });

  describe('forged or tampered tokens → 401 UNAUTHORIZED', () => {
    const cases: [string, () => string][] = [
      ['alg none, no signature', () => forge({ alg: 'none', typ: 'JWT' }, claims(), null)],
      ['alg "None", no signature', () => forge({ alg: 'None', typ: 'JWT' }, claims(), null)],
      ['alg "NONE", no signature', () => forge({ alg: 'NONE' }, claims(), null)],
      ['alg none, but signed with the right key', () => forge({ alg: 'none', typ: 'JWT' }, claims())],
      ['alg none, with the signature of a real token', () => `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims())}.${realToken.split('.')[2]}`],
      ['no alg in the header', () => forge({ typ: 'JWT' }, claims())],
      ['HS512 with the right secret', () => forge({ alg: 'HS512', typ: 'JWT' }, claims(), SECRET, 'sha512')],
      ['HS384 with the right secret', () => forge({ alg: 'HS384', typ: 'JWT' }, claims(), SECRET, 'sha384')],
      ['RS256 header with an HMAC-SHA256 signature by the secret (key confusion)', () => forge({ alg: 'RS256', typ: 'JWT' }, claims())],
      ['ES256 header with an HMAC-SHA256 signature by the secret', () => forge({ alg: 'ES256', typ: 'JWT' }, claims())],
      ['PS256 header with an HMAC-SHA256 signature by the secret', () => forge({ alg: 'PS256', typ: 'JWT' }, claims())],
      ['RS256 signed with an attacker RSA key that the header carries (jwk)', () => {
        const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        const header = { alg: 'RS256', typ: 'JWT', jwk: publicKey.export({ format: 'jwk' }) };
        const input = `${encode(header)}.${encode(claims())}`;
        return `${input}.${b64url(rsaSign('sha256', Buffer.from(input), privateKey))}`;
      }],
      ['HS256 with a wrong key', () => forge(HS256, claims(), `wrong-${SECRET}`)],
      ['HS256 with an empty key', () => forge(HS256, claims(), '')],
      ['HS256 with the key "secret"', () => forge(HS256, claims(), 'secret')],
      ['HS256 with a key one character short', () => forge(HS256, claims(), SECRET.slice(0, -1))],
      ['expired: exp a minute ago (right key)', () => forge(HS256, claims({ iat: now() - 1000, exp: now() - 60 }))],
      ['expired: exp a day ago (right key)', () => forge(HS256, claims({ iat: now() - 90_000, exp: now() - 86_400 }))],
      ['no exp at all: a token that would never expire (right key)', () => forge(HS256, without('exp'))],
      ['exp not a number (right key)', () => forge(HS256, claims({ exp: 'never' }))],
      ['not yet valid: nbf in an hour (right key)', () => forge(HS256, claims({ nbf: now() + 3600 }))],
      // Issue 11 point 7: a correctly signed token is still refused when its header names critical
      // extensions (RFC 7515 §4.1.11: nothing here understands any), when its lifetime is longer
      // than the service ever issues (JWT_EXPIRES_IN, 900 s here), or when it says nothing of when
      // it was issued.
      ['header with crit: ["b64"] and b64: false (right key)', () => forge({ ...HS256, b64: false, crit: ['b64'] }, claims())],
      ['header with crit: ["exp"] (right key)', () => forge({ ...HS256, crit: ['exp'] }, claims())],
      ['header with an empty crit list (right key)', () => forge({ ...HS256, crit: [] }, claims())],
      ['lifetime one second longer than JWT_EXPIRES_IN: exp − iat = 901 (right key)', () => {
        const iat = now() - 5;
        return forge(HS256, claims({ iat, exp: iat + 901 }));
      }],
      ['lifetime of a year, unexpired (right key)', () => forge(HS256, claims({ iat: now() - 5, exp: now() + 31_536_000 }))],
      ['no iat at all (right key)', () => forge(HS256, without('iat'))],
      ['iat not a number (right key)', () => forge(HS256, claims({ iat: String(now() - 5) }))],
      ['iat null (right key)', () => forge(HS256, claims({ iat: null }))],
      ['missing iss', () => forge(HS256, without('iss'))],
      ['wrong iss', () => forge(HS256, claims({ iss: 'someone-else' }))],
      ['iss differing in case', () => forge(HS256, claims({ iss: 'Unit-Ledger' }))],
      ['missing aud', () => forge(HS256, without('aud'))],
      ['wrong aud', () => forge(HS256, claims({ aud: 'another-api' }))],
      ['aud an empty list', () => forge(HS256, claims({ aud: [] }))],
      ['missing sub', () => forge(HS256, without('sub'))],
      ['sub not a uuid', () => forge(HS256, claims({ sub: "1' or '1'='1" }))],
      ['sub a number', () => forge(HS256, claims({ sub: 1 }))],
      ['a user id that does not exist (right key, valid claims)', () => forge(HS256, claims({ sub: randomUUID() }))],
      ['the nil uuid as sub', () => forge(HS256, claims({ sub: '00000000-0000-0000-0000-000000000000' }))],
      ['tampered payload: role changed to SUPER_ADMIN, original signature', () => {
        const [h, p, sig] = realToken.split('.');
        const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
        return `${h}.${encode({ ...payload, role: 'SUPER_ADMIN', org: null })}.${sig}`;
      }],
      ['tampered payload: org changed, original signature', () => {
        const [h, p, sig] = realToken.split('.');
        const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
        return `${h}.${encode({ ...payload, org: randomUUID() })}.${sig}`;
      }],
      ['tampered payload: exp extended by a year, original signature', () => {
        const [h, p, sig] = realToken.split('.');
        const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
        return `${h}.${encode({ ...payload, exp: payload.exp + 31_536_000 })}.${sig}`;
      }],
      ['tampered header: alg changed to HS512, original signature', () => {
        const [, p, sig] = realToken.split('.');
        return `${encode({ alg: 'HS512', typ: 'JWT' })}.${p}.${sig}`;
      }],
      ['signature truncated by one character', () => realToken.slice(0, -1)],
      ['signature removed', () => realToken.split('.').slice(0, 2).join('.') + '.'],
      ['signature of another valid token', () => {
        const other = forge(HS256, claims({ sub: org.userIds.ADMIN, role: 'ADMIN' }));
        return `${realToken.split('.').slice(0, 2).join('.')}.${other.split('.')[2]}`;
      }],
      ['two parts only', () => realToken.split('.').slice(0, 2).join('.')],
      ['four parts', () => `${realToken}.${realToken.split('.')[2]}`],
      ['payload not JSON', () => {
        const input = `${encode(HS256)}.${b64url('not json')}`;
        return `${input}.${hmac('sha256', SECRET, input)}`;
      }],
      ['payload a JSON string', () => {
        const input = `${encode(HS256)}.${b64url('"just a string"')}`;
        return `${input}.${hmac('sha256', SECRET, input)}`;
      }],
      ['header not JSON', () => {
        const input = `${b64url('{{{')}.${encode(claims())}`;
        return `${input}.${hmac('sha256', SECRET, input)}`;
      }],
    ];

    it.each(cases)('%s', async (_name, token) => {
      await expectUnauthorized(`Bearer ${token()}`);
    });
  });

  describe('garbage and malformed Authorization headers → 401 UNAUTHORIZED', () => {
    const headers: [string, string | undefined][] = [
      ['no Authorization header', undefined],
      ["'Bearer' alone", 'Bearer'],
      ["'Bearer ' with an empty token", 'Bearer '],
      ["'Bearer' with spaces only", 'Bearer    '],
      ['a garbage string', 'Bearer garbage'],
      ['three dots', 'Bearer ...'],
      ['a.b.c', 'Bearer a.b.c'],
      ['random base64url parts', `Bearer ${b64url(randomBytes(20))}.${b64url(randomBytes(40))}.${b64url(randomBytes(32))}`],
      ['a 4 kB token', `Bearer ${'x'.repeat(4096)}`],
      ['SQL in the token', "Bearer ' or 1=1 --"],
      ['the token without a scheme', 'TOKEN'],
      ['Basic scheme', `Basic ${Buffer.from('root@test.local:root-password-123').toString('base64')}`],
      ['the JSON of the claims instead of a token', 'Bearer {"sub":"x","role":"SUPER_ADMIN"}'],
    ];
    it.each(headers)('%s', async (_name, header) => {
      // 'TOKEN' stands for the real token sent without the Bearer scheme.
      await expectUnauthorized(header === 'TOKEN' ? realToken : header);
    });
  });

  describe('the database, not the token, says who the caller is', () => {
    it('a validly signed token claiming SUPER_ADMIN for a PRACTITIONER user acts as the PRACTITIONER', async () => {
      const token = forge(HS256, claims({ role: 'SUPER_ADMIN', org: null }));
      const who = await me(`Bearer ${token}`);
      expect(who.status).toBe(200);
      expect(who.body).toMatchObject({ id: practitionerId, role: 'PRACTITIONER', organizationId: org.id });
      const orgs = await t.request('GET', '/api/v1/organizations', { token });
      statuses.push(orgs.status);
      expect(orgs.status).toBe(403);
      expect(orgs.body.code).toBe('FORBIDDEN');
    });

    it("a token for a user deactivated by an admin stops working at once (401); the user can no longer log in", async () => {
      const email = `deactivated-${randomBytes(4).toString('hex')}@example.com`;
      const created = await t.request('POST', '/api/v1/users', { token: org.tokens.ADMIN, body: { email, password: PASSWORD, role: 'PRACTITIONER' } });
      expect(created.status).toBe(201);
      const token = await login(t.request, email, PASSWORD);
      const forged = forge(HS256, claims({ sub: created.body.id }));
      expect((await me(`Bearer ${token}`)).status).toBe(200);
      expect((await me(`Bearer ${forged}`)).status).toBe(200);

      const off = await t.request('PATCH', `/api/v1/users/${created.body.id}`, { token: org.tokens.ADMIN, body: { active: false } });
      expect(off.status).toBe(200);
      expect(off.body.active).toBe(false);

      await expectUnauthorized(`Bearer ${token}`);
      await expectUnauthorized(`Bearer ${forged}`);
      const business = await t.request('GET', '/api/v1/authorizations', { token });
      expect({ status: business.status, code: business.body.code }).toEqual({ status: 401, code: 'UNAUTHORIZED' });
      const again = await t.request('POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } });
      expect({ status: again.status, code: again.body.code }).toEqual({ status: 401, code: 'INVALID_CREDENTIALS' });

      // Reactivated (issue 11 point 7): the deactivation ended every token issued before it, for
      // good — the same unexpired token stays refused; a new login works.
      const on = await t.request('PATCH', `/api/v1/users/${created.body.id}`, { token: org.tokens.ADMIN, body: { active: true } });
      expect(on.status).toBe(200);
      expect(on.body.active).toBe(true);
      await expectUnauthorized(`Bearer ${token}`);
      await expectUnauthorized(`Bearer ${forged}`);
      const fresh = await login(t.request, email, PASSWORD);
      const who = await me(`Bearer ${fresh}`);
      expect({ status: who.status, id: who.body.id }).toEqual({ status: 200, id: created.body.id });
      await expectUnauthorized(`Bearer ${token}`);
    });

    it('a role change ends every token issued before it (401, also for a hand-signed one); a new login works with the new role', async () => {
      const email = `role-change-${randomBytes(4).toString('hex')}@example.com`;
      const created = await t.request('POST', '/api/v1/users', { token: org.tokens.ADMIN, body: { email, password: PASSWORD, role: 'PRACTITIONER' } });
      expect(created.status).toBe(201);
      const old = await login(t.request, email, PASSWORD);
      const forged = forge(HS256, claims({ sub: created.body.id }));
      expect((await me(`Bearer ${old}`)).status).toBe(200);
      expect((await me(`Bearer ${forged}`)).status).toBe(200);

      const changed = await t.request('PATCH', `/api/v1/users/${created.body.id}`, { token: org.tokens.ADMIN, body: { role: 'VIEWER' } });
      expect({ status: changed.status, role: changed.body.role }).toEqual({ status: 200, role: 'VIEWER' });
      await expectUnauthorized(`Bearer ${old}`);
      await expectUnauthorized(`Bearer ${forged}`);

      const fresh = await login(t.request, email, PASSWORD);
      const who = await me(`Bearer ${fresh}`);
      expect({ status: who.status, body: who.body }).toEqual({ status: 200, body: { id: created.body.id, email, role: 'VIEWER', organizationId: org.id } });

      // A PATCH that changes neither the role nor `active` ends nothing.
      const same = await t.request('PATCH', `/api/v1/users/${created.body.id}`, { token: org.tokens.ADMIN, body: { role: 'VIEWER', active: true } });
      expect(same.status).toBe(200);
      expect((await me(`Bearer ${fresh}`)).status).toBe(200);
      await expectUnauthorized(`Bearer ${old}`);
    });

    it('a token whose signing key changed (service restarted with another JWT_SECRET) is refused', async () => {
      const other = await startTestApp({ JWT_SECRET: `another-secret-${randomBytes(24).toString('hex')}` }, t.databaseUrl);
      try {
        const res = await other.request('GET', '/api/v1/auth/me', { token: realToken });
        statuses.push(res.status);
        expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'UNAUTHORIZED' });
      } finally {
        await other.close();
      }
    });
  });

  it('two instances in one process (Passport keeps strategies process-wide) each verify with their own key and users, also after the other closed', async () => {
    const otherSecret = `another-secret-${randomBytes(24).toString('hex')}`;
    const other = await startTestApp({ JWT_SECRET: otherSecret }, t.databaseUrl);
    const ownToken = forge(HS256, claims());
    const otherToken = forge(HS256, claims(), otherSecret);
    try {
      const answers = [
        (await me(`Bearer ${forge(HS256, claims({ iat: now() - 4 }))}`)).status,
        (await me(`Bearer ${forge(HS256, claims({ iat: now() - 3 }), otherSecret)}`)).status,
        (await other.request('GET', '/api/v1/auth/me', { token: otherToken })).status,
        (await other.request('GET', '/api/v1/auth/me', { token: ownToken })).status,
      ];
      expect(answers).toEqual([200, 401, 200, 401]);
    } finally {
      await other.close();
    }
    // Tokens this instance has not seen yet: Passport decides them, with this instance's strategy.
    expect((await me(`Bearer ${forge(HS256, claims({ iat: now() - 2 }))}`)).status).toBe(200);
    await expectUnauthorized(`Bearer ${forge(HS256, claims({ iat: now() - 1 }), otherSecret)}`);
  });

  it('with no JWT_SECRET the key is generated under DATA_DIR, and a token forged with that file’s key is accepted', async () => {
    const generated = await startTestApp({}, t.databaseUrl);
    try {
      const key = readFileSync(join(generated.config.dataDir, 'jwt-secret'), 'utf8').trim();
      expect(Buffer.byteLength(key)).toBeGreaterThanOrEqual(32);
      const ok = await generated.request('GET', '/api/v1/auth/me', { token: forge(HS256, claims(), key) });
      const refused = await generated.request('GET', '/api/v1/auth/me', { token: forge(HS256, claims(), SECRET) });
      statuses.push(ok.status, refused.status);
      expect(ok.status).toBe(200);
      expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 401, code: 'UNAUTHORIZED' });
    } finally {
      await generated.close();
    }
  });

  it('no response in this file had a status of 500 or more', () => {
    expect(statuses.length).toBeGreaterThan(60);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
  });
});
