import { readFileSync } from 'node:fs';
import { HttpResult } from './helpers/http';
import { uniqueEmail } from './helpers/routes';
import { TestApp } from './helpers/test-app';
import { startTestApp, ROOT_EMAIL, ROOT_PASSWORD } from './helpers/test-app';
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

  it('limits logins per email and address: the 11th attempt in 15 minutes is 429, right password or not', async () => {
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

/** The RateLimit field, item by item: `"user";r=19;t=60` → { policy: 'user', r: 19, t: 60 }. Anything else fails the test. */
function rateLimitItems(res: HttpResult): { policy: string; r: number; t: number }[] {
  const field = res.headers.get('ratelimit');
  if (field === null) throw new Error(`no RateLimit header on ${res.status} ${res.text}`);
  return field.split(', ').map((item) => {
    const match = /^"([\w-]+)";r=(\d+);t=(\d+)$/.exec(item);
    if (!match) throw new Error(`malformed RateLimit item: ${item}`);
    return { policy: match[1], r: Number(match[2]), t: Number(match[3]) };
  });
}
const remaining = (res: HttpResult) => rateLimitItems(res).map(({ policy, r }) => `${policy} ${r}`);
const noRateLimitHeaders = (res: HttpResult) => [...res.headers.keys()].filter((name) => /ratelimit|retry-after/i.test(name));

describe('rate-limit headers (draft-ietf-httpapi-ratelimit-headers): RateLimit-Policy and RateLimit', () => {
  let t: TestApp;
  let org: OrgWorld;
  // TRUST_PROXY so that X-Forwarded-For gives each test client an address of its own.
  beforeAll(async () => ({ t, org } = await startAppWithOrg({ RATE_LIMIT_USER_PER_MINUTE: '20', RATE_LIMIT_ANON_PER_MINUTE: '30', RATE_LIMIT_LOGIN_PER_15_MIN: '5', TRUST_PROXY: '1' })));
  afterAll(() => t.close());

  const from = (ip: string) => ({ 'x-forwarded-for': ip });

  async function newUserToken(): Promise<string> {
    const email = uniqueEmail('headers');
    expect((await t.request('POST', '/api/v1/users', { token: org.tokens.ADMIN, body: { email, password: PASSWORD, role: 'VIEWER' } })).status).toBe(201);
    return login(t.request, email, PASSWORD);
  }

  it("per user: every answer states the limit and what is left, one less per request on any route; the 21st is 429 with nothing left until Retry-After", async () => {
    const token = await newUserToken();
    const paths = ['/api/v1/auth/me', '/api/v1/authorizations'];
    let previousReset = 60;
    for (let i = 1; i <= 20; i++) {
      const res = await t.request('GET', paths[i % 2], { token });
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-policy')).toBe('"user";q=20;w=60');
      const [item, ...others] = rateLimitItems(res);
      expect({ others, policy: item.policy, r: item.r }).toEqual({ others: [], policy: 'user', r: 20 - i });
      expect(item.t).toBeGreaterThanOrEqual(1);
      expect(item.t).toBeLessThanOrEqual(previousReset);
      previousReset = item.t;
    }
    const refused = await t.request('GET', '/api/v1/auth/me', { token });
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('RATE_LIMITED');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get('ratelimit-policy')).toBe('"user";q=20;w=60');
    expect(refused.headers.get('ratelimit')).toBe(`"user";r=0;t=${retryAfter}`);
    // The library's own X-RateLimit-*-<name> and Retry-After-<name> headers are not sent.
    expect(noRateLimitHeaders(refused).sort()).toEqual(['ratelimit', 'ratelimit-policy', 'retry-after']);
  });

  it('per IP without a valid token: each address has its own budget, and a valid token counts against the user instead', async () => {
    const me = (ip: string, token?: string) => t.request('GET', '/api/v1/auth/me', { headers: from(ip), token });
    const a = '198.51.100.1';
    const b = '198.51.100.2';
    const answers = [await me(a), await me(a), await me(b), await me(a, 'not-a-token'), await me(b)];
    expect(answers.map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
    expect(answers.map((r) => r.headers.get('ratelimit-policy'))).toEqual(Array(5).fill('"anon";q=30;w=60'));
    expect(answers.map(remaining)).toEqual([['anon 29'], ['anon 28'], ['anon 29'], ['anon 27'], ['anon 28']]);
    for (const answer of answers) expect(rateLimitItems(answer)[0].t).toBeGreaterThanOrEqual(1);
    const user = await me(a, await newUserToken());
    expect(user.status).toBe(200);
    expect(remaining(user)).toEqual(['user 19']);
    expect(remaining(await me(a))).toEqual(['anon 26']);
  });

  it('logins: counted per IP, per (email, IP) and per email, all reported; two emails have independent budgets; the 6th of one email is 429 with login r=0', async () => {
    const ip = '198.51.100.3';
    const email = uniqueEmail('login-headers');
    expect((await t.request('POST', '/api/v1/users', { token: org.tokens.ADMIN, body: { email, password: PASSWORD, role: 'VIEWER' } })).status).toBe(201);
    const other = uniqueEmail('nobody');
    const attempt = (who: string, password = 'wrong-password-x') => t.request('POST', '/api/v1/auth/login', { headers: from(ip), body: { email: who, password } });
    const answers = [await attempt(email), await attempt(other), await attempt(email), await attempt(email.toUpperCase(), PASSWORD), await attempt(other)];
    expect(answers.map((r) => r.status)).toEqual([401, 401, 401, 200, 401]);
    // The per-email ceiling defaults to 100 (RATE_LIMIT_LOGIN_PER_EMAIL_PER_15_MIN).
    expect(answers.map((r) => r.headers.get('ratelimit-policy'))).toEqual(Array(5).fill('"anon";q=30;w=60, "login";q=5;w=900, "login-email";q=100;w=900'));
    expect(answers.map(remaining)).toEqual([
      ['anon 29', 'login 4', 'login-email 99'],
      ['anon 28', 'login 4', 'login-email 99'],
      ['anon 27', 'login 3', 'login-email 98'],
      ['anon 26', 'login 2', 'login-email 97'],
      ['anon 25', 'login 3', 'login-email 98'],
    ]);
    for (const answer of answers) {
      const [anon, login, loginEmail] = rateLimitItems(answer);
      expect([anon.t >= 1 && anon.t <= 60, login.t >= 1 && login.t <= 900, loginEmail.t >= 1 && loginEmail.t <= 900]).toEqual([true, true, true]);
    }
    expect(remaining(await attempt(email))).toEqual(['anon 24', 'login 1', 'login-email 96']);
    expect(remaining(await attempt(email))).toEqual(['anon 23', 'login 0', 'login-email 95']);
    const refused = await attempt(email, PASSWORD);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(900);
    // Refused by "login": the per-email ceiling was not counted, and is not reported.
    const [anon, login, ...others] = rateLimitItems(refused);
    expect([anon.policy, anon.r, login, others]).toEqual(['anon', 22, { policy: 'login', r: 0, t: retryAfter }, []]);
    expect(remaining(await attempt(other))).toEqual(['anon 21', 'login 2', 'login-email 97']);
  });

  it('probes and metrics are not limited and carry no rate-limit headers', async () => {
    for (const path of ['/health/live', '/health/ready', '/metrics']) {
      const res = await t.request('GET', path, { headers: from('198.51.100.4') });
      expect({ path, status: res.status, headers: noRateLimitHeaders(res) }).toEqual({ path, status: 200, headers: [] });
    }
  });

  it('the OpenAPI document declares RateLimit-Policy and RateLimit on every response of every /api/v1 operation, and a 429 with Retry-After; none on the probes', async () => {
    const document = (await t.request('GET', '/api/docs-json')).body;
    expect(Object.keys(document.components.headers).sort()).toEqual(['RateLimit', 'RateLimit-Policy']);
    const rateLimitRefs = { 'RateLimit-Policy': { $ref: '#/components/headers/RateLimit-Policy' }, RateLimit: { $ref: '#/components/headers/RateLimit' } };
    const operations = Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item as object).map(([method, operation]) => ({ path, method, operation })));
    const limited = operations.filter((o) => o.path.startsWith('/api/v1/'));
    expect(limited.length).toBeGreaterThanOrEqual(18);
    for (const { path, method, operation } of limited) {
      const responses = Object.entries(operation.responses as Record<string, { headers?: Record<string, unknown> }>);
      for (const [status, response] of responses) expect({ path, method, status, headers: response.headers }).toEqual({ path, method, status, headers: expect.objectContaining(rateLimitRefs) });
      expect({ path, method, headers: Object.keys(operation.responses['429'].headers) }).toEqual({ path, method, headers: ['Retry-After', 'RateLimit-Policy', 'RateLimit'] });
    }
    const probes = operations.filter((o) => !o.path.startsWith('/api/v1/'));
    expect(probes.map((o) => o.path).sort()).toEqual(['/health/live', '/health/ready']);
    for (const { operation } of probes) expect(JSON.stringify(operation)).not.toMatch(/RateLimit|"429"/);
  });
});

describe('login limits: per (email, client IP), and a looser ceiling per email', () => {
  let t: TestApp;
  // TRUST_PROXY so that X-Forwarded-For gives each test client an address of its own.
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_LOGIN_PER_15_MIN: '10', RATE_LIMIT_LOGIN_PER_EMAIL_PER_15_MIN: '30', TRUST_PROXY: '1' });
  });
  afterAll(() => t.close());

  const attempt = (ip: string, email: string, password = 'wrong-password-x') =>
    t.request('POST', '/api/v1/auth/login', { headers: { 'x-forwarded-for': ip }, body: { email, password } });

  it('10 wrong passwords for the SUPER_ADMIN from one address (case and whitespace variants) refuse that address, not the owner at another', async () => {
    const a = '203.0.113.1';
    const variants = [ROOT_EMAIL, ROOT_EMAIL.toUpperCase(), ` ${ROOT_EMAIL}`, `${ROOT_EMAIL}\t`, 'Root@Test.Local'];
    const answers = [];
    for (let i = 0; i < 10; i++) answers.push(await attempt(a, variants[i % variants.length]));
    // The 11th from the same address is refused, even with the right password...
    const eleventh = await attempt(a, ROOT_EMAIL, ROOT_PASSWORD);
    // ...while the owner, from another address, logs in.
    const owner = await attempt('203.0.113.2', ROOT_EMAIL, ROOT_PASSWORD);
    expect({ attempts: answers.map((r) => r.status), eleventh: eleventh.status, owner: owner.status }).toEqual({ attempts: Array(10).fill(401), eleventh: 429, owner: 200 });
    expect(eleventh.body.code).toBe('RATE_LIMITED');
    expect(typeof owner.body.accessToken).toBe('string');

    expect(answers.map((r) => r.headers.get('ratelimit-policy'))).toEqual(Array(10).fill('"anon";q=600;w=60, "login";q=10;w=900, "login-email";q=30;w=900'));
    expect(answers.map(remaining)).toEqual(Array.from({ length: 10 }, (_, i) => [`anon ${599 - i}`, `login ${9 - i}`, `login-email ${29 - i}`]));
    // The per-email ceiling did not count the refused 11th: the stricter limit refused first.
    expect(eleventh.headers.get('ratelimit-policy')).toBe('"anon";q=600;w=60, "login";q=10;w=900');
    expect(remaining(eleventh)).toEqual(['anon 589', 'login 0']);
    expect(owner.headers.get('ratelimit-policy')).toBe('"anon";q=600;w=60, "login";q=10;w=900, "login-email";q=30;w=900');
    expect(remaining(owner)).toEqual(['anon 599', 'login 9', 'login-email 19']);
  });

  it('the per-email ceiling refuses after exactly its limit across many addresses, whatever the password; other emails are unaffected', async () => {
    const email = uniqueEmail('distributed');
    const statuses: number[] = [];
    // 30 attempts from 6 addresses, 5 each: no address reaches its own limit of 10.
    for (let i = 0; i < 30; i++) statuses.push((await attempt(`203.0.113.${10 + (i % 6)}`, email)).status);
    const refused = await attempt('203.0.113.99', email.toUpperCase());
    expect({ statuses, refused: refused.status }).toEqual({ statuses: Array(30).fill(401), refused: 429 });
    expect(refused.body.code).toBe('RATE_LIMITED');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(900);
    expect(refused.headers.get('ratelimit-policy')).toBe('"anon";q=600;w=60, "login";q=10;w=900, "login-email";q=30;w=900');
    expect(remaining(refused)).toEqual(['anon 599', 'login 9', 'login-email 0']);
    expect(rateLimitItems(refused)[2].t).toBe(retryAfter);
    const other = await attempt('203.0.113.99', uniqueEmail('other'));
    expect(other.status).toBe(401);
    expect(remaining(other)).toEqual(['anon 598', 'login 9', 'login-email 29']);
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
