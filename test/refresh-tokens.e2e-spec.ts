// SPEC §11 "People's sessions" (issue 15 point 6): login also returns a refresh token; POST
// /auth/refresh rotates it; a refresh token used twice is refused and revokes its whole family
// (every token descended from the same login); POST /auth/logout revokes; only the SHA-256 is
// stored; REFRESH_TOKEN_TTL sets the lifetime. Exact outcomes, on a real PostgreSQL.
import { createHash, randomBytes } from 'node:crypto';
import { HttpResult } from './helpers/http';
import { expectError, factories } from './helpers/routes';
import { ROOT_EMAIL, ROOT_PASSWORD, startTestApp, TestApp } from './helpers/test-app';
import { createOrg, OrgWorld, rootToken } from './helpers/world';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const REFRESH_TOKEN = /^ulr_[A-Za-z0-9_-]{43}$/;
const wellFormedUnknown = () => `ulr_${randomBytes(32).toString('base64url')}`;

let t: TestApp;
let org: OrgWorld;
let f: ReturnType<typeof factories>;

const login = (email: string, password: string) => t.request('POST', '/api/v1/auth/login', { body: { email, password } });
const refresh = (refreshToken: unknown, app: TestApp = t) => app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken } });
const logout = (refreshToken: unknown, app: TestApp = t) => app.request('POST', '/api/v1/auth/logout', { body: { refreshToken } });
const me = (token: string) => t.request('GET', '/api/v1/auth/me', { token });
const refused = (res: HttpResult) => expectError(res, 401, 'INVALID_REFRESH_TOKEN');
/** The rows of one family, oldest first: which are used and which revoked. */
const family = async (refreshToken: string) =>
  (
    await t.sql.query(
      `select used_at is not null as used, revoked_at is not null as revoked from refresh_tokens
       where family_id = (select family_id from refresh_tokens where token_hash = $1) order by created_at, id`,
      [sha256(refreshToken)],
    )
  ).rows;

async function freshUser(role: 'ADMIN' | 'PRACTITIONER' | 'VIEWER' = 'VIEWER') {
  const user = await f.user(role);
  const res = await login(user.email, user.password);
  expect(res.status).toBe(200);
  return { ...user, accessToken: res.body.accessToken as string, refreshToken: res.body.refreshToken as string };
}

beforeAll(async () => {
  t = await startTestApp();
  org = await createOrg(t.request, await rootToken(t.request));
  f = factories(t.request, org);
});
afterAll(() => t.close());

describe('login', () => {
  it('answers the access token as before plus a refresh token and its lifetime (REFRESH_TOKEN_TTL, 30 days by default)', async () => {
    const res = await login(ROOT_EMAIL, ROOT_PASSWORD);
    expect({ status: res.status, body: res.body }).toEqual({
      status: 200,
      body: { accessToken: expect.any(String), tokenType: 'Bearer', expiresIn: 900, refreshToken: expect.stringMatching(REFRESH_TOKEN), refreshExpiresIn: 30 * 86_400 },
    });
  });

  it('stores the SHA-256 of the token, never the token; it expires exactly REFRESH_TOKEN_TTL after it was issued', async () => {
    const { refreshToken, id } = await freshUser();
    const rows = await t.sql.query(
      `select token_hash, extract(epoch from expires_at - created_at)::int as lifetime, used_at, revoked_at from refresh_tokens where user_id = $1`,
      [id],
    );
    expect(rows.rows).toEqual([{ token_hash: sha256(refreshToken), lifetime: 30 * 86_400, used_at: null, revoked_at: null }]);
    const anywhere = await t.sql.query(`select count(*)::int as n from refresh_tokens t where strpos(t::text, $1) > 0`, [refreshToken.slice(4)]);
    expect(anywhere.rows[0].n).toBe(0);
  });

  it('a refresh token is not an access token: as a bearer token it is 401', async () => {
    const { refreshToken } = await freshUser();
    expectError(await me(refreshToken), 401, 'UNAUTHORIZED');
  });
});

describe('rotation', () => {
  it('refresh answers like login with a new pair; the new access token works, the new refresh token refreshes again', async () => {
    const user = await freshUser('PRACTITIONER');
    const first = await refresh(user.refreshToken);
    expect({ status: first.status, body: first.body }).toEqual({
      status: 200,
      body: { accessToken: expect.any(String), tokenType: 'Bearer', expiresIn: 900, refreshToken: expect.stringMatching(REFRESH_TOKEN), refreshExpiresIn: 30 * 86_400 },
    });
    expect(first.body.refreshToken).not.toBe(user.refreshToken);
    const whoAmI = await me(first.body.accessToken);
    expect({ status: whoAmI.status, body: whoAmI.body }).toEqual({ status: 200, body: { id: user.id, email: user.email, role: 'PRACTITIONER', organizationId: org.id } });

    const second = await refresh(first.body.refreshToken);
    expect(second.status).toBe(200);
    expect(await family(second.body.refreshToken)).toEqual([
      { used: true, revoked: false },
      { used: true, revoked: false },
      { used: false, revoked: false },
    ]);
  });

  it('a SUPER_ADMIN refreshes too', async () => {
    const res = await refresh((await login(ROOT_EMAIL, ROOT_PASSWORD)).body.refreshToken);
    expect(res.status).toBe(200);
    expect((await me(res.body.accessToken)).body).toMatchObject({ role: 'SUPER_ADMIN', organizationId: null });
  });
});

describe('reuse detection', () => {
  it('an already rotated token presented again is 401 and revokes its whole family: the newest token of that login is refused too; another login of the same user is untouched', async () => {
    const user = await freshUser();
    const other = (await login(user.email, user.password)).body.refreshToken as string;
    const r2 = (await refresh(user.refreshToken)).body.refreshToken as string;
    const r3 = (await refresh(r2)).body.refreshToken as string;

    refused(await refresh(user.refreshToken));
    expect(await family(r3)).toEqual([
      { used: true, revoked: true },
      { used: true, revoked: true },
      { used: false, revoked: true },
    ]);
    refused(await refresh(r3));
    refused(await refresh(r2));

    const otherRotated = await refresh(other);
    expect(otherRotated.status).toBe(200);
    expect(await family(otherRotated.body.refreshToken)).toEqual([
      { used: true, revoked: false },
      { used: false, revoked: false },
    ]);
  });

  it('10 concurrent refreshes of one token: exactly one 200 and nine 401 — the token was used more than once, so its family (the winner\'s new token included) is revoked', async () => {
    const user = await freshUser();
    const results = await Promise.all(Array.from({ length: 10 }, () => refresh(user.refreshToken)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, ...Array(9).fill(401)]);
    for (const r of results.filter((r) => r.status === 401)) refused(r);
    const winner = results.find((r) => r.status === 200)!.body.refreshToken as string;
    expect(await family(winner)).toEqual([
      { used: true, revoked: true },
      { used: false, revoked: true },
    ]);
    refused(await refresh(winner));
  });

  it('2 concurrent refreshes of one token: exactly one 200 and one 401', async () => {
    const user = await freshUser();
    const results = await Promise.all([refresh(user.refreshToken), refresh(user.refreshToken)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
  });
});

describe('logout', () => {
  it('revokes the token and its family: 204, then refreshing with it (or with any token of its login) is 401', async () => {
    const user = await freshUser();
    const r2 = (await refresh(user.refreshToken)).body.refreshToken as string;
    const res = await logout(r2);
    expect([res.status, res.text]).toEqual([204, '']);
    refused(await refresh(r2));
    expect(await family(r2)).toEqual([
      { used: true, revoked: true },
      { used: false, revoked: true },
    ]);
    // Logging out again changes nothing and is still accepted: the token was issued.
    expect((await logout(r2)).status).toBe(204);
  });

  it('a token never issued (well-formed or not) is 401, and revokes nothing', async () => {
    const user = await freshUser();
    refused(await logout(wellFormedUnknown()));
    refused(await logout('not-a-token'));
    expect(await family(user.refreshToken)).toEqual([{ used: false, revoked: false }]);
  });
});

describe('refused refresh tokens', () => {
  it('unknown or malformed: 401 INVALID_REFRESH_TOKEN, nothing written', async () => {
    const before = (await t.sql.query('select count(*)::int as n, count(revoked_at)::int as revoked from refresh_tokens')).rows[0];
    for (const token of [wellFormedUnknown(), 'ulr_short', 'x', `ulr_${'A'.repeat(43)}`, 'Bearer ulr_x']) refused(await refresh(token));
    expect((await t.sql.query('select count(*)::int as n, count(revoked_at)::int as revoked from refresh_tokens')).rows[0]).toEqual(before);
  });

  it.each([
    ['missing', {}],
    ['a number', { refreshToken: 42 }],
    ['null', { refreshToken: null }],
    ['empty', { refreshToken: '' }],
    ['over 512 characters', { refreshToken: `ulr_${'a'.repeat(600)}` }],
    ['with an unknown field', { refreshToken: wellFormedUnknown(), userId: 'x' }],
  ])('a body with the refresh token %s: 400 VALIDATION_FAILED on refresh and logout', async (_label, body) => {
    expectError(await t.request('POST', '/api/v1/auth/refresh', { body }), 400, 'VALIDATION_FAILED');
    expectError(await t.request('POST', '/api/v1/auth/logout', { body }), 400, 'VALIDATION_FAILED');
  });

  it('a deactivated user cannot refresh — nor after being reactivated (the token generation moved); the family is revoked', async () => {
    const user = await freshUser();
    const admin = org.tokens.ADMIN;
    expect((await t.request('PATCH', `/api/v1/users/${user.id}`, { token: admin, body: { active: false } })).status).toBe(200);
    refused(await refresh(user.refreshToken));
    expect(await family(user.refreshToken)).toEqual([{ used: false, revoked: true }]);
    expect((await t.request('PATCH', `/api/v1/users/${user.id}`, { token: admin, body: { active: true } })).status).toBe(200);
    refused(await refresh(user.refreshToken));
  });

  it('a user whose role changed cannot refresh with a token of before (token generation); a new login can', async () => {
    const user = await freshUser('VIEWER');
    expect((await t.request('PATCH', `/api/v1/users/${user.id}`, { token: org.tokens.ADMIN, body: { role: 'PRACTITIONER' } })).status).toBe(200);
    refused(await refresh(user.refreshToken));
    const again = await login(user.email, user.password);
    const rotated = await refresh(again.body.refreshToken);
    expect(rotated.status).toBe(200);
    expect((await me(rotated.body.accessToken)).body.role).toBe('PRACTITIONER');
  });

  it('a deleted user\'s tokens go with them (the rows cascade)', async () => {
    const user = await freshUser();
    await t.sql.query('delete from users where id = $1', [user.id]);
    expect((await t.sql.query('select count(*)::int as n from refresh_tokens where token_hash = $1', [sha256(user.refreshToken)])).rows[0].n).toBe(0);
    refused(await refresh(user.refreshToken));
  });
});

describe('REFRESH_TOKEN_TTL=1 and RATE_LIMIT_REFRESH_PER_MINUTE=4', () => {
  let short: TestApp;
  beforeAll(async () => {
    short = await startTestApp({ REFRESH_TOKEN_TTL: '1', RATE_LIMIT_REFRESH_PER_MINUTE: '4' });
  });
  afterAll(() => short.close());

  it('a token past its lifetime is 401 (the database\'s clock waits out the one second); it lived exactly 1 s', async () => {
    const res = await short.request('POST', '/api/v1/auth/login', { body: { email: ROOT_EMAIL, password: ROOT_PASSWORD } });
    expect([res.status, res.body.refreshExpiresIn]).toEqual([200, 1]);
    const hash = sha256(res.body.refreshToken);
    const row = await short.sql.query(`select extract(epoch from expires_at - created_at)::float8 as lifetime from refresh_tokens where token_hash = $1`, [hash]);
    expect(row.rows).toEqual([{ lifetime: 1 }]);
    // Time itself is what is tested: PostgreSQL sleeps until its now() is past the token's expiry.
    await short.sql.query(`select pg_sleep(greatest(0, extract(epoch from expires_at - clock_timestamp())) + 0.05) from refresh_tokens where token_hash = $1`, [hash]);
    refused(await refresh(res.body.refreshToken, short));
  });

  it('refresh and logout count against one per-IP budget: the 5th of the minute is 429 with Retry-After and the "refresh" policy', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((i % 2 ? await logout(wellFormedUnknown(), short) : await refresh(wellFormedUnknown(), short)).status);
    // (The first test's refresh counted too.)
    expect(statuses).toEqual([401, 401, 401, 429]);
    const fifth = await refresh(wellFormedUnknown(), short);
    expectError(fifth, 429, 'RATE_LIMITED');
    expect(Number(fifth.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(fifth.headers.get('ratelimit-policy')).toContain('"refresh";q=4;w=60');
    // Logins are not counted against it.
    expect((await short.request('POST', '/api/v1/auth/login', { body: { email: ROOT_EMAIL, password: ROOT_PASSWORD } })).status).toBe(200);
  });
});
