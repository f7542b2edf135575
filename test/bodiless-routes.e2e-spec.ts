// Routes without a body refuse a non-empty one (issue 11, point 5). `POST /reservations/{id}/release
// {"units":1}` released all 5 units with 200 and `DELETE /authorizations/{id} {"force":true}` was
// 204: a field the route does not read must not pass as accepted. Every route without a body DTO
// (the list is checked against the routes the API documents) answers a body with fields exactly
// 400 VALIDATION_FAILED naming each of them, and nothing is written; no body and `{}` keep working.
import { fingerprint, rawHttp, RawResult } from './helpers/hostile';
import { expectError, factories, WEBHOOK_TEST_ENV } from './helpers/routes';
import { checkIntegrity, INTACT } from './helpers/ledger-check';
import { TestApp } from './helpers/test-app';
import { createAuthorization, OrgWorld, rootToken, startAppWithOrg } from './helpers/world';

let t: TestApp;
let org: OrgWorld;
let root: string;
let shared: { authorizationId: string; reservationId: string };

async function reservation(units: number): Promise<{ authorizationId: string; reservationId: string }> {
  const auth = await createAuthorization(t.request, org.tokens.ADMIN);
  const res = await t.request('POST', `/api/v1/authorizations/${auth.id}/reservations`, { token: org.tokens.PRACTITIONER, body: { units } });
  if (res.status !== 201) throw new Error(`reserve → ${res.status} ${res.text}`);
  return { authorizationId: auth.id, reservationId: res.body.reservation.id };
}

/** A fresh webhook endpoint of the organization (to a loopback URL). */
const webhook = () => factories(t.request, org).webhook();

interface BodilessRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** As documented: `/api/v1/reservations/{id}/release`. */
  template: string;
  token?: () => string;
  /** A fresh target for each call (the routes that change state act once). */
  path: () => Promise<string> | string;
  success: number;
}

const ROUTES: BodilessRoute[] = [
  { method: 'GET', template: '/api/v1/auth/me', token: () => org.tokens.VIEWER, path: () => '/api/v1/auth/me', success: 200 },
  { method: 'GET', template: '/api/v1/organizations', token: () => root, path: () => '/api/v1/organizations', success: 200 },
  { method: 'GET', template: '/api/v1/organizations/{id}', token: () => org.tokens.ADMIN, path: () => `/api/v1/organizations/${org.id}`, success: 200 },
  { method: 'GET', template: '/api/v1/users', token: () => org.tokens.ADMIN, path: () => '/api/v1/users', success: 200 },
  { method: 'GET', template: '/api/v1/authorizations', token: () => org.tokens.VIEWER, path: () => '/api/v1/authorizations', success: 200 },
  { method: 'GET', template: '/api/v1/authorizations/{id}', token: () => org.tokens.VIEWER, path: () => `/api/v1/authorizations/${shared.authorizationId}`, success: 200 },
  {
    method: 'DELETE',
    template: '/api/v1/authorizations/{id}',
    token: () => org.tokens.ADMIN,
    path: async () => `/api/v1/authorizations/${(await createAuthorization(t.request, org.tokens.ADMIN)).id}`,
    success: 204,
  },
  {
    method: 'GET',
    template: '/api/v1/authorizations/{id}/reservations',
    token: () => org.tokens.VIEWER,
    path: () => `/api/v1/authorizations/${shared.authorizationId}/reservations`,
    success: 200,
  },
  { method: 'GET', template: '/api/v1/authorizations/{id}/ledger', token: () => org.tokens.VIEWER, path: () => `/api/v1/authorizations/${shared.authorizationId}/ledger`, success: 200 },
  { method: 'GET', template: '/api/v1/reservations/{id}', token: () => org.tokens.VIEWER, path: () => `/api/v1/reservations/${shared.reservationId}`, success: 200 },
  // SPEC §10 utilization (the other routes of §10 all take a body)
  {
    method: 'GET',
    template: '/api/v1/authorizations/{id}/utilization',
    token: () => org.tokens.VIEWER,
    path: () => `/api/v1/authorizations/${shared.authorizationId}/utilization`,
    success: 200,
  },
  { method: 'GET', template: '/api/v1/utilization', token: () => org.tokens.VIEWER, path: () => '/api/v1/utilization', success: 200 },
  // SPEC §11 change feed
  { method: 'GET', template: '/api/v1/events', token: () => org.tokens.VIEWER, path: () => '/api/v1/events', success: 200 },
  // SPEC §11 machine clients
  { method: 'GET', template: '/api/v1/api-keys', token: () => org.tokens.ADMIN, path: () => '/api/v1/api-keys', success: 200 },
  {
    method: 'DELETE',
    template: '/api/v1/api-keys/{id}',
    token: () => org.tokens.ADMIN,
    path: async () => {
      const res = await t.request('POST', '/api/v1/api-keys', { token: org.tokens.ADMIN, body: { name: `bodiless-${Date.now()}-${Math.random()}`, role: 'VIEWER' } });
      if (res.status !== 201) throw new Error(`create key → ${res.status} ${res.text}`);
      return `/api/v1/api-keys/${res.body.id}`;
    },
    success: 204,
  },
  {
    method: 'POST',
    template: '/api/v1/reservations/{id}/release',
    token: () => org.tokens.PRACTITIONER,
    path: async () => `/api/v1/reservations/${(await reservation(5)).reservationId}/release`,
    success: 200,
  },
  // SPEC §11 webhooks (POST and PATCH take a body)
  { method: 'GET', template: '/api/v1/webhooks', token: () => org.tokens.ADMIN, path: () => '/api/v1/webhooks', success: 200 },
  { method: 'GET', template: '/api/v1/webhooks/{id}', token: () => org.tokens.ADMIN, path: async () => `/api/v1/webhooks/${(await webhook()).id}`, success: 200 },
  { method: 'GET', template: '/api/v1/webhooks/{id}/deliveries', token: () => org.tokens.ADMIN, path: async () => `/api/v1/webhooks/${(await webhook()).id}/deliveries`, success: 200 },
  { method: 'DELETE', template: '/api/v1/webhooks/{id}', token: () => org.tokens.ADMIN, path: async () => `/api/v1/webhooks/${(await webhook()).id}`, success: 204 },
  { method: 'GET', template: '/health/live', path: () => '/health/live', success: 200 },
  { method: 'GET', template: '/health/ready', path: () => '/health/ready', success: 200 },
  { method: 'GET', template: '/metrics', path: () => '/metrics', success: 200 },
];

const name = (r: BodilessRoute) => `${r.method} ${r.template}`;

/** Over a raw socket: fetch refuses to send a body with GET. */
function send(route: BodilessRoute, path: string, body?: unknown): Promise<RawResult> {
  const headers: [string, string][] = [];
  const token = route.token?.();
  if (token) headers.push(['Authorization', `Bearer ${token}`]);
  if (body !== undefined) headers.push(['Content-Type', 'application/json']);
  return rawHttp(t.base, { method: route.method, path, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

const refusal = (fields: { field: string; message: string }[]) => ({
  status: 400,
  body: { statusCode: 400, error: 'Bad Request', message: 'The request is not valid', code: 'VALIDATION_FAILED', fields },
});

beforeAll(async () => {
  ({ t, org } = await startAppWithOrg(WEBHOOK_TEST_ENV));
  root = await rootToken(t.request);
  shared = await reservation(4);
});
afterAll(() => t.close());

it('the table holds every documented /api/v1 route that takes no body', async () => {
  const doc = (await t.request('GET', '/api/docs-json')).body as { paths: Record<string, Record<string, { requestBody?: unknown }>> };
  const documented = Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.entries(operations)
      .filter(([, operation]) => operation.requestBody === undefined)
      .map(([method]) => `${method.toUpperCase()} ${path}`),
  );
  // /metrics is the one route of the table the document leaves out.
  expect(documented.sort()).toEqual(ROUTES.map(name).filter((n) => n !== 'GET /metrics').sort());
});

describe.each(ROUTES.map((r) => [name(r), r] as const))('%s', (_name, route) => {
  it('a body with fields: exactly 400 VALIDATION_FAILED naming each field, nothing written; the same call without them succeeds', async () => {
    const path = await route.path();
    const before = await fingerprint(t.sql);
    const refused = await send(route, path, { units: 1, force: true });
    expect({ status: refused.status, body: refused.body }).toEqual(
      refusal([
        { field: 'units', message: 'property units should not exist' },
        { field: 'force', message: 'property force should not exist' },
      ]),
    );
    expect(await fingerprint(t.sql)).toBe(before);
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);

    expect((await send(route, path, {})).status).toBe(route.success);
  });

  it('no body at all: the normal answer', async () => {
    expect((await send(route, await route.path())).status).toBe(route.success);
  });
});

it('release {"units":1} of a 5-unit reservation: 400, all 5 units still scheduled, the ledger untouched; release {} then frees all 5', async () => {
  const { authorizationId, reservationId } = await reservation(5);
  const counters = async () => (await t.sql.query('select scheduled_units, used_units from authorizations where id = $1', [authorizationId])).rows[0];
  const ledger = async () => (await t.sql.query('select type, units from ledger_entries where authorization_id = $1 order by id', [authorizationId])).rows;
  const refused = await t.request('POST', `/api/v1/reservations/${reservationId}/release`, { token: org.tokens.PRACTITIONER, body: { units: 1 } });
  expectError(refused, 400, 'VALIDATION_FAILED');
  expect(refused.body.fields).toEqual([{ field: 'units', message: 'property units should not exist' }]);
  expect(await counters()).toEqual({ scheduled_units: 5, used_units: 0 });
  expect(await ledger()).toEqual([{ type: 'RESERVE', units: 5 }]);

  const released = await t.request('POST', `/api/v1/reservations/${reservationId}/release`, { token: org.tokens.PRACTITIONER, body: {} });
  expect([released.status, released.body.reservation.status]).toEqual([200, 'RELEASED']);
  expect(await counters()).toEqual({ scheduled_units: 0, used_units: 0 });
});

it('a JSON array where no body is taken: 400 naming the body', async () => {
  const refused = await t.request('DELETE', `/api/v1/authorizations/${shared.authorizationId}`, { token: org.tokens.ADMIN, body: [] });
  expectError(refused, 400, 'VALIDATION_FAILED');
  expect(refused.body.fields).toEqual([{ field: 'body', message: 'this route takes no request body' }]);
});

it('who you are comes first: a body without a token is 401, as on routes with a body DTO', async () => {
  const res = await send({ ...ROUTES[0], token: undefined }, '/api/v1/auth/me', { units: 1 });
  expect([res.status, res.body.code]).toEqual([401, 'UNAUTHORIZED']);
});
