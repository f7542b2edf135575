import { randomUUID } from 'node:crypto';
import { OrgWorld, rootToken, startAppWithOrg } from './helpers/world';
import { startTestApp, TestApp } from './helpers/test-app';

// Issue 11, point 3: an unauthenticated request must not buy more work or a bigger answer than it
// costs to send. Before: a 100 kB login body of 9,000 unknown keys was parsed, validated key by
// key (~90 ms of event loop) and answered with a 556 kB 400 listing every key; a body was parsed
// before the caller was authenticated or counted against any limit.

/** `{"k0":0,"k1":0,…}` with `keys` keys (about 10 bytes each). */
const manyKeys = (keys: number, base: Record<string, unknown> = {}) => {
  const body: Record<string, unknown> = { ...base };
  for (let i = 0; i < keys; i++) body[`k${i}`] = 0;
  return body;
};

describe('amplification: bounded work and bounded answers', () => {
  let t: TestApp;
  let org: OrgWorld;
  let root: string;

  beforeAll(async () => {
    ({ t, org } = await startAppWithOrg());
    root = await rootToken(t.request);
  });
  afterAll(() => t.close());

  it('login with a 90 kB body of 9,000 unknown keys → 413 PAYLOAD_TOO_LARGE (login reads at most 8 kB), a small answer', async () => {
    const body = manyKeys(9_000, { email: 'someone@example.com', password: 'whatever-password' });
    expect(JSON.stringify(body).length).toBeGreaterThan(85_000);
    const res = await t.request('POST', '/api/v1/auth/login', { body });
    expect([res.status, res.body.code, res.body.message]).toEqual([413, 'PAYLOAD_TOO_LARGE', 'Request body exceeds 8 kB']);
    expect(res.text.length).toBeLessThan(300);
  });

  it('an authenticated body of 9,000 unknown keys (under 100 kB) → 400 naming the body once: at most 64 keys per object', async () => {
    const body = manyKeys(9_000, { patientId: 'p', authNumber: `A-${randomUUID()}`, serviceCode: '97153', totalUnits: 5, startDate: '2026-01-01', endDate: '2026-12-31' });
    expect(JSON.stringify(body).length).toBeLessThan(100 * 1024);
    const res = await t.request('POST', '/api/v1/authorizations', { token: org.tokens.ADMIN, body });
    expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(res.body.fields).toEqual([{ field: 'body', message: 'body has 9006 keys; at most 64 are accepted' }]);
    expect(res.text.length).toBeLessThan(300);
  });

  it('the key limit applies to nested objects too, and 64 keys are still read', async () => {
    const nested = await t.request('PATCH', `/api/v1/users/${org.userIds.VIEWER}`, { token: org.tokens.ADMIN, body: { active: true, extra: manyKeys(65) } });
    expect([nested.status, nested.body.fields]).toEqual([400, [{ field: 'extra', message: 'extra has 65 keys; at most 64 are accepted' }]]);
    const sixtyFour = await t.request('POST', '/api/v1/organizations', { token: root, body: manyKeys(63, { name: 'Org' }) });
    expect([sixtyFour.status, sixtyFour.body.fields.length]).toEqual([400, 20]);
  });

  it('30 unknown fields → the first 20 are listed, and the message says how many more there are', async () => {
    const res = await t.request('POST', '/api/v1/organizations', { token: root, body: manyKeys(30, { name: 'Org' }) });
    expect([res.status, res.body.code, res.body.message]).toEqual([400, 'VALIDATION_FAILED', 'The request is not valid; 10 more problems are not listed']);
    expect(res.body.fields).toEqual(Array.from({ length: 20 }, (_, i) => ({ field: `k${i}`, message: `property k${i} should not exist` })));
  });

  it('20 problems are listed whole, with the plain message', async () => {
    const res = await t.request('POST', '/api/v1/organizations', { token: root, body: manyKeys(20, { name: 'Org' }) });
    expect([res.status, res.body.message, res.body.fields.length]).toEqual([400, 'The request is not valid', 20]);
  });

  it('no body is parsed before authentication: malformed JSON without a token → 401, with a token → 400', async () => {
    const malformed = { rawBody: '{"patientId":', headers: { 'content-type': 'application/json' } };
    expect((await t.request('POST', '/api/v1/authorizations', malformed)).status).toBe(401);
    expect((await t.request('POST', '/api/v1/authorizations', { ...malformed, token: 'not-a-token' })).status).toBe(401);
    const authenticated = await t.request('POST', '/api/v1/authorizations', { ...malformed, token: org.tokens.ADMIN });
    expect([authenticated.status, authenticated.body.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('nor before the role check: a VIEWER posting malformed JSON or 200 kB → 403', async () => {
    const malformed = await t.request('POST', '/api/v1/authorizations', { token: org.tokens.VIEWER, rawBody: '{"x', headers: { 'content-type': 'application/json' } });
    const large = await t.request('POST', '/api/v1/authorizations', { token: org.tokens.VIEWER, body: { notes: 'x'.repeat(200_000) } });
    expect([malformed.status, large.status]).toEqual([403, 403]);
  });
});

describe('amplification: the per-IP limit is counted before the body is read', () => {
  let t: TestApp;

  beforeAll(async () => (t = await startTestApp({ RATE_LIMIT_ANON_PER_MINUTE: '3' })));
  afterAll(() => t.close());

  it('once the address is over its limit, malformed and oversized login bodies are 429, not 400/413', async () => {
    const login = (rawBody: string) => t.request('POST', '/api/v1/auth/login', { rawBody, headers: { 'content-type': 'application/json' } });
    const within = [await login('{"email":'), await login('{"email":'), await login(JSON.stringify(manyKeys(9_000)))];
    expect(within.map((r) => r.status)).toEqual([400, 400, 413]);
    const over = [await login('{"email":'), await login(JSON.stringify(manyKeys(9_000)))];
    expect(over.map((r) => [r.status, r.body.code])).toEqual([
      [429, 'RATE_LIMITED'],
      [429, 'RATE_LIMITED'],
    ]);
  });
});
