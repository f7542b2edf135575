// Security attacks (issue 4, point 4), as a catalogue: one test per attack, each with its exact
// expected answer, and — for every attack that tries to write — proof from the tables that nothing
// was written. It complements, and does not repeat, tokens.e2e-spec.ts (alg none, algorithm
// switch, wrong key, expired, iss/aud, tampered claims on /auth/me), tenancy.e2e-spec.ts (every id
// route with another organization's ids), roles.e2e-spec.ts (role table, self-escalation, ADMIN →
// SUPER_ADMIN) and rate-limits.e2e-spec.ts (per-user and per-email limits).
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { fingerprint, forgeJwt, JWT_AUDIENCE, JWT_ISSUER } from './helpers/hostile';
import { HttpResult } from './helpers/http';
import { dbState, expectError, expectStatus, factories, unique, uniqueEmail } from './helpers/routes';
import { startTestApp, TestApp } from './helpers/test-app';
import { createOrg, dayOffset, login, OrgWorld, PASSWORD, rootToken } from './helpers/world';

const SECRET = `attacks-secret-${randomBytes(24).toString('hex')}`;
const OTHER_SECRET = `attacker-secret-${randomBytes(24).toString('hex')}`;
const HS256 = { alg: 'HS256', typ: 'JWT' };
const now = () => Math.floor(Date.now() / 1000);
const claims = (sub: string, extra: Record<string, unknown> = {}) => ({ sub, iat: now() - 5, exp: now() + 600, iss: JWT_ISSUER, aud: JWT_AUDIENCE, ...extra });

/** 429 RATE_LIMITED with a Retry-After in seconds, within the limit's window. */
function expectRateLimited(res: HttpResult, windowSeconds: number): void {
  expectError(res, 429, 'RATE_LIMITED');
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
}

describe('attack catalogue (one application, default limits)', () => {
  let t: TestApp;
  let root: string;
  let rootId: string;
  let A: OrgWorld;
  let B: OrgWorld;
  let fA: ReturnType<typeof factories>;
  let fB: ReturnType<typeof factories>;

  beforeAll(async () => {
    t = await startTestApp({ JWT_SECRET: SECRET });
    root = await rootToken(t.request);
    rootId = (await t.request('GET', '/api/v1/auth/me', { token: root })).body.id;
    A = await createOrg(t.request, root, unique('OrgA'));
    B = await createOrg(t.request, root, unique('OrgB'));
    fA = factories(t.request, A);
    fB = factories(t.request, B);
  });
  afterAll(() => t?.close());

  const nothingWritten = async <T>(attack: () => Promise<T>): Promise<T> => {
    const before = await fingerprint(t.sql);
    const result = await attack();
    expect(await fingerprint(t.sql)).toBe(before);
    return result;
  };

  describe('forged tokens', () => {
    it("root's claims signed with an attacker's key, on a SUPER_ADMIN write (POST /organizations) → 401 UNAUTHORIZED, nothing written", async () => {
      const token = forgeJwt(HS256, claims(rootId, { role: 'SUPER_ADMIN', org: null }), OTHER_SECRET);
      const res = await nothingWritten(() => t.request('POST', '/api/v1/organizations', { token, body: { name: unique('Forged') } }));
      expectError(res, 401, 'UNAUTHORIZED');
    });

    it("an ADMIN's token with its org claim switched to another organization, re-signed with an attacker's key → 401 UNAUTHORIZED", async () => {
      const token = forgeJwt(HS256, claims(A.userIds.ADMIN, { role: 'ADMIN', org: B.id }), OTHER_SECRET);
      expectError(await t.request('GET', '/api/v1/authorizations', { token }), 401, 'UNAUTHORIZED');
    });

    it("an ADMIN's token with its org claim switched to another organization, validly signed → still confined to its own organization (404 on the other's authorization, own list only)", async () => {
      const bAuth = await fB.authorization();
      const aAuth = await fA.authorization();
      const token = forgeJwt(HS256, claims(A.userIds.ADMIN, { role: 'ADMIN', org: B.id }), SECRET);
      expectError(await t.request('GET', `/api/v1/authorizations/${bAuth.id}`, { token }), 404, 'NOT_FOUND');
      const list = await t.request('GET', '/api/v1/authorizations?limit=100', { token });
      expectStatus(list, 200);
      const ids = list.body.items.map((a: { id: string }) => a.id);
      expect(ids).toContain(aAuth.id);
      expect(ids).not.toContain(bAuth.id);
    });

    it('a SUPER_ADMIN-claiming token, validly signed, for a user id that does not exist → 401 UNAUTHORIZED on POST /organizations, nothing written', async () => {
      const token = forgeJwt(HS256, claims(randomUUID(), { role: 'SUPER_ADMIN', org: null }), SECRET);
      const res = await nothingWritten(() => t.request('POST', '/api/v1/organizations', { token, body: { name: unique('Ghost') } }));
      expectError(res, 401, 'UNAUTHORIZED');
    });

    it('a validly signed token of a user deleted from the database (never used before) → 401 UNAUTHORIZED', async () => {
      const user = await fA.user('ADMIN');
      await t.sql.query('delete from users where id = $1', [user.id]);
      const token = forgeJwt(HS256, claims(user.id, { role: 'ADMIN', org: A.id }), SECRET);
      expectError(await t.request('GET', '/api/v1/users', { token }), 401, 'UNAUTHORIZED');
    });

    it.each([
      ['36 dashes', '-'.repeat(36)],
      ['36 zeros (no dashes)', '0'.repeat(36)],
      ['36 hex letters', 'a'.repeat(36)],
      ['dashes in the wrong places', '000-00-0--00-00a0a0aa-----aa---a00a0'],
    ])('a validly signed token whose sub looks like a UUID but is not one (%s) → 401 UNAUTHORIZED, not a 500', async (_label, sub) => {
      const token = forgeJwt(HS256, claims(sub, { role: 'SUPER_ADMIN', org: null }), SECRET);
      expectError(await t.request('GET', '/api/v1/auth/me', { token }), 401, 'UNAUTHORIZED');
    });

    it("HS256 signed with the attacker's key, whose header points at it (jku, x5u, kid, jwk with a symmetric key) → 401 UNAUTHORIZED", async () => {
      const header = {
        ...HS256,
        jku: 'https://attacker.example/jwks.json',
        x5u: 'https://attacker.example/cert.pem',
        kid: '../../../../dev/null',
        jwk: { kty: 'oct', k: Buffer.from(OTHER_SECRET).toString('base64url') },
      };
      const token = forgeJwt(header, claims(rootId, { role: 'SUPER_ADMIN', org: null }), OTHER_SECRET);
      expectError(await t.request('GET', '/api/v1/organizations', { token }), 401, 'UNAUTHORIZED');
    });

    it('HS256 signed with an empty key by a header kid naming nothing ("kid": "") → 401 UNAUTHORIZED', async () => {
      const input = `${Buffer.from(JSON.stringify({ ...HS256, kid: '' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims(rootId))).toString('base64url')}`;
      const token = `${input}.${createHmac('sha256', '').update(input).digest('base64url')}`;
      expectError(await t.request('GET', '/api/v1/organizations', { token }), 401, 'UNAUTHORIZED');
    });

    it.each([
      ['query string ?access_token=', (tok: string) => ({ path: `/api/v1/auth/me?access_token=${tok}`, headers: {} })],
      ['query string ?token=', (tok: string) => ({ path: `/api/v1/auth/me?token=${tok}`, headers: {} })],
      ['a cookie', (tok: string) => ({ path: '/api/v1/auth/me', headers: { cookie: `access_token=${tok}; token=${tok}; Authorization=Bearer%20${tok}` } })],
      ['an X-Access-Token header', (tok: string) => ({ path: '/api/v1/auth/me', headers: { 'x-access-token': tok } })],
    ])("a real token carried anywhere but the Authorization header (%s) → 401 UNAUTHORIZED", async (_label, where) => {
      const { path, headers } = where(root);
      expectError(await t.request('GET', path, { headers }), 401, 'UNAUTHORIZED');
    });
  });

  describe('cross-organization access', () => {
    it("guessing organization B's reservation ids (UUIDv7s of the same millisecond, neighbours of a real id) on GET, consume and release → 404 NOT_FOUND every time, nothing written", async () => {
      const { reservation } = await fB.reservation(4);
      const real: string = reservation.id;
      const hex = real.replace(/-/g, '');
      const asUuid = (h: string) => `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
      const bump = (h: string, delta: bigint) => (BigInt(`0x${h}`) + delta).toString(16).padStart(32, '0');
      const guesses = [
        ...[1n, -1n, 2n, -2n, 16n, -16n, 256n].map((d) => asUuid(bump(hex, d))),
        // Same 48-bit timestamp and version nibble, random tail: how UUIDv7 ids of that millisecond look.
        ...Array.from({ length: 8 }, () => {
          const tail = randomBytes(10).toString('hex');
          return asUuid(`${hex.slice(0, 12)}7${tail.slice(0, 3)}${((parseInt(tail[3], 16) & 0x3) | 0x8).toString(16)}${tail.slice(4, 19)}`);
        }),
        real.toUpperCase(),
      ];
      await nothingWritten(async () => {
        for (const id of guesses) {
          for (const [method, path] of [
            ['GET', `/api/v1/reservations/${id}`],
            ['POST', `/api/v1/reservations/${id}/consume`],
            ['POST', `/api/v1/reservations/${id}/release`],
          ] as const) {
            expectError(await t.request(method, path, { token: A.tokens.PRACTITIONER }), 404, 'NOT_FOUND');
          }
        }
      });
      // The real one, for its own organization, is still SCHEDULED.
      const own = await t.request('GET', `/api/v1/reservations/${real}`, { token: B.tokens.VIEWER });
      expect(own.body).toMatchObject({ id: real, status: 'SCHEDULED', units: 4 });
    });

    it("privilege escalation through PATCH /users/:id on organization B's VIEWER by A's ADMIN ({role: ADMIN}) → 404 NOT_FOUND, B's user unchanged", async () => {
      const victim = await fB.user('VIEWER');
      const before = await dbState(t.sql, { userId: victim.id });
      expectError(await t.request('PATCH', `/api/v1/users/${victim.id}`, { token: A.tokens.ADMIN, body: { role: 'ADMIN' } }), 404, 'NOT_FOUND');
      expect(await dbState(t.sql, { userId: victim.id })).toEqual(before);
    });

    it("A's ADMIN reactivating a user organization B's ADMIN deactivated → 404 NOT_FOUND, still inactive", async () => {
      const victim = await fB.user('PRACTITIONER');
      expectStatus(await t.request('PATCH', `/api/v1/users/${victim.id}`, { token: B.tokens.ADMIN, body: { active: false } }), 200);
      expectError(await t.request('PATCH', `/api/v1/users/${victim.id}`, { token: A.tokens.ADMIN, body: { active: true } }), 404, 'NOT_FOUND');
      expect((await t.sql.query('select active from users where id = $1', [victim.id])).rows).toEqual([{ active: false }]);
    });

    it("A's ADMIN replaying organization B's Idempotency-Key and body on B's authorization → 404 NOT_FOUND, not B's stored answer", async () => {
      const auth = await fB.authorization({ totalUnits: 20 });
      const key = unique('b-key');
      const first = await t.request('POST', `/api/v1/authorizations/${auth.id}/reservations`, { token: B.tokens.ADMIN, body: { units: 3 }, headers: { 'idempotency-key': key } });
      expectStatus(first, 201);
      const replay = await nothingWritten(() =>
        t.request('POST', `/api/v1/authorizations/${auth.id}/reservations`, { token: A.tokens.ADMIN, body: { units: 3 }, headers: { 'idempotency-key': key } }),
      );
      expectError(replay, 404, 'NOT_FOUND');
      expect(replay.headers.get('idempotent-replayed')).toBeNull();
    });
  });

  describe('role escalation', () => {
    it.each([
      ['deactivate', { active: false }],
      ['demote', { role: 'VIEWER' }],
    ])("an ADMIN trying to %s the SUPER_ADMIN (PATCH /users/<root id>) → 404 NOT_FOUND (not in their organization), root unchanged and still signed in", async (_label, change) => {
      const before = await dbState(t.sql, { userId: rootId });
      expectError(await t.request('PATCH', `/api/v1/users/${rootId}`, { token: A.tokens.ADMIN, body: change }), 404, 'NOT_FOUND');
      expect(await dbState(t.sql, { userId: rootId })).toEqual(before);
      expectStatus(await t.request('GET', '/api/v1/organizations', { token: root }), 200);
    });

    it('a SUPER_ADMIN turning an organization user into a SUPER_ADMIN → 400 VALIDATION_FAILED on role (a SUPER_ADMIN belongs to no organization), unchanged', async () => {
      const user = await fA.user('ADMIN');
      const before = await dbState(t.sql, { userId: user.id });
      const res = await t.request('PATCH', `/api/v1/users/${user.id}`, { token: root, body: { role: 'SUPER_ADMIN' } });
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(res.body.fields).toContainEqual(expect.objectContaining({ field: 'role' }));
      expect(await dbState(t.sql, { userId: user.id })).toEqual(before);
    });

    it("a VIEWER replaying an ADMIN's Idempotency-Key and body on POST /authorizations → 403 FORBIDDEN, not the ADMIN's stored 201", async () => {
      const body = { patientId: unique('p'), authNumber: unique('AUTH'), serviceCode: '97153', totalUnits: 10, startDate: dayOffset(-1), endDate: dayOffset(30) };
      const key = unique('admin-key');
      expectStatus(await t.request('POST', '/api/v1/authorizations', { token: A.tokens.ADMIN, body, headers: { 'idempotency-key': key } }), 201);
      const replay = await nothingWritten(() => t.request('POST', '/api/v1/authorizations', { token: A.tokens.VIEWER, body, headers: { 'idempotency-key': key } }));
      expectError(replay, 403, 'FORBIDDEN');
      expect(replay.headers.get('idempotent-replayed')).toBeNull();
    });

    it('a PRACTITIONER creating an ADMIN for themselves (POST /users) → 403 FORBIDDEN, nobody created', async () => {
      const email = uniqueEmail('self-made-admin');
      const res = await nothingWritten(() => t.request('POST', '/api/v1/users', { token: A.tokens.PRACTITIONER, body: { email, password: PASSWORD, role: 'ADMIN' } }));
      expectError(res, 403, 'FORBIDDEN');
    });

    it('an ADMIN creating a SUPER_ADMIN with organizationId null ("no organization") → 400 VALIDATION_FAILED (explicit null is a wrong type), nobody created', async () => {
      const email = uniqueEmail('would-be-root');
      const res = await nothingWritten(() => t.request('POST', '/api/v1/users', { token: A.tokens.ADMIN, body: { email, password: PASSWORD, role: 'SUPER_ADMIN', organizationId: null } }));
      expectError(res, 400, 'VALIDATION_FAILED');
    });
  });

  describe('mass assignment', () => {
    const userBody = () => ({ email: uniqueEmail('mass'), password: PASSWORD, role: 'VIEWER' });
    it.each([
      ['id', () => randomUUID()],
      ['createdAt', () => '2000-01-01T00:00:00.000Z'],
      ['role_id', () => 1],
      ['organization_id', () => B.id],
      ['password_hash', () => '$argon2id$v=19$m=19456,t=2,p=1$AAAA$BBBB'],
      ['isSuperAdmin', () => true],
      ['active', () => true],
      ['emailVerified', () => true],
    ])("ADMIN × POST /users smuggling %s → 400 VALIDATION_FAILED naming it, nobody created", async (field, value) => {
      const body = { ...userBody(), [field]: value() };
      const res = await nothingWritten(() => t.request('POST', '/api/v1/users', { token: A.tokens.ADMIN, body }));
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(res.body.fields).toContainEqual(expect.objectContaining({ field }));
    });

    it.each([
      ['used_units', () => 0],
      ['scheduled_units', () => 0],
      ['total_units', () => 1_000_000],
      ['organization_id', () => B.id],
      ['updatedAt', () => '2000-01-01T00:00:00.000Z'],
      ['createdBy', () => randomUUID()],
      ['ledger', () => [{ type: 'ADJUST', units: 1000 }]],
      ['reservations', () => [{ units: 1, status: 'CONSUMED' }]],
    ])("ADMIN × POST /authorizations smuggling %s → 400 VALIDATION_FAILED naming it, nothing written", async (field, value) => {
      const body = { patientId: unique('p'), authNumber: unique('AUTH'), serviceCode: '97153', totalUnits: 10, startDate: dayOffset(-1), endDate: dayOffset(30), [field]: value() };
      const res = await nothingWritten(() => t.request('POST', '/api/v1/authorizations', { token: A.tokens.ADMIN, body }));
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(res.body.fields).toContainEqual(expect.objectContaining({ field }));
    });

    it.each([
      ['passwordHash', () => '$argon2id$v=19$m=19456,t=2,p=1$AAAA$BBBB'],
      ['id', () => randomUUID()],
      ['createdAt', () => '2000-01-01T00:00:00.000Z'],
      ['organization_id', () => B.id],
    ])("ADMIN × PATCH /users/:id smuggling %s next to a legitimate change → 400 VALIDATION_FAILED naming it, unchanged", async (field, value) => {
      const user = await fA.user('VIEWER');
      const res = await nothingWritten(() => t.request('PATCH', `/api/v1/users/${user.id}`, { token: A.tokens.ADMIN, body: { role: 'PRACTITIONER', [field]: value() } }));
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(res.body.fields).toContainEqual(expect.objectContaining({ field }));
    });

    it.each([
      ['createdAt', () => '2000-01-01T00:00:00.000Z'],
      ['users', () => [{ email: 'x@example.com', role: 'SUPER_ADMIN' }]],
    ])('SUPER_ADMIN × POST /organizations smuggling %s → 400 VALIDATION_FAILED naming it, nothing written', async (field, value) => {
      const res = await nothingWritten(() => t.request('POST', '/api/v1/organizations', { token: root, body: { name: unique('Org'), [field]: value() } }));
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(res.body.fields).toContainEqual(expect.objectContaining({ field }));
    });

    it.each([
      ['usedUnits', () => 0],
      ['scheduledUnits', () => 0],
      ['status', () => 'RELEASED'],
    ])('PRACTITIONER × POST /reservations/:id/consume smuggling %s → 400 VALIDATION_FAILED naming it, nothing written', async (field, value) => {
      const { reservation } = await fA.reservation(4);
      const res = await nothingWritten(() => t.request('POST', `/api/v1/reservations/${reservation.id}/consume`, { token: A.tokens.PRACTITIONER, body: { units: 1, [field]: value() } }));
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(res.body.fields).toContainEqual(expect.objectContaining({ field }));
    });
  });

  describe('deactivated user', () => {
    it("a deactivated PRACTITIONER repeating an Idempotency-Key that already succeeded → 401 UNAUTHORIZED, not the stored 201 replayed", async () => {
      const user = await fA.user('PRACTITIONER');
      const token = await login(t.request, user.email, user.password);
      const auth = await fA.authorization({ totalUnits: 20 });
      const key = unique('k');
      expectStatus(await t.request('POST', `/api/v1/authorizations/${auth.id}/reservations`, { token, body: { units: 2 }, headers: { 'idempotency-key': key } }), 201);
      expectStatus(await t.request('PATCH', `/api/v1/users/${user.id}`, { token: A.tokens.ADMIN, body: { active: false } }), 200);
      const replay = await nothingWritten(() => t.request('POST', `/api/v1/authorizations/${auth.id}/reservations`, { token, body: { units: 2 }, headers: { 'idempotency-key': key } }));
      expectError(replay, 401, 'UNAUTHORIZED');
      expect(replay.headers.get('idempotent-replayed')).toBeNull();
    });

    it('a deactivated ADMIN cannot reactivate themselves, create a user, or change an authorization with their old token → 401 UNAUTHORIZED each, nothing written', async () => {
      const admin = await fA.user('ADMIN');
      const token = await login(t.request, admin.email, admin.password);
      const auth = await fA.authorization();
      expectStatus(await t.request('PATCH', `/api/v1/users/${admin.id}`, { token: A.tokens.ADMIN, body: { active: false } }), 200);
      await nothingWritten(async () => {
        expectError(await t.request('PATCH', `/api/v1/users/${admin.id}`, { token, body: { active: true } }), 401, 'UNAUTHORIZED');
        expectError(await t.request('POST', '/api/v1/users', { token, body: { email: uniqueEmail('backdoor'), password: PASSWORD, role: 'ADMIN' } }), 401, 'UNAUTHORIZED');
        expectError(await t.request('PATCH', `/api/v1/authorizations/${auth.id}`, { token, body: { totalUnits: 999 } }), 401, 'UNAUTHORIZED');
        expectError(await t.request('DELETE', `/api/v1/authorizations/${auth.id}`, { token }), 401, 'UNAUTHORIZED');
      });
    });

    it("a deactivated user's token re-signed by hand with the right key and fresh claims → 401 UNAUTHORIZED (the user, not the token, is refused)", async () => {
      const user = await fA.user('VIEWER');
      expectStatus(await t.request('PATCH', `/api/v1/users/${user.id}`, { token: A.tokens.ADMIN, body: { active: false } }), 200);
      const token = forgeJwt(HS256, claims(user.id, { role: 'ADMIN', org: A.id, iat: now(), exp: now() + 900 }), SECRET);
      expectError(await t.request('GET', '/api/v1/authorizations', { token }), 401, 'UNAUTHORIZED');
    });
  });
});

describe('attack catalogue: login brute force (default limit of 10 logins per 15 minutes per email and client IP)', () => {
  let t: TestApp;
  let victim: { email: string; password: string };

  beforeAll(async () => {
    t = await startTestApp({ JWT_SECRET: SECRET });
    const org = await createOrg(t.request, await rootToken(t.request));
    const email = uniqueEmail('victim');
    expectStatus(await t.request('POST', '/api/v1/users', { token: org.tokens.ADMIN, body: { email, password: PASSWORD, role: 'ADMIN' } }), 201);
    victim = { email, password: PASSWORD };
  });
  afterAll(() => t?.close());

  it('10 wrong passwords, then the right one → ten 401 INVALID_CREDENTIALS, then 429 RATE_LIMITED with Retry-After (no token)', async () => {
    for (let i = 0; i < 10; i++) {
      expectError(await t.request('POST', '/api/v1/auth/login', { body: { email: victim.email, password: `guess-${i}-password` } }), 401, 'INVALID_CREDENTIALS');
    }
    const right = await t.request('POST', '/api/v1/auth/login', { body: victim });
    expectRateLimited(right, 15 * 60);
    expect(right.body).not.toHaveProperty('accessToken');
  });

  it('the same guesses spread over case and white-space variants of the email count against one limit → the 11th is 429', async () => {
    const email = uniqueEmail('variants');
    const variants = [email, email.toUpperCase(), ` ${email}`, `${email} `, `\t${email}`, email.replace(/^./, (c) => c.toUpperCase())];
    for (let i = 0; i < 10; i++) {
      expectError(await t.request('POST', '/api/v1/auth/login', { body: { email: variants[i % variants.length], password: 'wrong-password-1' } }), 401, 'INVALID_CREDENTIALS');
    }
    expectRateLimited(await t.request('POST', '/api/v1/auth/login', { body: { email, password: 'wrong-password-1' } }), 15 * 60);
  });

  it('X-Forwarded-For, X-Real-IP and Forwarded headers do not reset the per-(email, IP) limit (the service trusts no proxy) → 429', async () => {
    for (const headers of [{ 'x-forwarded-for': '203.0.113.7' }, { 'x-real-ip': '198.51.100.9' }, { forwarded: 'for=192.0.2.60;proto=https' }, { 'x-forwarded-for': '127.0.0.2, 10.0.0.1' }] as Record<string, string>[]) {
      expectRateLimited(await t.request('POST', '/api/v1/auth/login', { body: victim, headers }), 15 * 60);
    }
  });
});

describe('attack catalogue: anonymous traffic from one IP (RATE_LIMIT_ANON_PER_MINUTE=20)', () => {
  const LIMIT = 20;
  let t: TestApp;

  beforeEach(async () => {
    // A fresh instance per attack: the per-IP budget (one minute) starts full.
    t = await startTestApp({ JWT_SECRET: SECRET, RATE_LIMIT_ANON_PER_MINUTE: String(LIMIT) });
  });
  afterEach(() => t?.close());

  it(`password spraying over ${LIMIT + 1} different emails from one IP → ${LIMIT} × 401 INVALID_CREDENTIALS, then 429 RATE_LIMITED with Retry-After`, async () => {
    for (let i = 0; i < LIMIT; i++) {
      expectError(await t.request('POST', '/api/v1/auth/login', { body: { email: `spray-${i}@example.com`, password: 'Summer2026!!' } }), 401, 'INVALID_CREDENTIALS');
    }
    expectRateLimited(await t.request('POST', '/api/v1/auth/login', { body: { email: `spray-${LIMIT}@example.com`, password: 'Summer2026!!' } }), 60);
  });

  it('once limited, X-Forwarded-For / X-Real-IP / Forwarded with other addresses do not change the key → still 429', async () => {
    for (let i = 0; i < LIMIT; i++) await t.request('POST', '/api/v1/auth/login', { body: { email: `xff-${i}@example.com`, password: 'Summer2026!!' } });
    for (const [i, headers] of ([{ 'x-forwarded-for': '203.0.113.7' }, { 'x-real-ip': '198.51.100.9' }, { forwarded: 'for=192.0.2.60' }, { 'x-forwarded-for': `10.${randomBytes(1)[0]}.0.1` }] as Record<string, string>[]).entries()) {
      expectRateLimited(await t.request('POST', '/api/v1/auth/login', { body: { email: `xff-next-${i}@example.com`, password: 'Summer2026!!' }, headers }), 60);
    }
  });

  it(`token guessing: ${LIMIT + 1} requests with forged bearer tokens from one IP → ${LIMIT} × 401 UNAUTHORIZED, then 429 RATE_LIMITED (unauthenticated traffic is limited per IP)`, async () => {
    const guess = () => forgeJwt(HS256, claims(randomUUID(), { role: 'SUPER_ADMIN', org: null }), randomBytes(32).toString('hex'));
    for (let i = 0; i < LIMIT; i++) expectError(await t.request('GET', '/api/v1/organizations', { token: guess() }), 401, 'UNAUTHORIZED');
    expectRateLimited(await t.request('GET', '/api/v1/organizations', { token: guess() }), 60);
  });

  it('an authenticated user is not affected by the anonymous budget of the same IP being spent (per-user key) → 200', async () => {
    const root = await rootToken(t.request);
    for (let i = 0; i < LIMIT; i++) await t.request('POST', '/api/v1/auth/login', { body: { email: `other-${i}@example.com`, password: 'Summer2026!!' } });
    expectRateLimited(await t.request('POST', '/api/v1/auth/login', { body: { email: 'one-more@example.com', password: 'Summer2026!!' } }), 60);
    expectStatus(await t.request('GET', '/api/v1/auth/me', { token: root }), 200);
  });
});
