// Raw bytes in every header the service reads (issue 10, point 3). Node hands header values to
// the application as latin1, one character per byte: a byte >= 0x80 is one character there but
// two bytes in UTF-8, which made GET /metrics answer 500 (timingSafeEqual on buffers of unequal
// length). For every route (SPEC §5 under /api/v1, login, the probes, /metrics with a
// METRICS_TOKEN, the API docs) and every header the service reads, one raw byte in the value
// gives exactly one answer:
//   - obs-text (0x80-0xff) reaches the application. Authorization: 401 UNAUTHORIZED on every route
//     that needs a token (and /metrics), ignored on public routes. Idempotency-Key: 400
//     VALIDATION_FAILED naming it on the nine routes that read it, ignored elsewhere. X-Request-Id:
//     ignored, a new UUID returned and logged instead. Content-Type: in the media type the body is
//     not JSON, 415 where a body is sent, ignored where none is; in the charset parameter the body
//     is read as UTF-8 like any unreadable charset parameter, so the normal answer.
//   - NUL and DEL never reach it: Node's HTTP parser answers a bare 400 (no body) itself.
// A refused request wrote nothing; a refused or accepted one never answers a 5xx.
import fc from 'fast-check';
import { expectApiErrorBody, fingerprint, fuzzParams, rawHttp, RawResult, reportedFields } from './helpers/hostile';
import { LOOPBACK_WEBHOOK_URL, unique, uniqueEmail, WEBHOOK_TEST_ENV } from './helpers/routes';
import { ROOT_EMAIL, ROOT_PASSWORD, startTestApp, TestApp } from './helpers/test-app';
import { createAuthorization, createOrg, dayOffset, OrgWorld, PASSWORD, rootToken } from './helpers/world';

const METRICS_TOKEN = 'abcdefgh';
const OBS_TEXT = [0x80, 0xa0, 0xc3, 0xe9, 0xff];
const CONTROL = [0x00, 0x7f];
const BYTES = [...OBS_TEXT, ...CONTROL];
const NODE_REFUSAL = '400 from Node, no body';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const hex = (byte: number) => `0x${byte.toString(16).padStart(2, '0')}`;
/** `before`, the byte, `after`: exactly these bytes on the wire. */
const withByte = (before: string, byte: number, after = '') => Buffer.concat([Buffer.from(before, 'latin1'), Buffer.from([byte]), Buffer.from(after, 'latin1')]);

let t: TestApp;
let root: string;
let org: OrgWorld;
/** Every line the app logged, parsed. */
const logLines: Record<string, unknown>[] = [];
/** Objects the read routes look at, and the ones the unit operations draw on. */
let shared: { authorizationId: string; reservationId: string; userId: string; unitsAuthorizationId: string; patientId: string; lineAuthorizationId: string; lineId: string };

interface Route {
  name: string;
  method: string;
  /** The bearer token the route needs; none for public routes. */
  token?: () => string;
  /** Fresh objects for one request: the path and body that succeed. */
  call: () => Promise<{ path: string; body?: unknown }>;
  success: number;
  /** Reads Idempotency-Key. */
  idempotent?: true;
}

const at = (path: string, body?: unknown) => async () => ({ path, body });

/** An organization has at most 20 webhook endpoints: the rows of earlier cells are removed first (before any fingerprint is taken). */
async function roomForWebhooks(): Promise<void> {
  await t.sql.query('delete from webhook_endpoints where organization_id = $1', [org.id]);
}

async function freshWebhookId(): Promise<string> {
  await roomForWebhooks();
  const res = await t.request('POST', '/api/v1/webhooks', { token: org.tokens.ADMIN, body: { url: LOOPBACK_WEBHOOK_URL, events: ['reservation.created'] } });
  if (res.status !== 201) throw new Error(`webhook → ${res.status} ${res.text}`);
  return res.body.id;
}

async function freshReservation(): Promise<string> {
  const res = await t.request('POST', `/api/v1/authorizations/${shared.unitsAuthorizationId}/reservations`, { token: org.tokens.PRACTITIONER, body: { units: 4 } });
  if (res.status !== 201) throw new Error(`reserve → ${res.status} ${res.text}`);
  return res.body.reservation.id;
}

async function freshRefreshToken(): Promise<string> {
  const res = await t.request('POST', '/api/v1/auth/login', { body: { email: ROOT_EMAIL, password: ROOT_PASSWORD } });
  if (res.status !== 200) throw new Error(`login → ${res.status} ${res.text}`);
  return res.body.refreshToken;
}

async function freshApiKeyId(): Promise<string> {
  const res = await t.request('POST', '/api/v1/api-keys', { token: org.tokens.ADMIN, body: { name: unique('raw-doomed'), role: 'VIEWER' } });
  if (res.status !== 201) throw new Error(`create key → ${res.status} ${res.text}`);
  return res.body.id;
}

const newAuthorization = () => ({
  patientId: unique('patient'),
  payer: 'Acme Health',
  authNumber: unique('AUTH'),
  serviceCode: '97153',
  totalUnits: 50,
  startDate: dayOffset(-10),
  endDate: dayOffset(90),
});

const ROUTES: Route[] = [
  { name: 'POST /api/v1/auth/login', method: 'POST', success: 200, call: async () => ({ path: '/api/v1/auth/login', body: { email: ROOT_EMAIL, password: ROOT_PASSWORD } }) },
  { name: 'GET /api/v1/auth/me', method: 'GET', success: 200, token: () => org.tokens.VIEWER, call: at('/api/v1/auth/me') },
  { name: 'POST /api/v1/organizations', method: 'POST', success: 201, idempotent: true, token: () => root, call: async () => ({ path: '/api/v1/organizations', body: { name: unique('Org') } }) },
  { name: 'GET /api/v1/organizations', method: 'GET', success: 200, token: () => root, call: at('/api/v1/organizations') },
  { name: 'GET /api/v1/organizations/:id', method: 'GET', success: 200, token: () => org.tokens.ADMIN, call: async () => ({ path: `/api/v1/organizations/${org.id}` }) },
  {
    name: 'PATCH /api/v1/organizations/:id',
    method: 'PATCH',
    success: 200,
    token: () => org.tokens.ADMIN,
    call: async () => ({ path: `/api/v1/organizations/${org.id}`, body: { expiringWithinDays: 45 } }),
  },
  {
    name: 'POST /api/v1/users',
    method: 'POST',
    success: 201,
    idempotent: true,
    token: () => org.tokens.ADMIN,
    call: async () => ({ path: '/api/v1/users', body: { email: uniqueEmail('raw'), password: PASSWORD, role: 'VIEWER' } }),
  },
  { name: 'GET /api/v1/users', method: 'GET', success: 200, token: () => org.tokens.ADMIN, call: at('/api/v1/users') },
  { name: 'PATCH /api/v1/users/:id', method: 'PATCH', success: 200, token: () => org.tokens.ADMIN, call: async () => ({ path: `/api/v1/users/${shared.userId}`, body: { role: 'VIEWER' } }) },
  { name: 'POST /api/v1/authorizations', method: 'POST', success: 201, idempotent: true, token: () => org.tokens.ADMIN, call: async () => ({ path: '/api/v1/authorizations', body: newAuthorization() }) },
  { name: 'GET /api/v1/authorizations', method: 'GET', success: 200, token: () => org.tokens.VIEWER, call: at('/api/v1/authorizations') },
  { name: 'GET /api/v1/authorizations/:id', method: 'GET', success: 200, token: () => org.tokens.VIEWER, call: async () => ({ path: `/api/v1/authorizations/${shared.authorizationId}` }) },
  {
    name: 'PATCH /api/v1/authorizations/:id',
    method: 'PATCH',
    success: 200,
    token: () => org.tokens.ADMIN,
    call: async () => ({ path: `/api/v1/authorizations/${shared.authorizationId}`, body: { notes: unique('note') } }),
  },
  {
    name: 'DELETE /api/v1/authorizations/:id',
    method: 'DELETE',
    success: 204,
    token: () => org.tokens.ADMIN,
    call: async () => ({ path: `/api/v1/authorizations/${(await createAuthorization(t.request, org.tokens.ADMIN)).id}` }),
  },
  {
    name: 'POST /api/v1/authorizations/:id/reservations',
    method: 'POST',
    success: 201,
    idempotent: true,
    token: () => org.tokens.PRACTITIONER,
    call: async () => ({ path: `/api/v1/authorizations/${shared.unitsAuthorizationId}/reservations`, body: { units: 1 } }),
  },
  {
    name: 'GET /api/v1/authorizations/:id/reservations',
    method: 'GET',
    success: 200,
    token: () => org.tokens.VIEWER,
    call: async () => ({ path: `/api/v1/authorizations/${shared.authorizationId}/reservations` }),
  },
  { name: 'GET /api/v1/reservations/:id', method: 'GET', success: 200, token: () => org.tokens.VIEWER, call: async () => ({ path: `/api/v1/reservations/${shared.reservationId}` }) },
  {
    name: 'POST /api/v1/reservations/:id/consume',
    method: 'POST',
    success: 200,
    idempotent: true,
    token: () => org.tokens.PRACTITIONER,
    call: async () => ({ path: `/api/v1/reservations/${await freshReservation()}/consume`, body: { units: 1 } }),
  },
  {
    name: 'POST /api/v1/reservations/:id/release',
    method: 'POST',
    success: 200,
    idempotent: true,
    token: () => org.tokens.PRACTITIONER,
    call: async () => ({ path: `/api/v1/reservations/${await freshReservation()}/release` }),
  },
  { name: 'GET /api/v1/authorizations/:id/ledger', method: 'GET', success: 200, token: () => org.tokens.VIEWER, call: async () => ({ path: `/api/v1/authorizations/${shared.authorizationId}/ledger` }) },
  // SPEC §10
  {
    name: 'POST /api/v1/authorizations/:id/lines',
    method: 'POST',
    success: 201,
    idempotent: true,
    token: () => org.tokens.ADMIN,
    call: async () => ({
      path: `/api/v1/authorizations/${(await createAuthorization(t.request, org.tokens.ADMIN)).id}/lines`,
      body: { serviceCode: '97155', modifiers: ['HO'], totalUnits: 10, caps: [{ period: 'WEEK', units: 5 }] },
    }),
  },
  {
    name: 'PATCH /api/v1/authorizations/:id/lines/:lineId',
    method: 'PATCH',
    success: 200,
    token: () => org.tokens.ADMIN,
    call: async () => ({ path: `/api/v1/authorizations/${shared.lineAuthorizationId}/lines/${shared.lineId}`, body: { caps: [{ period: 'MONTH', units: 30 }] } }),
  },
  {
    name: 'POST /api/v1/reservations',
    method: 'POST',
    success: 201,
    idempotent: true,
    token: () => org.tokens.PRACTITIONER,
    call: async () => ({ path: '/api/v1/reservations', body: { patientId: shared.patientId, serviceCode: '97153', units: 1 } }),
  },
  {
    name: 'PATCH /api/v1/reservations/:id',
    method: 'PATCH',
    success: 200,
    idempotent: true,
    token: () => org.tokens.PRACTITIONER,
    call: async () => ({ path: `/api/v1/reservations/${await freshReservation()}`, body: { units: 2, serviceDate: dayOffset(1) } }),
  },
  { name: 'GET /api/v1/authorizations/:id/utilization', method: 'GET', success: 200, token: () => org.tokens.VIEWER, call: async () => ({ path: `/api/v1/authorizations/${shared.authorizationId}/utilization` }) },
  { name: 'GET /api/v1/utilization', method: 'GET', success: 200, token: () => org.tokens.VIEWER, call: at('/api/v1/utilization') },
  { name: 'GET /api/v1/events', method: 'GET', success: 200, token: () => org.tokens.VIEWER, call: at('/api/v1/events') },
  // SPEC §11 sessions (public: the refresh token is in the body) and machine clients.
  { name: 'POST /api/v1/auth/refresh', method: 'POST', success: 200, call: async () => ({ path: '/api/v1/auth/refresh', body: { refreshToken: await freshRefreshToken() } }) },
  { name: 'POST /api/v1/auth/logout', method: 'POST', success: 204, call: async () => ({ path: '/api/v1/auth/logout', body: { refreshToken: await freshRefreshToken() } }) },
  { name: 'POST /api/v1/api-keys', method: 'POST', success: 201, token: () => org.tokens.ADMIN, call: async () => ({ path: '/api/v1/api-keys', body: { name: unique('raw-key'), role: 'VIEWER' } }) },
  { name: 'GET /api/v1/api-keys', method: 'GET', success: 200, token: () => org.tokens.ADMIN, call: at('/api/v1/api-keys') },
  { name: 'DELETE /api/v1/api-keys/:id', method: 'DELETE', success: 204, token: () => org.tokens.ADMIN, call: async () => ({ path: `/api/v1/api-keys/${await freshApiKeyId()}` }) },
  // SPEC §11 webhooks (ADMIN; a loopback URL, the app runs with WEBHOOK_ALLOW_HTTP_LOOPBACK=true)
  {
    name: 'POST /api/v1/webhooks',
    method: 'POST',
    success: 201,
    token: () => org.tokens.ADMIN,
    call: async () => {
      await roomForWebhooks();
      return { path: '/api/v1/webhooks', body: { url: LOOPBACK_WEBHOOK_URL, events: ['reservation.created'], description: unique('raw-hook') } };
    },
  },
  { name: 'GET /api/v1/webhooks', method: 'GET', success: 200, token: () => org.tokens.ADMIN, call: at('/api/v1/webhooks') },
  { name: 'GET /api/v1/webhooks/:id', method: 'GET', success: 200, token: () => org.tokens.ADMIN, call: async () => ({ path: `/api/v1/webhooks/${await freshWebhookId()}` }) },
  {
    name: 'GET /api/v1/webhooks/:id/deliveries',
    method: 'GET',
    success: 200,
    token: () => org.tokens.ADMIN,
    call: async () => ({ path: `/api/v1/webhooks/${await freshWebhookId()}/deliveries` }),
  },
  {
    name: 'PATCH /api/v1/webhooks/:id',
    method: 'PATCH',
    success: 200,
    token: () => org.tokens.ADMIN,
    call: async () => ({ path: `/api/v1/webhooks/${await freshWebhookId()}`, body: { enabled: false } }),
  },
  { name: 'DELETE /api/v1/webhooks/:id', method: 'DELETE', success: 204, token: () => org.tokens.ADMIN, call: async () => ({ path: `/api/v1/webhooks/${await freshWebhookId()}` }) },
  { name: 'GET /health/live', method: 'GET', success: 200, call: at('/health/live') },
  { name: 'GET /health/ready', method: 'GET', success: 200, call: at('/health/ready') },
  { name: 'GET /metrics', method: 'GET', success: 200, token: () => METRICS_TOKEN, call: at('/metrics') },
  { name: 'GET /api/docs', method: 'GET', success: 200, call: at('/api/docs') },
  { name: 'GET /api/docs-json', method: 'GET', success: 200, call: at('/api/docs-json') },
];

/** One request to a route, with `header` replacing the route's own header of that name. */
async function send(route: Route, path: string, body: unknown, header: [string, Buffer]): Promise<RawResult> {
  const own: [string, string][] = [];
  if (route.token) own.push(['Authorization', `Bearer ${route.token()}`]);
  if (body !== undefined) own.push(['Content-Type', 'application/json']);
  const headers = [...own.filter(([name]) => name.toLowerCase() !== header[0].toLowerCase()), header];
  return rawHttp(t.base, { method: route.method, path, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

/** "401 UNAUTHORIZED", "201", or Node's own refusal. */
function outcome(res: RawResult): string {
  if (res.status === 400 && res.text === '') return NODE_REFUSAL;
  return res.status >= 400 ? `${res.status} ${res.body?.code}` : String(res.status);
}

interface Placement {
  name: string;
  header: string;
  value: (route: Route, byte: number) => Buffer;
  /** The answer to a value with an obs-text byte. */
  expected: (route: Route, body: unknown) => string;
  /** More checks on an answer of the application. */
  check?: (res: RawResult, sent: Buffer) => void;
}

const refusedOr = (refused: boolean, answer: string, route: Route) => (refused ? answer : String(route.success));
/** The route's own token (or root's on a public route), with one byte in its last character or in place of the space. */
const mangledBearer = (route: Route, byte: number, where: 'last character' | 'separator') => {
  const token = route.token?.() ?? root;
  return where === 'separator' ? withByte('Bearer', byte, token) : withByte(`Bearer ${token.slice(0, -1)}`, byte);
};

const PLACEMENTS: Placement[] = [
  {
    name: 'Authorization: Bearer <token, its last character a raw byte>',
    header: 'Authorization',
    value: (route, byte) => mangledBearer(route, byte, 'last character'),
    expected: (route) => refusedOr(route.token !== undefined, '401 UNAUTHORIZED', route),
  },
  {
    name: 'Authorization: Bearer<raw byte instead of the space><token>',
    header: 'Authorization',
    value: (route, byte) => mangledBearer(route, byte, 'separator'),
    expected: (route) => refusedOr(route.token !== undefined, '401 UNAUTHORIZED', route),
  },
  {
    name: 'Idempotency-Key: key-<raw byte>-1',
    header: 'Idempotency-Key',
    value: (_route, byte) => withByte('key-', byte, '-1'),
    expected: (route) => refusedOr(route.idempotent === true, '400 VALIDATION_FAILED', route),
    check: (res) => {
      if (res.status === 400) expect(reportedFields(res.body)).toEqual(['Idempotency-Key']);
    },
  },
  {
    name: 'X-Request-Id: req-<raw byte>-1',
    header: 'X-Request-Id',
    value: (_route, byte) => withByte('req-', byte, '-1'),
    expected: (route) => String(route.success),
    check: (res, sent) => {
      const requestId = res.headers['x-request-id'];
      expect(requestId).toMatch(UUID);
      expect(logLines.filter((line) => line.requestId === requestId)).toEqual([expect.objectContaining({ msg: 'request', status: res.status })]);
      expect(logLines.filter((line) => JSON.stringify(line).includes(sent.toString('latin1')))).toEqual([]);
    },
  },
  {
    name: 'Content-Type: application/json<raw byte>',
    header: 'Content-Type',
    value: (_route, byte) => withByte('application/json', byte),
    expected: (route, body) => refusedOr(body !== undefined, '415 UNSUPPORTED_MEDIA_TYPE', route),
  },
  {
    name: 'Content-Type: application/json; charset=utf-8<raw byte>',
    header: 'Content-Type',
    value: (_route, byte) => withByte('application/json; charset=utf-8', byte),
    expected: (route) => String(route.success),
  },
];

beforeAll(async () => {
  const logSink = { write: (line: string) => void logLines.push(JSON.parse(line)) };
  t = await startTestApp(
    {
      METRICS_TOKEN,
      LOG_LEVEL: 'info',
      RATE_LIMIT_USER_PER_MINUTE: '1000000',
      RATE_LIMIT_ANON_PER_MINUTE: '1000000',
      RATE_LIMIT_LOGIN_PER_15_MIN: '1000000',
      RATE_LIMIT_REFRESH_PER_MINUTE: '1000000',
      ...WEBHOOK_TEST_ENV,
    },
    undefined,
    logSink,
  );
  root = await rootToken(t.request);
  org = await createOrg(t.request, root);
  const authorization = await createAuthorization(t.request, org.tokens.ADMIN);
  const units = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 1_000_000 });
  const reservation = await t.request('POST', `/api/v1/authorizations/${authorization.id}/reservations`, { token: org.tokens.ADMIN, body: { units: 2 } });
  const patientId = unique('patient');
  await createAuthorization(t.request, org.tokens.ADMIN, { patientId, totalUnits: 1_000_000 });
  const lines = await createAuthorization(t.request, org.tokens.ADMIN, {
    patientId: unique('patient'),
    serviceCode: undefined,
    totalUnits: undefined,
    lines: [
      { serviceCode: '97153', totalUnits: 60 },
      { serviceCode: '97155', modifiers: ['HO'], totalUnits: 20 },
    ],
  });
  shared = {
    authorizationId: authorization.id,
    reservationId: reservation.body.reservation.id,
    userId: org.userIds.VIEWER,
    unitsAuthorizationId: units.id,
    patientId,
    lineAuthorizationId: lines.id,
    lineId: lines.lines[1].id,
  };
});
afterAll(() => t?.close());

it(`covers every route of SPEC §5, §10 and §11, the probes, /metrics and the docs (${ROUTES.length})`, () => {
  expect(ROUTES).toHaveLength(43);
  expect(ROUTES.filter((r) => r.idempotent).map((r) => r.name)).toHaveLength(9);
});

describe.each(PLACEMENTS.map((p) => [p.name, p]))('%s', (_name, placement) => {
  it.each(ROUTES.map((r) => [r.name, r]))('%s: the exact answer for each byte, nothing written when refused', async (_route, route) => {
    const seen: Record<string, string> = {};
    const wanted: Record<string, string> = {};
    for (const byte of BYTES) {
      const { path, body } = await route.call();
      const before = await fingerprint(t.sql);
      const sent = placement.value(route, byte);
      const res = await send(route, path, body, [placement.header, sent]);
      const wrote = res.status >= 400 && (await fingerprint(t.sql)) !== before;
      seen[hex(byte)] = outcome(res) + (wrote ? ', and wrote' : '');
      wanted[hex(byte)] = CONTROL.includes(byte) ? NODE_REFUSAL : placement.expected(route, body);
      if (outcome(res) === NODE_REFUSAL) continue;
      if (res.status >= 400) expectApiErrorBody(res);
      placement.check?.(res, sent);
    }
    expect(seen).toEqual(wanted);
  });
});

describe('GET /metrics with METRICS_TOKEN=abcdefgh', () => {
  const scrape = (authorization: Buffer) => rawHttp(t.base, { method: 'GET', path: '/metrics', headers: [['Authorization', authorization]] });

  it('Bearer abcdefgh → 200; Bearer abcdefg\\xe9 (same length in characters, not in bytes) → 401 UNAUTHORIZED', async () => {
    expect((await scrape(Buffer.from('Bearer abcdefgh'))).status).toBe(200);
    const res = await scrape(withByte('Bearer abcdefg', 0xe9));
    expect({ status: res.status, code: res.body?.code }).toEqual({ status: 401, code: 'UNAUTHORIZED' });
  });

  it('fuzz: any 8 bytes in place of the token → 401 UNAUTHORIZED (bare 400 from Node for control bytes)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 8, maxLength: 8 }), async (bytes) => {
        const token = Buffer.from(bytes);
        const res = await scrape(Buffer.concat([Buffer.from('Bearer '), token]));
        const control = /[\x00-\x08\x0a-\x1f\x7f]/.test(token.toString('latin1'));
        expect(outcome(res)).toBe(control ? NODE_REFUSAL : token.toString('latin1') === METRICS_TOKEN ? '200' : '401 UNAUTHORIZED');
      }),
      fuzzParams(150),
    );
  });
});

describe('fuzz: a valid access token with one character replaced by an obs-text byte', () => {
  it('→ 401 UNAUTHORIZED on a read and on a write, nothing written', async () => {
    const before = await fingerprint(t.sql);
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 0x80, max: 0xff }), fc.boolean(), async (i, byte, write) => {
        const token = org.tokens.PRACTITIONER;
        const position = i % token.length;
        const authorization = withByte(`Bearer ${token.slice(0, position)}`, byte, token.slice(position + 1));
        const res = write
          ? await rawHttp(t.base, {
              method: 'POST',
              path: `/api/v1/authorizations/${shared.unitsAuthorizationId}/reservations`,
              headers: [['Authorization', authorization], ['Content-Type', 'application/json']],
              body: '{"units":1}',
            })
          : await rawHttp(t.base, { method: 'GET', path: '/api/v1/auth/me', headers: [['Authorization', authorization]] });
        expect(outcome(res)).toBe('401 UNAUTHORIZED');
      }),
      fuzzParams(150),
    );
    expect(await fingerprint(t.sql)).toBe(before);
  });
});

describe('GET /metrics with a METRICS_TOKEN that is not ASCII', () => {
  let other: TestApp;
  const TOKEN = 'clé-abcdefgh';
  const scrape = (authorization: Buffer) => rawHttp(other.base, { method: 'GET', path: '/metrics', headers: [['Authorization', authorization]] });

  beforeAll(async () => {
    other = await startTestApp({ METRICS_TOKEN: TOKEN });
  });
  afterAll(() => other?.close());

  it("the token's UTF-8 bytes → 200; its latin1 bytes (one byte for é) or another token → 401 UNAUTHORIZED", async () => {
    expect(outcome(await scrape(Buffer.from(`Bearer ${TOKEN}`, 'utf8')))).toBe('200');
    expect(outcome(await scrape(Buffer.from(`Bearer ${TOKEN}`, 'latin1')))).toBe('401 UNAUTHORIZED');
    expect(outcome(await scrape(Buffer.from('Bearer clé-abcdefgX', 'utf8')))).toBe('401 UNAUTHORIZED');
  });
});
