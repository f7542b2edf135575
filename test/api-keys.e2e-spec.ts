// SPEC §11 "Machine clients" (issue 15 point 5): API keys made by an ADMIN, `ul_…` shown once and
// stored as a SHA-256, acting with their role in their organization through a second Passport
// strategy, never above their creator's role, rate limited per key like a user, with `lastUsedAt`,
// and refused at once on every instance when DELETEd. Exact outcomes, on a real PostgreSQL.
import { createHash, randomBytes } from 'node:crypto';
import { HttpResult } from './helpers/http';
import { expectError, factories, unique } from './helpers/routes';
import { startTestApp, TestApp } from './helpers/test-app';
import { createAuthorization, createOrg, login, OrgWorld, PASSWORD, rootToken } from './helpers/world';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const API_KEY = /^ul_[A-Za-z0-9_-]{43}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

let t: TestApp;
let root: string;
let A: OrgWorld;
let B: OrgWorld;

type KeyRole = 'ADMIN' | 'PRACTITIONER' | 'VIEWER';

const create = (token: string, body: Record<string, unknown>, app: TestApp = t) => app.request('POST', '/api/v1/api-keys', { token, body });
async function newKey(role: KeyRole, org: OrgWorld = A, app: TestApp = t): Promise<{ id: string; key: string; name: string }> {
  const name = unique(`key-${role}`);
  const res = await create(org.tokens.ADMIN, { name, role }, app);
  if (res.status !== 201) throw new Error(`create key → ${res.status} ${res.text}`);
  return { id: res.body.id, key: res.body.key, name };
}
const me = (key: string, app: TestApp = t) => app.request('GET', '/api/v1/auth/me', { token: key });
const keyRows = async () => (await t.sql.query('select count(*)::int as n from api_keys')).rows[0].n as number;

beforeAll(async () => {
  t = await startTestApp();
  root = await rootToken(t.request);
  A = await createOrg(t.request, root);
  B = await createOrg(t.request, root);
});
afterAll(() => t.close());

describe('creating a key', () => {
  it('ADMIN: 201 with the key, shown this once; only its SHA-256 is stored; the list never shows it', async () => {
    const name = unique('scheduler');
    const res = await create(A.tokens.ADMIN, { name, role: 'PRACTITIONER' });
    expect({ status: res.status, body: res.body }).toEqual({
      status: 201,
      body: {
        id: expect.any(String),
        name,
        role: 'PRACTITIONER',
        organizationId: A.id,
        createdBy: A.userIds.ADMIN,
        createdAt: expect.stringMatching(ISO),
        lastUsedAt: null,
        key: expect.stringMatching(API_KEY),
      },
    });
    const key = res.body.key as string;
    const rows = await t.sql.query('select key_hash, role, organization_id, created_by from api_keys where id = $1', [res.body.id]);
    expect(rows.rows).toEqual([{ key_hash: sha256(key), role: 'PRACTITIONER', organization_id: A.id, created_by: A.userIds.ADMIN }]);
    for (const table of ['api_keys', 'idempotency_keys']) {
      const found = await t.sql.query(`select count(*)::int as n from ${table} x where strpos(x::text, $1) > 0`, [key.slice(3)]);
      expect({ table, n: found.rows[0].n }).toEqual({ table, n: 0 });
    }

    const list = await t.request('GET', '/api/v1/api-keys', { token: A.tokens.ADMIN });
    expect(list.status).toBe(200);
    expect(list.body.items.find((k: { id: string }) => k.id === res.body.id)).toEqual({
      id: res.body.id,
      name,
      role: 'PRACTITIONER',
      organizationId: A.id,
      createdBy: A.userIds.ADMIN,
      createdAt: res.body.createdAt,
      lastUsedAt: null,
    });
    expect(list.text).not.toContain(key.slice(3));
  });

  it.each([
    ['ADMIN × role SUPER_ADMIN (above the creator)', 403, 'FORBIDDEN', () => A.tokens.ADMIN, () => ({ role: 'SUPER_ADMIN' })],
    ['ADMIN × another organization\'s organizationId', 403, 'FORBIDDEN', () => A.tokens.ADMIN, () => ({ role: 'VIEWER', organizationId: B.id })],
    ['PRACTITIONER', 403, 'FORBIDDEN', () => A.tokens.PRACTITIONER, () => ({ role: 'VIEWER' })],
    ['VIEWER', 403, 'FORBIDDEN', () => A.tokens.VIEWER, () => ({ role: 'VIEWER' })],
    ['SUPER_ADMIN × role SUPER_ADMIN (a key belongs to one organization)', 400, 'VALIDATION_FAILED', () => root, () => ({ role: 'SUPER_ADMIN', organizationId: A.id })],
    ['SUPER_ADMIN without organizationId', 400, 'VALIDATION_FAILED', () => root, () => ({ role: 'VIEWER' })],
    ['SUPER_ADMIN × an organization that does not exist', 404, 'NOT_FOUND', () => root, () => ({ role: 'VIEWER', organizationId: '0190d6a2-0000-7000-8000-000000000000' })],
    ['ADMIN × role OWNER (not a role)', 400, 'VALIDATION_FAILED', () => A.tokens.ADMIN, () => ({ role: 'OWNER' })],
  ] as const)('%s → %i %s, no key made', async (_label, status, code, token, body) => {
    const before = await keyRows();
    expectError(await create(token(), { name: unique('refused'), ...body() }), status, code);
    expect(await keyRows()).toBe(before);
  });

  it('an API key (even an ADMIN one) may not create API keys: 403, no key made', async () => {
    const { key } = await newKey('ADMIN');
    const before = await keyRows();
    expectError(await create(key, { name: unique('minted'), role: 'VIEWER' }), 403, 'FORBIDDEN');
    expect(await keyRows()).toBe(before);
  });

  it('a SUPER_ADMIN makes a key for the organization it names; the key acts there as ADMIN', async () => {
    const res = await create(root, { name: unique('root-made'), role: 'ADMIN', organizationId: B.id });
    expect([res.status, res.body.organizationId, res.body.role]).toEqual([201, B.id, 'ADMIN']);
    const auth = await createAuthorization(t.request, res.body.key);
    expect(auth.organizationId).toBe(B.id);
  });
});

describe('using a key: Authorization: Bearer ul_…', () => {
  it('acts with its role in its organization; /auth/me names the creator and the key', async () => {
    const viewer = await newKey('VIEWER');
    const whoAmI = await me(viewer.key);
    expect({ status: whoAmI.status, body: whoAmI.body }).toEqual({
      status: 200,
      body: { id: A.userIds.ADMIN, email: expect.any(String), role: 'VIEWER', organizationId: A.id, apiKeyId: viewer.id },
    });
    expect((await t.request('GET', '/api/v1/authorizations', { token: viewer.key })).status).toBe(200);
    expectError(await createAuthorizationAs(viewer.key), 403, 'FORBIDDEN');
    expectError(await t.request('GET', '/api/v1/users', { token: viewer.key }), 403, 'FORBIDDEN');

    const practitioner = await newKey('PRACTITIONER');
    const auth = await createAuthorization(t.request, A.tokens.ADMIN);
    const reserved = await t.request('POST', `/api/v1/authorizations/${auth.id}/reservations`, { token: practitioner.key, body: { units: 3 } });
    expect([reserved.status, reserved.body.reservation?.createdBy]).toEqual([201, A.userIds.ADMIN]);
    expectError(await createAuthorizationAs(practitioner.key), 403, 'FORBIDDEN');

    const admin = await newKey('ADMIN');
    expect((await createAuthorizationAs(admin.key)).status).toBe(201);
  });

  it('unknown, malformed and look-alike keys are 401 UNAUTHORIZED', async () => {
    const { key } = await newKey('VIEWER');
    for (const bad of [`ul_${randomBytes(32).toString('base64url')}`, 'ul_short', `${key}x`, key.slice(0, -1), key.toUpperCase(), `ul_${'A'.repeat(43)}`]) {
      expectError(await me(bad), 401, 'UNAUTHORIZED');
    }
    expect((await me(key)).status).toBe(200);
  });

  it('an Idempotency-Key is the key\'s own: its creator sending the same key and body is not answered with the machine\'s reservation', async () => {
    const practitioner = await newKey('PRACTITIONER');
    const auth = await createAuthorization(t.request, A.tokens.ADMIN);
    const headers = { 'idempotency-key': unique('idem') };
    const path = `/api/v1/authorizations/${auth.id}/reservations`;
    const byKey = await t.request('POST', path, { token: practitioner.key, body: { units: 2 }, headers });
    const byCreator = await t.request('POST', path, { token: A.tokens.ADMIN, body: { units: 2 }, headers });
    const replay = await t.request('POST', path, { token: practitioner.key, body: { units: 2 }, headers });
    expect([byKey.status, byCreator.status, replay.status, replay.headers.get('idempotent-replayed')]).toEqual([201, 201, 201, 'true']);
    expect(byCreator.body.reservation.id).not.toBe(byKey.body.reservation.id);
    expect(replay.body.reservation.id).toBe(byKey.body.reservation.id);
  });

  it('stops working when its creator is deactivated (and stays stopped after reactivation), or when the creator\'s role changes', async () => {
    const f = factories(t.request, A);
    const creator = await f.user('ADMIN');
    const creatorToken = await login(t.request, creator.email, PASSWORD);
    const made = await create(creatorToken, { name: unique('creator-bound'), role: 'VIEWER' });
    expect((await me(made.body.key)).status).toBe(200);
    expect((await t.request('PATCH', `/api/v1/users/${creator.id}`, { token: A.tokens.ADMIN, body: { active: false } })).status).toBe(200);
    expectError(await me(made.body.key), 401, 'UNAUTHORIZED');
    expect((await t.request('PATCH', `/api/v1/users/${creator.id}`, { token: A.tokens.ADMIN, body: { active: true } })).status).toBe(200);
    expectError(await me(made.body.key), 401, 'UNAUTHORIZED');

    const demoted = await f.user('ADMIN');
    const second = await create(await login(t.request, demoted.email, PASSWORD), { name: unique('demoted'), role: 'VIEWER' });
    expect((await me(second.body.key)).status).toBe(200);
    expect((await t.request('PATCH', `/api/v1/users/${demoted.id}`, { token: A.tokens.ADMIN, body: { role: 'VIEWER' } })).status).toBe(200);
    expectError(await me(second.body.key), 401, 'UNAUTHORIZED');
  });
});

async function createAuthorizationAs(token: string): Promise<HttpResult> {
  return t.request('POST', '/api/v1/authorizations', {
    token,
    body: { patientId: 'p-1', authNumber: unique('AUTH'), serviceCode: '97153', totalUnits: 10, startDate: '2026-01-01', endDate: '2027-12-31' },
  });
}

describe('a key of role R is answered exactly as a user of role R', () => {
  type Probe = [string, () => Promise<{ method: string; path: string; body?: unknown }>];
  const PROBES: Probe[] = [
    ['GET /auth/me', async () => ({ method: 'GET', path: '/api/v1/auth/me' })],
    ['GET /authorizations', async () => ({ method: 'GET', path: '/api/v1/authorizations' })],
    ['POST /authorizations', async () => ({ method: 'POST', path: '/api/v1/authorizations', body: { patientId: 'p', authNumber: unique('AUTH'), serviceCode: '97153', totalUnits: 5, startDate: '2026-01-01', endDate: '2027-12-31' } })],
    ['POST /authorizations/:id/reservations', async () => ({ method: 'POST', path: `/api/v1/authorizations/${(await createAuthorization(t.request, A.tokens.ADMIN)).id}/reservations`, body: { units: 1 } })],
    ['DELETE /authorizations/:id', async () => ({ method: 'DELETE', path: `/api/v1/authorizations/${(await createAuthorization(t.request, A.tokens.ADMIN)).id}` })],
    ['GET /users', async () => ({ method: 'GET', path: '/api/v1/users' })],
    ['POST /users', async () => ({ method: 'POST', path: '/api/v1/users', body: { email: `${unique('u')}@example.com`, password: PASSWORD, role: 'VIEWER' } })],
    ['GET /organizations', async () => ({ method: 'GET', path: '/api/v1/organizations' })],
    ['GET /organizations/:id', async () => ({ method: 'GET', path: `/api/v1/organizations/${A.id}` })],
    ['GET /api-keys', async () => ({ method: 'GET', path: '/api/v1/api-keys' })],
    ['GET /utilization', async () => ({ method: 'GET', path: '/api/v1/utilization' })],
    ['GET /events', async () => ({ method: 'GET', path: '/api/v1/events' })],
  ];
  const ROLES: KeyRole[] = ['ADMIN', 'PRACTITIONER', 'VIEWER'];
  let keys: Record<KeyRole, string>;
  beforeAll(async () => {
    keys = {} as Record<KeyRole, string>;
    for (const role of ROLES) keys[role] = (await newKey(role)).key;
  });

  // The statuses of SPEC §5's "who" column, for ADMIN, PRACTITIONER and VIEWER.
  const EXPECTED: Record<string, [number, number, number]> = {
    'GET /auth/me': [200, 200, 200],
    'GET /authorizations': [200, 200, 200],
    'POST /authorizations': [201, 403, 403],
    'POST /authorizations/:id/reservations': [201, 201, 403],
    'DELETE /authorizations/:id': [204, 403, 403],
    'GET /users': [200, 403, 403],
    'POST /users': [201, 403, 403],
    'GET /organizations': [403, 403, 403],
    'GET /organizations/:id': [200, 403, 403],
    'GET /api-keys': [200, 403, 403],
    'GET /utilization': [200, 200, 200],
    'GET /events': [200, 403, 200],
  };

  it.each(ROLES.flatMap((role) => PROBES.map(([name, call]) => [role, name, EXPECTED[name][ROLES.indexOf(role)], call] as const)))('%s key × %s → %i, as the user', async (role, _name, status, call) => {
    const asUser = await call();
    const byUser = await t.request(asUser.method, asUser.path, { token: A.tokens[role], body: asUser.body });
    const asKey = await call();
    const byKey = await t.request(asKey.method, asKey.path, { token: keys[role], body: asKey.body });
    expect({ status: byKey.status, code: byKey.body?.code }).toEqual({ status: byUser.status, code: byUser.body?.code });
    expect(byKey.status).toBe(status);
  });
});

describe('organizations are isolated', () => {
  it('B sees none of A\'s keys and cannot revoke them (404); A\'s key reads only A\'s objects (404 on B\'s)', async () => {
    const aKey = await newKey('ADMIN', A);
    const bKey = await newKey('ADMIN', B);
    const bList = await t.request('GET', '/api/v1/api-keys', { token: B.tokens.ADMIN });
    expect(bList.body.items.map((k: { organizationId: string }) => k.organizationId).every((o: string) => o === B.id)).toBe(true);
    expect(bList.body.items.map((k: { id: string }) => k.id)).toContain(bKey.id);
    expect(bList.body.items.map((k: { id: string }) => k.id)).not.toContain(aKey.id);
    // B's own key lists B's keys only too.
    expect((await t.request('GET', '/api/v1/api-keys', { token: bKey.key })).body.items.map((k: { id: string }) => k.id)).not.toContain(aKey.id);

    expectError(await t.request('DELETE', `/api/v1/api-keys/${aKey.id}`, { token: B.tokens.ADMIN }), 404, 'NOT_FOUND');
    expectError(await t.request('DELETE', `/api/v1/api-keys/${aKey.id}`, { token: bKey.key }), 404, 'NOT_FOUND');
    expect((await me(aKey.key)).status).toBe(200);

    const bAuth = await createAuthorization(t.request, B.tokens.ADMIN);
    expectError(await t.request('GET', `/api/v1/authorizations/${bAuth.id}`, { token: aKey.key }), 404, 'NOT_FOUND');
    expectError(await t.request('POST', `/api/v1/authorizations/${bAuth.id}/reservations`, { token: aKey.key, body: { units: 1 } }), 404, 'NOT_FOUND');
    const aList = await t.request('GET', '/api/v1/authorizations?limit=100', { token: aKey.key });
    expect(aList.body.items.every((a: { organizationId: string }) => a.organizationId === A.id)).toBe(true);
  });

  it('a SUPER_ADMIN lists every organization\'s keys, or one organization\'s with ?organizationId=; an ADMIN may not use that filter (400)', async () => {
    const aKey = await newKey('VIEWER', A);
    const bKey = await newKey('VIEWER', B);
    const all = (await t.request('GET', '/api/v1/api-keys', { token: root })).body.items.map((k: { id: string }) => k.id);
    expect(all).toEqual(expect.arrayContaining([aKey.id, bKey.id]));
    const onlyB = (await t.request('GET', `/api/v1/api-keys?organizationId=${B.id}`, { token: root })).body.items;
    expect(onlyB.map((k: { id: string }) => k.id)).toContain(bKey.id);
    expect(onlyB.every((k: { organizationId: string }) => k.organizationId === B.id)).toBe(true);
    expectError(await t.request('GET', `/api/v1/api-keys?organizationId=${A.id}`, { token: A.tokens.ADMIN }), 400, 'VALIDATION_FAILED');
  });
});

describe('revocation', () => {
  it('DELETE on instance A: the very next request with the key on instance B (same database) is 401; a second DELETE is 404', async () => {
    const other = await startTestApp({}, t.databaseUrl);
    try {
      const { id, key } = await newKey('PRACTITIONER');
      // Instance B has seen and accepted the key (any cache it kept would hold it now).
      expect((await me(key, other)).status).toBe(200);
      expect((await other.request('GET', '/api/v1/authorizations', { token: key })).status).toBe(200);

      const deleted = await t.request('DELETE', `/api/v1/api-keys/${id}`, { token: A.tokens.ADMIN });
      expect([deleted.status, deleted.text]).toEqual([204, '']);
      expectError(await me(key, other), 401, 'UNAUTHORIZED');
      expectError(await me(key), 401, 'UNAUTHORIZED');
      expect((await t.sql.query('select count(*)::int as n from api_keys where id = $1', [id])).rows[0].n).toBe(0);
      expectError(await t.request('DELETE', `/api/v1/api-keys/${id}`, { token: A.tokens.ADMIN }), 404, 'NOT_FOUND');
    } finally {
      await other.close({ integrity: false });
    }
  });

  it('a key may revoke itself; its next request is 401', async () => {
    const { id, key } = await newKey('ADMIN');
    expect((await t.request('DELETE', `/api/v1/api-keys/${id}`, { token: key })).status).toBe(204);
    expectError(await me(key), 401, 'UNAUTHORIZED');
  });

  it('PRACTITIONER and VIEWER may not revoke (403), the key keeps working; a path id that is not a UUID is 404', async () => {
    const { id, key } = await newKey('VIEWER');
    expectError(await t.request('DELETE', `/api/v1/api-keys/${id}`, { token: A.tokens.PRACTITIONER }), 403, 'FORBIDDEN');
    expectError(await t.request('DELETE', `/api/v1/api-keys/${id}`, { token: A.tokens.VIEWER }), 403, 'FORBIDDEN');
    expect((await me(key)).status).toBe(200);
    expectError(await t.request('DELETE', '/api/v1/api-keys/not-a-uuid', { token: A.tokens.ADMIN }), 404, 'NOT_FOUND');
  });
});

describe('lastUsedAt', () => {
  const lastUsed = async (id: string) => (await t.request('GET', '/api/v1/api-keys', { token: A.tokens.ADMIN })).body.items.find((k: { id: string }) => k.id === id).lastUsedAt;

  it('null until the first use; set by it; not written again within a minute; written again once the last write is a minute old', async () => {
    const { id, key } = await newKey('VIEWER');
    expect(await lastUsed(id)).toBeNull();
    expect((await me(key)).status).toBe(200);
    const first = await lastUsed(id);
    expect(first).toMatch(ISO);
    for (let i = 0; i < 5; i++) expect((await me(key)).status).toBe(200);
    expect(await lastUsed(id)).toBe(first);
    // Age the last write by two minutes (as if the key had been idle), then use the key once.
    const aged = await t.sql.query(
      `update api_keys set last_used_at = last_used_at - interval '2 minutes' where id = $1 returning to_char(last_used_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at`,
      [id],
    );
    expect(await lastUsed(id)).toBe(aged.rows[0].at);
    expect((await me(key)).status).toBe(200);
    const second = await lastUsed(id);
    expect(second > aged.rows[0].at).toBe(true);
    expect(second >= first).toBe(true);
  });

  it('20 concurrent requests with a key never used write lastUsedAt, all 200', async () => {
    const { id, key } = await newKey('VIEWER');
    const results = await Promise.all(Array.from({ length: 20 }, () => me(key)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(await lastUsed(id)).toMatch(ISO);
  });
});

describe('rate limited per key, like a user (RATE_LIMIT_USER_PER_MINUTE=5)', () => {
  let small: TestApp;
  let org: OrgWorld;
  beforeAll(async () => {
    small = await startTestApp({ RATE_LIMIT_USER_PER_MINUTE: '5' });
    org = await createOrg(small.request, await rootToken(small.request));
  });
  afterAll(() => small.close());

  it('a key\'s 6th request of the minute is 429 with Retry-After; another key of the same creator, and the creator, have budgets of their own', async () => {
    const first = await newKey('VIEWER', org, small);
    const second = await newKey('VIEWER', org, small);
    const remaining: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await me(first.key, small);
      expect(res.status).toBe(200);
      remaining.push(res.headers.get('ratelimit')!);
    }
    expect(remaining).toEqual([4, 3, 2, 1, 0].map((r) => expect.stringMatching(new RegExp(`^"user";r=${r};t=\\d+$`))));
    const sixth = await me(first.key, small);
    expectError(sixth, 429, 'RATE_LIMITED');
    expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    const other = await me(second.key, small);
    expect([other.status, other.headers.get('ratelimit')]).toEqual([200, expect.stringMatching(/^"user";r=4;t=\d+$/)]);
    // The creator (org.tokens.ADMIN) made two keys (2 requests) and is still within its own 5.
    expect((await small.request('GET', '/api/v1/api-keys', { token: org.tokens.ADMIN })).status).toBe(200);
  });
});
