import { readFileSync } from 'node:fs';
import { startTestApp, TestApp } from './helpers/test-app';
import { login, OrgWorld, PASSWORD, rootToken, startAppWithOrg } from './helpers/world';

describe('rate limits with small configured limits', () => {
  let t: TestApp;
  let org: OrgWorld;

  beforeAll(async () => ({ t, org } = await startAppWithOrg({ RATE_LIMIT_USER_PER_MINUTE: '20', RATE_LIMIT_ANON_PER_MINUTE: '30', RATE_LIMIT_LOGIN_PER_15_MIN: '10' })));
  afterAll(() => t.close());

  it('counts per user across all routes: request 21 of a minute is 429 with Retry-After; other users are unaffected', async () => {
    const token = org.tokens.VIEWER;
    const paths = ['/api/v1/auth/me', '/api/v1/authorizations'];
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await t.request('GET', paths[i % 2], { token })).status);
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(200));
    const limited = await t.request('GET', '/api/v1/auth/me', { token });
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED' });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await t.request('GET', '/api/v1/auth/me', { token: org.tokens.PRACTITIONER })).status).toBe(200);
  });

  it('limits logins per email: the 11th attempt in 15 minutes is 429, right password or not', async () => {
    const email = `limited-${Date.now()}@example.com`;
    const root = await rootToken(t.request);
    expect((await t.request('POST', '/api/v1/users', { token: root, body: { email, password: PASSWORD, role: 'VIEWER', organizationId: org.id } })).status).toBe(201);
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      statuses.push((await t.request('POST', '/api/v1/auth/login', { body: { email, password: i === 9 ? PASSWORD : 'wrong-password-x' } })).status);
    }
    expect(statuses).toEqual([...Array(9).fill(401), 200]);
    const eleventh = await t.request('POST', '/api/v1/auth/login', { body: { email: email.toUpperCase(), password: PASSWORD } });
    expect(eleventh.status).toBe(429);
    expect(eleventh.body.code).toBe('RATE_LIMITED');
  });

  it('never limits probes and metrics', async () => {
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => t.request('GET', ['/health/live', '/health/ready', '/metrics'][i % 3])));
    expect(results.map((r) => r.status)).toEqual(Array(60).fill(200));
  });
});

describe('rate limits under the defaults', () => {
  let t: TestApp;
  let org: OrgWorld;

  beforeAll(async () => ({ t, org } = await startAppWithOrg()));
  afterAll(() => t.close());

  it('a client sending a full minute at 50 requests/s (3,000 requests) is never refused', async () => {
    const token = org.tokens.VIEWER;
    const statuses = new Map<number, number>();
    for (let batch = 0; batch < 60; batch++) {
      const results = await Promise.all(Array.from({ length: 50 }, () => t.request('GET', '/api/v1/auth/me', { token })));
      for (const r of results) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }
    expect(Object.fromEntries(statuses)).toEqual({ 200: 3000 });
  });
});

describe('deactivated users', () => {
  let t: TestApp;
  let org: OrgWorld;

  beforeAll(async () => ({ t, org } = await startAppWithOrg()));
  afterAll(() => t.close());

  it("lose access at once on this instance, and cannot log in again", async () => {
    expect((await t.request('GET', '/api/v1/auth/me', { token: org.tokens.PRACTITIONER })).status).toBe(200);
    const patch = await t.request('PATCH', `/api/v1/users/${org.userIds.PRACTITIONER}`, { token: org.tokens.ADMIN, body: { active: false } });
    expect(patch.status).toBe(200);
    expect(patch.body.active).toBe(false);
    const after = await t.request('GET', '/api/v1/auth/me', { token: org.tokens.PRACTITIONER });
    expect(after.status).toBe(401);
    const me = await t.request('GET', `/api/v1/users`, { token: org.tokens.ADMIN });
    const email = me.body.items.find((u: { id: string }) => u.id === org.userIds.PRACTITIONER).email;
    const relogin = await t.request('POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } });
    expect(relogin.status).toBe(401);
    expect(relogin.body.code).toBe('INVALID_CREDENTIALS');
  });

  it('lose access on another instance within 60 s (its user cache lives 30 s)', async () => {
    // A second instance on the same database, with the same signing key (generated into DATA_DIR).
    const secret = readFileSync(`${t.config.dataDir}/jwt-secret`, 'utf8');
    const other = await startTestApp({ JWT_SECRET: secret }, t.databaseUrl);
    try {
      const token = org.tokens.VIEWER;
      expect((await other.request('GET', '/api/v1/auth/me', { token })).status).toBe(200); // now cached there
      const deactivatedAt = Date.now();
      expect((await t.request('PATCH', `/api/v1/users/${org.userIds.VIEWER}`, { token: org.tokens.ADMIN, body: { active: false } })).status).toBe(200);
      let status = 200;
      while (status === 200 && Date.now() - deactivatedAt < 60_000) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        status = (await other.request('GET', '/api/v1/auth/me', { token })).status;
      }
      expect(status).toBe(401);
      expect(Date.now() - deactivatedAt).toBeLessThan(60_000);
    } finally {
      await other.close();
    }
  }, 90_000);

  it('unknown email and wrong password are the same 401', async () => {
    const unknown = await t.request('POST', '/api/v1/auth/login', { body: { email: 'nobody@example.com', password: PASSWORD } });
    const wrong = await login(t.request, 'root@test.local', 'root-password-123').then(() =>
      t.request('POST', '/api/v1/auth/login', { body: { email: 'root@test.local', password: 'not-the-password' } }),
    );
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
  });
});
