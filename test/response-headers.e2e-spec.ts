// Response hardening (issue 11, point 6). Answers carry patient data and tokens: every answer,
// errors included, says `Cache-Control: no-store` (RFC 6749 §5.1 asks it of token responses) and
// `X-Content-Type-Options: nosniff`. 431 (headers too large), refused by Node before any request
// exists, answers the JSON error body of SPEC §5 with them.
import { randomUUID } from 'node:crypto';
import { rawHttp } from './helpers/hostile';
import { TestApp, ROOT_EMAIL, ROOT_PASSWORD } from './helpers/test-app';
import { createAuthorization, OrgWorld, startAppWithOrg } from './helpers/world';

const HARDENED = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

let t: TestApp;
let org: OrgWorld;
let authorizationId: string;

const hardening = (headers: Headers | Record<string, string>) => {
  const get = (name: string) => (headers instanceof Headers ? headers.get(name) : headers[name]);
  return { 'cache-control': get('cache-control'), 'x-content-type-options': get('x-content-type-options') };
};

beforeAll(async () => {
  ({ t, org } = await startAppWithOrg({ RATE_LIMIT_LOGIN_PER_15_MIN: '2' }));
  authorizationId = (await createAuthorization(t.request, org.tokens.ADMIN)).id;
});
afterAll(() => t.close());

/** Every operation of the OpenAPI document under /api/v1, {id} and {lineId} filled in. */
async function documentedOperations(): Promise<{ method: string; path: string }[]> {
  const doc = (await t.request('GET', '/api/docs-json')).body as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths)
    .filter(([path]) => path.startsWith('/api/v1/'))
    .flatMap(([path, operations]) => Object.keys(operations).map((method) => ({ method: method.toUpperCase(), path: path.replace(/\{[^}]+\}/g, authorizationId) })));
}

it('every /api/v1 route, with and without a token, answers with both headers whatever the status', async () => {
  const operations = await documentedOperations();
  expect(operations.length).toBeGreaterThanOrEqual(18);
  const answers: Record<string, unknown> = {};
  const expected: Record<string, unknown> = {};
  const statuses = new Set<number>();
  for (const { method, path } of operations) {
    for (const token of [org.tokens.ADMIN, undefined]) {
      const res = await t.request(method, path, { token, body: method === 'GET' ? undefined : {} });
      const key = `${method} ${path} ${token ? 'ADMIN' : 'no token'} → ${res.status}`;
      statuses.add(res.status);
      answers[key] = hardening(res.headers);
      expected[key] = HARDENED;
    }
  }
  expect(answers).toEqual(expected);
  // The sweep met successes and refusals alike.
  expect([...statuses].sort()).toEqual(expect.arrayContaining([200, 400, 401]));
});

it('the login answer (a token) is not stored by any cache', async () => {
  const res = await t.request('POST', '/api/v1/auth/login', { body: { email: ROOT_EMAIL, password: ROOT_PASSWORD } });
  expect([res.status, res.body.tokenType, hardening(res.headers)]).toEqual([200, 'Bearer', HARDENED]);
});

it.each([
  ['401 no token', () => t.request('GET', '/api/v1/auth/me'), 401, 'UNAUTHORIZED'],
  ['404 unknown route', () => t.request('GET', '/api/v1/nothing-here', { token: org.tokens.VIEWER }), 404, 'NOT_FOUND'],
  ['404 unknown object', () => t.request('GET', `/api/v1/reservations/${randomUUID()}`, { token: org.tokens.VIEWER }), 404, 'NOT_FOUND'],
  ['400 malformed JSON', () => t.request('POST', '/api/v1/auth/login', { rawBody: '{"email":', headers: { 'content-type': 'application/json' } }), 400, 'VALIDATION_FAILED'],
  ['413 body over 100 kB', () => t.request('POST', '/api/v1/authorizations', { token: org.tokens.ADMIN, body: { notes: 'x'.repeat(110_000) } }), 413, 'PAYLOAD_TOO_LARGE'],
  ['415 not JSON', () => t.request('POST', '/api/v1/auth/login', { rawBody: 'email=a', headers: { 'content-type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
] as const)('%s: both headers on the error answer', async (_name, call, status, code) => {
  const res = await call();
  expect([res.status, res.body?.code, hardening(res.headers)]).toEqual([status, code, HARDENED]);
});

it('429 rate limited: both headers on the error answer', async () => {
  const email = `nobody-${randomUUID()}@example.com`;
  const attempt = () => t.request('POST', '/api/v1/auth/login', { body: { email, password: 'wrong-password-123' } });
  expect([(await attempt()).status, (await attempt()).status]).toEqual([401, 401]);
  const limited = await attempt();
  expect([limited.status, limited.body.code, hardening(limited.headers)]).toEqual([429, 'RATE_LIMITED', HARDENED]);
});

it('431 headers too large (refused by Node before any request exists): the JSON error body, both headers, connection closed', async () => {
  const res = await rawHttp(t.base, { method: 'GET', path: '/api/v1/auth/me', headers: [['X-Big', 'x'.repeat(20_000)]] });
  expect({ status: res.status, headers: res.headers, body: res.body }).toEqual({
    status: 431,
    headers: expect.objectContaining({ ...HARDENED, 'content-type': 'application/json; charset=utf-8', connection: 'close' }),
    body: { statusCode: 431, error: 'Request Header Fields Too Large', message: 'Request headers are too large', code: 'HEADERS_TOO_LARGE' },
  });
});
