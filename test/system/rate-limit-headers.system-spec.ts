import { randomBytes } from 'node:crypto';
import { httpClient, HttpResult, Request } from '../helpers/http';
import { ROOT_PASSWORD } from '../helpers/test-app';
import { createOrg, login, OrgWorld, PASSWORD } from '../helpers/world';
import { ServiceProcess, startService, systemDatabase } from './service-process';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** One policy's item of the RateLimit field: `"user";r=39;t=60` → { r: 39, t: 60 }. */
function item(res: HttpResult, policy: string): { r: number; t: number } {
  const field = res.headers.get('ratelimit') ?? '';
  const match = new RegExp(`(?:^|, )"${policy}";r=(\\d+);t=(\\d+)(?:,|$)`).exec(field);
  if (!match) throw new Error(`no "${policy}" item in RateLimit: "${field}" (${res.status} ${res.text})`);
  return { r: Number(match[1]), t: Number(match[2]) };
}

/**
 * Two instances of the built service sharing one Redis: the headers report the shared count, not
 * each instance's own. (Anonymous requests all come from 127.0.0.1, whose per-IP count in Redis
 * other runs share; only per-user and per-email counts, fresh for this run, are asserted exactly.)
 */
describe('rate-limit headers with two instances on one Redis', () => {
  let instances: ServiceProcess[];
  let requests: Request[];
  let org: OrgWorld;

  beforeAll(async () => {
    const databaseUrl = await systemDatabase();
    const rootEmail = `root-${randomBytes(4).toString('hex')}@test.local`;
    const env = { DATABASE_URL: databaseUrl, REDIS_URL, RATE_LIMIT_USER_PER_MINUTE: '40', RATE_LIMIT_LOGIN_PER_15_MIN: '10', LOG_LEVEL: 'warn', BOOTSTRAP_ADMIN_EMAIL: rootEmail };
    // One after the other: the second finds the migrations applied.
    instances = [await startService(env), await startService(env)];
    requests = instances.map((i) => httpClient(i.base));
    org = await createOrg(requests[0], await login(requests[0], rootEmail, ROOT_PASSWORD));
  }, 90_000);

  afterAll(async () => {
    const codes = await Promise.all((instances ?? []).map((i) => i.stop('SIGINT')));
    expect(codes).toEqual([0, 0]);
  });

  it("one user's requests alternating between the instances: requests left go down by exactly one each time, to a 429 with r=0", async () => {
    const email = `headers-${randomBytes(4).toString('hex')}@example.com`;
    expect((await requests[0]('POST', '/api/v1/users', { token: org.tokens.ADMIN, body: { email, password: PASSWORD, role: 'VIEWER' } })).status).toBe(201);
    const token = await login(requests[1], email, PASSWORD);
    const seen: { instance: number; status: number; policy: string | null; r: number }[] = [];
    let previousReset = 60;
    for (let i = 0; i < 40; i++) {
      const res = await requests[i % 2]('GET', '/api/v1/auth/me', { token });
      const { r, t } = item(res, 'user');
      seen.push({ instance: i % 2, status: res.status, policy: res.headers.get('ratelimit-policy'), r });
      expect(t).toBeGreaterThanOrEqual(1);
      expect(t).toBeLessThanOrEqual(previousReset);
      previousReset = t;
    }
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => ({ instance: i % 2, status: 200, policy: '"user";q=40;w=60', r: 39 - i })));
    for (const request of requests) {
      const refused = await request('GET', '/api/v1/auth/me', { token });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('ratelimit')).toBe(`"user";r=0;t=${refused.headers.get('retry-after')}`);
    }
  });

  it('logins of one email alternating between the instances share one count per email (and address); another email has its own', async () => {
    const email = `login-${randomBytes(4).toString('hex')}@example.com`;
    const other = `login-${randomBytes(4).toString('hex')}@example.com`;
    const attempt = (instance: number, who: string) => requests[instance]('POST', '/api/v1/auth/login', { body: { email: who, password: 'wrong-password-x' } });
    const answers = [await attempt(0, email), await attempt(1, email), await attempt(0, other), await attempt(1, email), await attempt(0, email)];
    expect(answers.map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
    expect(answers.map((r) => r.headers.get('ratelimit-policy'))).toEqual(Array(5).fill('"anon";q=600;w=60, "login";q=10;w=900, "login-email";q=100;w=900'));
    // One client address here, so the per-(email, address) count and the per-email count move together.
    expect(answers.map((r) => item(r, 'login').r)).toEqual([9, 8, 9, 7, 6]);
    expect(answers.map((r) => item(r, 'login-email').r)).toEqual([99, 98, 99, 97, 96]);
    for (const answer of answers) expect(item(answer, 'anon').r).toBeLessThan(600);
  });
});
