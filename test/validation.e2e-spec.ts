import { randomBytes } from 'node:crypto';
import { factories, LOOPBACK_WEBHOOK_URL, WEBHOOK_TEST_ENV } from './helpers/routes';
import { startTestApp, TestApp } from './helpers/test-app';
import { createAuthorization, createOrg, dayOffset, OrgWorld, PASSWORD, rootToken } from './helpers/world';

// SPEC §3 (fields and limits), §5 (status codes: 400 VALIDATION_FAILED with the offending fields,
// 413 over 100 kB, never a 500) and §6. Every route with a body or a query gets a table of bad
// inputs, each with its exact status and code; after every rejected mutating request the
// database is byte-for-byte what it was before.

interface Sent {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

interface Case {
  name: string;
  /** A JSON value sent as application/json (a function: built when the case runs). */
  body?: unknown;
  /** Sent as-is (string or bytes) — for malformed JSON and invalid UTF-8. */
  raw?: string | Buffer;
  contentType?: string;
  /** Query string for GET routes (without the "?"). */
  query?: string;
  status: number;
  code: string;
  /** The field `fields` must name (400 VALIDATION_FAILED). */
  field?: string;
}

interface Route {
  name: string;
  method: 'GET' | 'POST' | 'PATCH';
  /** Evaluated per case (it may create the object the case acts on). */
  path: () => Promise<string> | string;
  token: () => string | undefined;
  cases: Case[];
}

const seen: { method: string; path: string; status: number }[] = [];
let t: TestApp;

async function send(method: string, path: string, opts: { token?: string; body?: unknown; raw?: string | Buffer; contentType?: string; headers?: Record<string, string> } = {}): Promise<Sent> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | Uint8Array | undefined;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = opts.contentType ?? 'application/json';
  } else if (opts.raw !== undefined) {
    body = typeof opts.raw === 'string' ? opts.raw : new Uint8Array(opts.raw);
    headers['content-type'] = opts.contentType ?? 'application/json';
  }
  const res = await fetch(`${t.base}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: any;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  seen.push({ method, path, status: res.status });
  return { status: res.status, body: parsed, text, headers: res.headers };
}

/** SPEC §5: every error body is {statusCode, error, message, code}; never a stack trace. */
function expectErrorShape(res: Sent): void {
  expect(res.body).toEqual(
    expect.objectContaining({ statusCode: res.status, error: expect.any(String), message: expect.any(String), code: expect.any(String) }),
  );
  expect(res.text).not.toMatch(/\bat .+\.(ts|js):\d+/);
  expect(res.text).not.toMatch(/node_modules|QueryFailedError|DriverException|SELECT |INSERT /i);
}

/** Everything a request could have written, in one comparable value. */
async function snapshot(): Promise<Record<string, unknown>> {
  const digest = (table: string) =>
    `(select count(*)::int || ':' || coalesce(md5(string_agg(x::text, '|' order by x::text)), '') from ${table} x)`;
  const { rows } = await t.sql.query(`select
    ${digest('organizations')} as organizations,
    ${digest('users')} as users,
    ${digest('authorizations')} as authorizations,
    ${digest('reservations')} as reservations,
    ${digest('ledger_entries')} as ledger,
    ${digest('idempotency_keys')} as idempotency,
    ${digest('authorization_lines')} as lines,
    ${digest('authorization_caps')} as caps,
    ${digest('cap_buckets')} as buckets,
    ${digest('refresh_tokens')} as refresh_tokens,
    ${digest('api_keys')} as api_keys,
    ${digest('webhook_endpoints')} as webhook_endpoints`);
  return rows[0];
}

const s = (n: number, c = 'x') => c.repeat(n);
const unique = () => randomBytes(4).toString('hex');
const b64 = (text: string) => Buffer.from(text).toString('base64url');
const deepArray = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
const deepObject = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);

/** Body-level attacks every JSON route must refuse the same way. */
/** `limit`: the route's body limit in bytes (login reads at most 8 kB; nested bodies above it are 413 before any parsing). */
function bodyCases(base: Record<string, unknown>, textField?: string, limit = 100 * 1024): Case[] {
  const nested = (name: string, raw: string): Case =>
    raw.length > limit ? { name, raw, status: 413, code: 'PAYLOAD_TOO_LARGE' } : { name, raw, status: 400, code: 'VALIDATION_FAILED' };
  const json = JSON.stringify(base);
  const inner = json.slice(1, -1);
  const cases: Case[] = [
    { name: 'malformed JSON (truncated)', raw: json.slice(0, -3), status: 400, code: 'VALIDATION_FAILED', field: 'body' },
    { name: 'malformed JSON (trailing comma)', raw: `{${inner},}`, status: 400, code: 'VALIDATION_FAILED', field: 'body' },
    { name: 'malformed JSON (single quotes)', raw: json.replace(/"/g, "'"), status: 400, code: 'VALIDATION_FAILED', field: 'body' },
    { name: 'a body of null', raw: 'null', status: 400, code: 'VALIDATION_FAILED', field: 'body' },
    { name: 'a body of "text"', raw: '"text"', status: 400, code: 'VALIDATION_FAILED', field: 'body' },
    { name: 'a body of 5', raw: '5', status: 400, code: 'VALIDATION_FAILED', field: 'body' },
    { name: 'a body of []', raw: '[]', status: 400, code: 'VALIDATION_FAILED' },
    { name: 'the body wrapped in an array', raw: `[${json}]`, status: 400, code: 'VALIDATION_FAILED' },
    { name: '"__proto__" key', raw: `{"__proto__":{"role":"SUPER_ADMIN","isAdmin":true},${inner}}`, status: 400, code: 'VALIDATION_FAILED', field: '__proto__' },
    { name: '"constructor" key', raw: `{"constructor":{"prototype":{"isAdmin":true}},${inner}}`, status: 400, code: 'VALIDATION_FAILED', field: 'constructor' },
    { name: 'nested "__proto__" key', raw: `{${inner},"x":{"y":{"__proto__":{"polluted":1}}}}`, status: 400, code: 'VALIDATION_FAILED', field: 'x.y.__proto__' },
    { name: '"prototype" key', raw: `{${inner},"prototype":{"polluted":1}}`, status: 400, code: 'VALIDATION_FAILED', field: 'prototype' },
    nested('10,000 levels of nested arrays', deepArray(10_000)),
    nested('10,000 levels of nested objects', deepObject(10_000)),
    nested('1,000 levels of nested arrays', deepArray(1_000)),
    { name: 'a 200 kB body', raw: `{${inner},"padding":"${s(200_000)}"}`, status: 413, code: 'PAYLOAD_TOO_LARGE' },
    { name: 'a 101 kB body', raw: `{${inner},"padding":"${s(101 * 1024)}"}`, status: 413, code: 'PAYLOAD_TOO_LARGE' },
    { name: 'an unsupported charset', raw: json, contentType: 'application/json; charset=koi8-r', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  ];
  if (textField) {
    // {"...": ..., "<textField>": "ab<FF FE C3 28>cd"}: a well-formed JSON string whose bytes are not UTF-8.
    const rest = JSON.stringify(Object.fromEntries(Object.entries(base).filter(([k]) => k !== textField))).slice(1, -1);
    const prefix = Buffer.from(rest ? `{${rest},"${textField}":"ab` : `{"${textField}":"ab`);
    cases.push({
      name: `invalid UTF-8 bytes in ${textField}`,
      raw: Buffer.concat([prefix, Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('cd"}')]),
      status: 400,
      code: 'VALIDATION_FAILED',
    });
  }
  return cases;
}

describe('validation: malformed inputs per route, each answered 4xx with its exact code', () => {
  let root: string;
  let org: OrgWorld;
  let auth: { id: string; startDate: string; endDate: string };
  let reservationAuth: { id: string };
  let consumeAuth: { id: string };
  let patchTarget: { id: string };
  let reservationId: string;
  /** SPEC §10: two lines (97153 of 60 with a weekly cap of 20; 97155-HO of 20), for POST …/lines and PATCH …/lines/:lineId. */
  let lineAuth: { id: string; lineId: string };
  /** SPEC §11: a webhook endpoint, for PATCH /webhooks/:id. */
  let hook: { id: string };
  const patientId = `patient-v-${unique()}`;

  beforeAll(async () => {
    t = await startTestApp(WEBHOOK_TEST_ENV);
    root = await rootToken(t.request);
    org = await createOrg(t.request, root);
    auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 50, notes: 'original notes' });
    reservationAuth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 10 });
    consumeAuth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 1_000_000 });
    const target = await t.request('POST', '/api/v1/users', {
      token: org.tokens.ADMIN,
      body: { email: `patch-target-${unique()}@example.com`, password: PASSWORD, role: 'PRACTITIONER' },
    });
    expect(target.status).toBe(201);
    patchTarget = target.body;
    const r = await t.request('POST', `/api/v1/authorizations/${consumeAuth.id}/reservations`, { token: org.tokens.PRACTITIONER, body: { units: 5 } });
    expect(r.status).toBe(201);
    reservationId = r.body.reservation.id;
    const twoLines = await createAuthorization(t.request, org.tokens.ADMIN, {
      patientId,
      serviceCode: undefined,
      totalUnits: undefined,
      lines: [
        { serviceCode: '97153', totalUnits: 60, caps: [{ period: 'WEEK', units: 20 }] },
        { serviceCode: '97155', modifiers: ['HO'], totalUnits: 20 },
      ],
    });
    lineAuth = { id: twoLines.id, lineId: twoLines.lines.find((l: { serviceCode: string }) => l.serviceCode === '97155').id };
    hook = await factories(t.request, org).webhook();
  });
  afterAll(() => t.close());

  const authBase = () => ({
    patientId: 'patient-v',
    payer: 'Acme Health',
    authNumber: `AUTH-${unique()}`,
    serviceCode: '97153',
    totalUnits: 50,
    startDate: dayOffset(-10),
    endDate: dayOffset(90),
  });
  // Built when the case runs (org does not exist while the tables are declared).
  const user = (patch: Record<string, unknown>) => () => ({ email: `new-${unique()}@example.com`, password: PASSWORD, role: 'PRACTITIONER', organizationId: org.id, ...patch });
  /** The payer-shaped body (SPEC §10), valid as it is. */
  const linesBase = () => ({
    patientId: 'patient-v',
    authNumber: `AUTH-${unique()}`,
    lines: [
      { serviceCode: '97153', totalUnits: 40, caps: [{ period: 'WEEK', units: 10 }] },
      { serviceCode: '97155', modifiers: ['HO'], totalUnits: 20 },
    ],
    poolUnits: 50,
    caps: [{ period: 'MONTH', units: 30 }],
    startDate: dayOffset(-10),
    endDate: dayOffset(90),
  });
  const V = 'VALIDATION_FAILED';
  const bad = (name: string, body: unknown, field: string): Case => ({ name, body, status: 400, code: V, field });
  const badQuery = (query: string, field: string): Case => ({ name: `?${query}`, query, status: 400, code: V, field });

  const routes: Route[] = [
    {
      name: 'POST /api/v1/auth/login',
      method: 'POST',
      path: () => '/api/v1/auth/login',
      token: () => undefined,
      // One email per case: the login limit (10 per 15 min) is per email.
      cases: [
        bad('unknown field', { email: 'l1@example.com', password: 'whatever-password', remember: true }, 'remember'),
        bad('email a number', { email: 5, password: 'whatever-password' }, 'email'),
        bad('email null', { email: null, password: 'whatever-password' }, 'email'),
        bad('email missing', { password: 'whatever-password' }, 'email'),
        bad('password a number', { email: 'l2@example.com', password: 123456789012 }, 'password'),
        bad('password null', { email: 'l3@example.com', password: null }, 'password'),
        bad('password missing', { email: 'l4@example.com' }, 'password'),
        bad('password an array', { email: 'l5@example.com', password: ['a'] }, 'password'),
        bad('password an object', { email: 'l6@example.com', password: { $ne: '' } }, 'password'),
        bad('email over 254 chars', { email: `${s(250)}@example.com`, password: 'whatever-password' }, 'email'),
        bad('password over 1024 chars', { email: 'l7@example.com', password: s(1025) }, 'password'),
        ...bodyCases({ email: 'l8@example.com', password: 'whatever-password' }, 'password', 8 * 1024),
      ],
    },
    // SPEC §11 sessions: the refresh token in the body (a valid-looking one that was never issued is 401, not 400).
    // Refresh and logout share one per-IP budget (60 a minute): these cases stay below it.
    ...(['refresh', 'logout'] as const).map(
      (action): Route => ({
        name: `POST /api/v1/auth/${action}`,
        method: 'POST',
        path: () => `/api/v1/auth/${action}`,
        token: () => undefined,
        cases: [
          bad('refreshToken missing', {}, 'refreshToken'),
          bad('refreshToken a number', { refreshToken: 5 }, 'refreshToken'),
          bad('refreshToken null', { refreshToken: null }, 'refreshToken'),
          bad('refreshToken empty', { refreshToken: '' }, 'refreshToken'),
          bad('refreshToken an array', { refreshToken: ['ulr_x'] }, 'refreshToken'),
          bad('refreshToken an object', { refreshToken: { $ne: '' } }, 'refreshToken'),
          bad('refreshToken over 512 chars', { refreshToken: s(513) }, 'refreshToken'),
          bad('unknown field', { refreshToken: 'ulr_x', userId: 'x' }, 'userId'),
          { name: 'a refresh token never issued', body: { refreshToken: `ulr_${s(43)}` }, status: 401, code: 'INVALID_REFRESH_TOKEN' },
          ...bodyCases({ refreshToken: 'ulr_x' }, 'refreshToken', 4 * 1024),
        ],
      }),
    ),
    {
      name: 'POST /api/v1/organizations',
      method: 'POST',
      path: () => '/api/v1/organizations',
      token: () => root,
      cases: [
        bad('name missing', {}, 'name'),
        bad('name empty', { name: '' }, 'name'),
        bad('name blank', { name: '   ' }, 'name'),
        bad('name 201 chars', { name: s(201) }, 'name'),
        bad('name a number', { name: 5 }, 'name'),
        bad('name null', { name: null }, 'name'),
        bad('name an array', { name: ['Org'] }, 'name'),
        bad('name an object', { name: { first: 'Org' } }, 'name'),
        bad('unknown field', { name: 'Org', extra: 1 }, 'extra'),
        bad('id (mass assignment)', { name: 'Org', id: '00000000-0000-4000-8000-000000000000' }, 'id'),
        ...bodyCases({ name: 'Org' }, 'name'),
      ],
    },
    {
      name: 'POST /api/v1/users',
      method: 'POST',
      path: () => '/api/v1/users',
      token: () => root,
      cases: [
        bad('email not an email', user({ email: 'not-an-email' }), 'email'),
        bad('email empty', user({ email: '' }), 'email'),
        bad('email a number', user({ email: 5 }), 'email'),
        bad('email null', user({ email: null }), 'email'),
        bad('password 11 chars', user({ password: s(11, 'p') }), 'password'),
        bad('password 129 chars', user({ password: s(129, 'p') }), 'password'),
        bad('password a number', user({ password: 123456789012345 }), 'password'),
        bad('password null', user({ password: null }), 'password'),
        bad('role unknown', user({ role: 'GOD' }), 'role'),
        bad('role lowercase', user({ role: 'practitioner' }), 'role'),
        bad('role null', user({ role: null }), 'role'),
        bad('role missing', user({ role: undefined }), 'role'),
        bad('organizationId not a uuid', user({ organizationId: 'org-1' }), 'organizationId'),
        bad('organizationId a number', user({ organizationId: 5 }), 'organizationId'),
        bad('active (mass assignment)', user({ active: false }), 'active'),
        bad('passwordHash (mass assignment)', user({ passwordHash: '$argon2id$v=19$m=1,t=1,p=1$x$y' }), 'passwordHash'),
        bad('unknown field', user({ extra: 1 }), 'extra'),
        ...bodyCases({ email: `raw-${unique()}@example.com`, password: PASSWORD, role: 'SUPER_ADMIN' }, 'password'),
      ],
    },
    {
      name: 'PATCH /api/v1/users/:id',
      method: 'PATCH',
      path: () => `/api/v1/users/${patchTarget.id}`,
      token: () => org.tokens.ADMIN,
      cases: [
        bad('role unknown', { role: 'GOD' }, 'role'),
        bad('role lowercase', { role: 'viewer' }, 'role'),
        bad('role a number', { role: 1 }, 'role'),
        bad('role null', { role: null }, 'role'),
        bad('active "true" (a string)', { active: 'true' }, 'active'),
        bad('active "false" (a string)', { active: 'false' }, 'active'),
        bad('active 0', { active: 0 }, 'active'),
        bad('active null', { active: null }, 'active'),
        bad('email (not changeable)', { email: 'other@example.com' }, 'email'),
        bad('password (not changeable)', { password: 'another-password-1' }, 'password'),
        bad('organizationId (not changeable)', { organizationId: '00000000-0000-4000-8000-000000000000' }, 'organizationId'),
        bad('unknown field', { active: false, extra: 1 }, 'extra'),
        ...bodyCases({ active: false }),
      ],
    },
    {
      name: 'POST /api/v1/authorizations',
      method: 'POST',
      path: () => '/api/v1/authorizations',
      token: () => org.tokens.ADMIN,
      cases: [
        bad('unknown field', { ...authBase(), extra: 1 }, 'extra'),
        bad('usedUnits (mass assignment)', { ...authBase(), usedUnits: 0 }, 'usedUnits'),
        bad('scheduledUnits (mass assignment)', { ...authBase(), scheduledUnits: 0 }, 'scheduledUnits'),
        bad('availableUnits (mass assignment)', { ...authBase(), availableUnits: 50 }, 'availableUnits'),
        bad('id (mass assignment)', { ...authBase(), id: '00000000-0000-4000-8000-000000000000' }, 'id'),
        bad('totalUnits "5"', { ...authBase(), totalUnits: '5' }, 'totalUnits'),
        bad('totalUnits 2.5', { ...authBase(), totalUnits: 2.5 }, 'totalUnits'),
        bad('totalUnits 1e20', { ...authBase(), totalUnits: 1e20 }, 'totalUnits'),
        bad('totalUnits 2**53', { ...authBase(), totalUnits: 2 ** 53 }, 'totalUnits'),
        bad('totalUnits 0', { ...authBase(), totalUnits: 0 }, 'totalUnits'),
        bad('totalUnits -5', { ...authBase(), totalUnits: -5 }, 'totalUnits'),
        bad('totalUnits 1000001', { ...authBase(), totalUnits: 1_000_001 }, 'totalUnits'),
        bad('totalUnits null', { ...authBase(), totalUnits: null }, 'totalUnits'),
        bad('totalUnits true', { ...authBase(), totalUnits: true }, 'totalUnits'),
        bad('totalUnits [5]', { ...authBase(), totalUnits: [5] }, 'totalUnits'),
        bad('totalUnits {}', { ...authBase(), totalUnits: {} }, 'totalUnits'),
        bad('totalUnits missing', { ...authBase(), totalUnits: undefined }, 'totalUnits'),
        bad('serviceCode lowercase', { ...authBase(), serviceCode: 'abcd' }, 'serviceCode'),
        bad('serviceCode 3 chars', { ...authBase(), serviceCode: '971' }, 'serviceCode'),
        bad('serviceCode 9 chars', { ...authBase(), serviceCode: '971531234' }, 'serviceCode'),
        bad('serviceCode with a dash', { ...authBase(), serviceCode: '97-53' }, 'serviceCode'),
        bad('serviceCode a number', { ...authBase(), serviceCode: 97153 }, 'serviceCode'),
        bad('serviceCode null', { ...authBase(), serviceCode: null }, 'serviceCode'),
        bad("patientId ''", { ...authBase(), patientId: '' }, 'patientId'),
        bad('patientId 129 chars', { ...authBase(), patientId: s(129) }, 'patientId'),
        bad('patientId a number', { ...authBase(), patientId: 12345 }, 'patientId'),
        bad('patientId null', { ...authBase(), patientId: null }, 'patientId'),
        bad('patientId an object', { ...authBase(), patientId: { $gt: '' } }, 'patientId'),
        bad("authNumber ''", { ...authBase(), authNumber: '' }, 'authNumber'),
        bad('authNumber 65 chars', { ...authBase(), authNumber: s(65) }, 'authNumber'),
        bad('authNumber an array', { ...authBase(), authNumber: ['A-1'] }, 'authNumber'),
        bad('payer 129 chars', { ...authBase(), payer: s(129) }, 'payer'),
        bad('payer a number', { ...authBase(), payer: 7 }, 'payer'),
        bad('notes 2001 chars', { ...authBase(), notes: s(2001) }, 'notes'),
        bad('notes an object', { ...authBase(), notes: { text: 'x' } }, 'notes'),
        bad("startDate '2026-02-30'", { ...authBase(), startDate: '2026-02-30' }, 'startDate'),
        bad("startDate '2026-1-1'", { ...authBase(), startDate: '2026-1-1' }, 'startDate'),
        bad("startDate '20260101'", { ...authBase(), startDate: '20260101' }, 'startDate'),
        bad("startDate '2026-13-01'", { ...authBase(), startDate: '2026-13-01' }, 'startDate'),
        bad('startDate with a time', { ...authBase(), startDate: '2026-01-01T00:00:00Z' }, 'startDate'),
        bad('startDate a number', { ...authBase(), startDate: 20260101 }, 'startDate'),
        bad('startDate null', { ...authBase(), startDate: null }, 'startDate'),
        bad("endDate '2026-02-30'", { ...authBase(), endDate: '2026-02-30' }, 'endDate'),
        bad("endDate '2025-02-29' (not a leap year)", { ...authBase(), endDate: '2025-02-29' }, 'endDate'),
        bad("endDate 'tomorrow'", { ...authBase(), endDate: 'tomorrow' }, 'endDate'),
        bad('startDate after endDate', { ...authBase(), startDate: dayOffset(10), endDate: dayOffset(9) }, 'endDate'),
        bad('status CANCELLED at creation', { ...authBase(), status: 'CANCELLED' }, 'status'),
        bad('status EXPIRED (computed, not stored)', { ...authBase(), status: 'EXPIRED' }, 'status'),
        bad('status lowercase', { ...authBase(), status: 'active' }, 'status'),
        bad('organizationId not a uuid', { ...authBase(), organizationId: 'mine' }, 'organizationId'),
        ...bodyCases(authBase(), 'patientId'),
      ],
    },
    {
      name: 'PATCH /api/v1/authorizations/:id',
      method: 'PATCH',
      path: () => `/api/v1/authorizations/${auth.id}`,
      token: () => org.tokens.ADMIN,
      cases: [
        bad('totalUnits 0', { totalUnits: 0 }, 'totalUnits'),
        bad('totalUnits 1000001', { totalUnits: 1_000_001 }, 'totalUnits'),
        bad('totalUnits "5"', { totalUnits: '5' }, 'totalUnits'),
        bad('totalUnits 2.5', { totalUnits: 2.5 }, 'totalUnits'),
        bad('totalUnits 1e20', { totalUnits: 1e20 }, 'totalUnits'),
        bad('totalUnits 2**53', { totalUnits: 2 ** 53 }, 'totalUnits'),
        bad('totalUnits -1', { totalUnits: -1 }, 'totalUnits'),
        bad('totalUnits null', { totalUnits: null }, 'totalUnits'),
        bad("endDate '2026-02-30'", { endDate: '2026-02-30' }, 'endDate'),
        bad("endDate '2026-1-1'", { endDate: '2026-1-1' }, 'endDate'),
        bad("endDate '20260101'", { endDate: '20260101' }, 'endDate'),
        bad('endDate null', { endDate: null }, 'endDate'),
        bad('endDate before startDate', { endDate: dayOffset(-20) }, 'endDate'),
        bad('status EXPIRED (computed)', { status: 'EXPIRED' }, 'status'),
        bad('status EXHAUSTED (computed)', { status: 'EXHAUSTED' }, 'status'),
        bad('status lowercase', { status: 'cancelled' }, 'status'),
        bad('status null', { status: null }, 'status'),
        bad('notes 2001 chars', { notes: s(2001) }, 'notes'),
        bad('notes a number', { notes: 5 }, 'notes'),
        bad('payer 129 chars', { payer: s(129) }, 'payer'),
        bad('usedUnits (not writable)', { usedUnits: 0 }, 'usedUnits'),
        bad('scheduledUnits (not writable)', { scheduledUnits: 0 }, 'scheduledUnits'),
        bad('startDate (not writable)', { startDate: dayOffset(-5) }, 'startDate'),
        bad('organizationId (not writable)', { organizationId: '00000000-0000-4000-8000-000000000000' }, 'organizationId'),
        bad('authNumber (not writable)', { authNumber: 'NEW-1' }, 'authNumber'),
        bad('unknown field', { notes: 'n', extra: 1 }, 'extra'),
        ...bodyCases({ notes: 'changed' }, 'notes'),
      ],
    },
    {
      name: 'GET /api/v1/authorizations (query)',
      method: 'GET',
      path: () => '/api/v1/authorizations',
      token: () => org.tokens.VIEWER,
      cases: [
        badQuery('limit=0', 'limit'),
        badQuery('limit=101', 'limit'),
        badQuery('limit=abc', 'limit'),
        badQuery('limit=2.5', 'limit'),
        badQuery('limit=-1', 'limit'),
        badQuery('limit=1e1', 'limit'),
        badQuery('limit=', 'limit'),
        badQuery('limit=5abc', 'limit'),
        badQuery('limit=1&limit=2', 'limit'),
        badQuery('cursor=!!!', 'cursor'),
        badQuery(`cursor=${b64('not-a-uuid')}`, 'cursor'),
        badQuery(`cursor=${b64("' or 1=1 --")}`, 'cursor'),
        badQuery(`cursor=${s(201, 'a')}`, 'cursor'),
        badQuery('cursor=', 'cursor'),
        badQuery('status=FOO', 'status'),
        badQuery('status=active', 'status'),
        badQuery('serviceCode=abc', 'serviceCode'),
        badQuery('serviceCode=971531234', 'serviceCode'),
        badQuery('patientId=', 'patientId'),
        badQuery(`patientId=${s(129)}`, 'patientId'),
        badQuery('organizationId=not-a-uuid', 'organizationId'),
        badQuery('foo=bar', 'foo'),
      ],
    },
    {
      name: 'POST /api/v1/authorizations/:id/reservations',
      method: 'POST',
      path: () => `/api/v1/authorizations/${reservationAuth.id}/reservations`,
      token: () => org.tokens.PRACTITIONER,
      cases: [
        bad('units missing', {}, 'units'),
        bad('units 0', { units: 0 }, 'units'),
        bad('units -1', { units: -1 }, 'units'),
        bad('units "5"', { units: '5' }, 'units'),
        bad('units 2.5', { units: 2.5 }, 'units'),
        bad('units 1e20', { units: 1e20 }, 'units'),
        bad('units 2**53', { units: 2 ** 53 }, 'units'),
        bad('units 1000001', { units: 1_000_001 }, 'units'),
        bad('units null', { units: null }, 'units'),
        bad('units true', { units: true }, 'units'),
        bad('units [5]', { units: [5] }, 'units'),
        bad('units {}', { units: {} }, 'units'),
        bad("serviceDate '2026-02-30'", { units: 1, serviceDate: '2026-02-30' }, 'serviceDate'),
        bad("serviceDate '2026-1-1'", { units: 1, serviceDate: '2026-1-1' }, 'serviceDate'),
        bad("serviceDate '20260101'", { units: 1, serviceDate: '20260101' }, 'serviceDate'),
        bad('serviceDate a number', { units: 1, serviceDate: 20260101 }, 'serviceDate'),
        bad('reference 129 chars', { units: 1, reference: s(129) }, 'reference'),
        bad('reference a number', { units: 1, reference: 5 }, 'reference'),
        bad('expiresAt in the past', { units: 1, expiresAt: new Date(Date.now() - 60_000).toISOString() }, 'expiresAt'),
        bad('expiresAt without a time zone', { units: 1, expiresAt: '2099-01-01T10:00:00' }, 'expiresAt'),
        bad('expiresAt a date only', { units: 1, expiresAt: '2099-01-01' }, 'expiresAt'),
        bad('expiresAt not a date', { units: 1, expiresAt: 'tomorrow' }, 'expiresAt'),
        bad('expiresAt epoch millis', { units: 1, expiresAt: Date.now() + 3_600_000 }, 'expiresAt'),
        bad("expiresAt '2099-02-30T00:00:00Z'", { units: 1, expiresAt: '2099-02-30T00:00:00Z' }, 'expiresAt'),
        bad('status (mass assignment)', { units: 1, status: 'CONSUMED' }, 'status'),
        bad('consumedUnits (mass assignment)', { units: 1, consumedUnits: 1 }, 'consumedUnits'),
        bad('createdBy (mass assignment)', { units: 1, createdBy: '00000000-0000-4000-8000-000000000000' }, 'createdBy'),
        bad('authorizationId (mass assignment)', { units: 1, authorizationId: '00000000-0000-4000-8000-000000000000' }, 'authorizationId'),
        bad('unknown field', { units: 1, extra: 1 }, 'extra'),
        { name: 'units 11 on a 10-unit authorization', body: { units: 11 }, status: 409, code: 'INSUFFICIENT_UNITS' },
        ...bodyCases({ units: 1 }, 'reference'),
      ],
    },
    // SPEC §10: the payer-shaped body of POST /authorizations (lines, poolUnits, caps), never with serviceCode/totalUnits.
    {
      name: 'POST /api/v1/authorizations (lines, poolUnits, caps)',
      method: 'POST',
      path: () => '/api/v1/authorizations',
      token: () => org.tokens.ADMIN,
      cases: [
        bad('lines and serviceCode', () => ({ ...linesBase(), serviceCode: '97153' }), 'serviceCode'),
        bad('lines and totalUnits', () => ({ ...linesBase(), totalUnits: 10 }), 'totalUnits'),
        bad('poolUnits without lines', () => ({ ...authBase(), poolUnits: 10 }), 'poolUnits'),
        bad('neither serviceCode + totalUnits nor lines', () => ({ ...linesBase(), lines: undefined }), 'serviceCode'),
        bad('lines []', () => ({ ...linesBase(), lines: [] }), 'lines'),
        bad('lines null', () => ({ ...linesBase(), lines: null }), 'lines'),
        bad('lines an object', () => ({ ...linesBase(), lines: { serviceCode: '97153', totalUnits: 5 } }), 'lines'),
        bad('21 lines', () => ({ ...linesBase(), lines: Array.from({ length: 21 }, (_, i) => ({ serviceCode: `9${String(7000 + i)}`, totalUnits: 1 })) }), 'lines'),
        bad('a line null', () => ({ ...linesBase(), lines: [null] }), 'lines'),
        bad('a line an array (nested array)', () => ({ ...linesBase(), lines: [[{ serviceCode: '97153', totalUnits: 1 }]] }), 'lines'),
        bad('a line an empty array', () => ({ ...linesBase(), lines: [[]] }), 'lines'),
        bad('a line without serviceCode', () => ({ ...linesBase(), lines: [{ totalUnits: 5 }] }), 'lines.0.serviceCode'),
        bad('a line without totalUnits', () => ({ ...linesBase(), lines: [{ serviceCode: '97153' }] }), 'lines.0.totalUnits'),
        bad("a line's serviceCode lowercase", () => ({ ...linesBase(), lines: [{ serviceCode: 'abcd', totalUnits: 5 }] }), 'lines.0.serviceCode'),
        bad("a line's totalUnits 0", () => ({ ...linesBase(), lines: [{ serviceCode: '97153', totalUnits: 0 }] }), 'lines.0.totalUnits'),
        bad("a line's totalUnits \"5\"", () => ({ ...linesBase(), lines: [{ serviceCode: '97153', totalUnits: '5' }] }), 'lines.0.totalUnits'),
        bad('a line with usedUnits (mass assignment)', () => ({ ...linesBase(), lines: [{ serviceCode: '97153', totalUnits: 5, usedUnits: 5 }] }), 'lines.0.usedUnits'),
        bad('a line with an id', () => ({ ...linesBase(), lines: [{ serviceCode: '97153', totalUnits: 5, id: '00000000-0000-4000-8000-000000000000' }] }), 'lines.0.id'),
        bad('5 modifiers', () => ({ ...linesBase(), lines: [{ serviceCode: '97153', totalUnits: 5, modifiers: ['HO', 'HN', 'U1', 'GT', '95'] }] }), 'lines.0.modifiers'),
        bad('a modifier twice', () => ({ ...linesBase(), lines: [{ serviceCode: '97153', totalUnits: 5, modifiers: ['HO', 'HO'] }] }), 'lines.0.modifiers'),
        bad('a modifier lowercase', () => ({ ...linesBase(), lines: [{ serviceCode: '97153', totalUnits: 5, modifiers: ['ho'] }] }), 'lines.0.modifiers'),
        bad('a modifier of 3 characters', () => ({ ...linesBase(), lines: [{ serviceCode: '97153', totalUnits: 5, modifiers: ['HOX'] }] }), 'lines.0.modifiers'),
        bad('modifiers a string', () => ({ ...linesBase(), lines: [{ serviceCode: '97153', totalUnits: 5, modifiers: 'HO' }] }), 'lines.0.modifiers'),
        bad('modifiers null', () => ({ ...linesBase(), lines: [{ serviceCode: '97153', totalUnits: 5, modifiers: null }] }), 'lines.0.modifiers'),
        bad(
          'two lines alike (one code, the same modifiers in another order)',
          () => ({ ...linesBase(), lines: [{ serviceCode: '97155', modifiers: ['HO', 'HN'], totalUnits: 5 }, { serviceCode: '97155', modifiers: ['HN', 'HO'], totalUnits: 5 }] }),
          'lines.1',
        ),
        bad('two lines of one code without modifiers', () => ({ ...linesBase(), lines: [{ serviceCode: '97153', totalUnits: 5 }, { serviceCode: '97153', totalUnits: 6 }] }), 'lines.1'),
        bad('lines adding up over 1,000,000 without a pool', () => ({ ...linesBase(), poolUnits: undefined, lines: [{ serviceCode: '97153', totalUnits: 1_000_000 }, { serviceCode: '97155', totalUnits: 1 }] }), 'lines'),
        bad('poolUnits 0', () => ({ ...linesBase(), poolUnits: 0 }), 'poolUnits'),
        bad('poolUnits 1000001', () => ({ ...linesBase(), poolUnits: 1_000_001 }), 'poolUnits'),
        bad('poolUnits "50"', () => ({ ...linesBase(), poolUnits: '50' }), 'poolUnits'),
        bad('caps: period YEAR', () => ({ ...linesBase(), caps: [{ period: 'YEAR', units: 5 }] }), 'caps.0.period'),
        bad('caps: period lowercase', () => ({ ...linesBase(), caps: [{ period: 'week', units: 5 }] }), 'caps.0.period'),
        bad('caps: units 0', () => ({ ...linesBase(), caps: [{ period: 'WEEK', units: 0 }] }), 'caps.0.units'),
        bad('caps: units missing', () => ({ ...linesBase(), caps: [{ period: 'WEEK' }] }), 'caps.0.units'),
        bad('caps: an unknown key', () => ({ ...linesBase(), caps: [{ period: 'WEEK', units: 5, lineId: '00000000-0000-4000-8000-000000000000' }] }), 'caps.0.lineId'),
        bad('caps: two of one period', () => ({ ...linesBase(), caps: [{ period: 'WEEK', units: 5 }, { period: 'WEEK', units: 6 }] }), 'caps'),
        bad('caps: 4 caps', () => ({ ...linesBase(), caps: [{ period: 'DAY', units: 1 }, { period: 'WEEK', units: 2 }, { period: 'MONTH', units: 3 }, { period: 'DAY', units: 4 }] }), 'caps'),
        bad('caps an object', () => ({ ...linesBase(), caps: { period: 'WEEK', units: 5 } }), 'caps'),
        bad('caps null', () => ({ ...linesBase(), caps: null }), 'caps'),
        bad('caps: a cap inside an array (nested array)', () => ({ ...linesBase(), caps: [[{ period: 'DAY', units: 1 }]] }), 'caps'),
        bad('caps: an empty array inside', () => ({ ...linesBase(), caps: [[]] }), 'caps'),
        bad("a line's caps: two of one period", () => ({ ...linesBase(), lines: [{ serviceCode: '97153', totalUnits: 5, caps: [{ period: 'DAY', units: 1 }, { period: 'DAY', units: 2 }] }] }), 'lines.0.caps'),
        bad("a line's caps: a cap inside an array (nested array)", () => ({ ...linesBase(), lines: [{ serviceCode: '97153', totalUnits: 5, caps: [[{ period: 'DAY', units: 1 }]] }] }), 'lines'),
        bad('v1 shape: caps two of one period', () => ({ ...authBase(), caps: [{ period: 'MONTH', units: 5 }, { period: 'MONTH', units: 6 }] }), 'caps'),
        ...bodyCases({ patientId: 'p', authNumber: 'A-1', lines: [{ serviceCode: '97153', totalUnits: 5 }], startDate: dayOffset(-1), endDate: dayOffset(9) }, 'patientId'),
      ],
    },
    {
      name: 'PATCH /api/v1/authorizations/:id (caps)',
      method: 'PATCH',
      path: () => `/api/v1/authorizations/${auth.id}`,
      token: () => org.tokens.ADMIN,
      cases: [
        bad('caps: period YEAR', { caps: [{ period: 'YEAR', units: 5 }] }, 'caps.0.period'),
        bad('caps: units 0', { caps: [{ period: 'DAY', units: 0 }] }, 'caps.0.units'),
        bad('caps: units 1000001', { caps: [{ period: 'DAY', units: 1_000_001 }] }, 'caps.0.units'),
        bad('caps: two of one period', { caps: [{ period: 'DAY', units: 1 }, { period: 'DAY', units: 2 }] }, 'caps'),
        bad('caps null', { caps: null }, 'caps'),
        bad('caps a string', { caps: 'WEEK' }, 'caps'),
        bad('caps: a cap null', { caps: [null] }, 'caps'),
        bad('caps: a cap inside an array (nested array)', { caps: [[{ period: 'DAY', units: 1 }]] }, 'caps'),
        bad('caps: an empty array inside', { caps: [[]] }, 'caps'),
        bad('caps with a valid notes and an unknown field', { caps: [], notes: 'x', lines: [] }, 'lines'),
        bad('poolUnits (not a PATCH field)', { poolUnits: 10 }, 'poolUnits'),
      ],
    },
    {
      name: 'POST /api/v1/authorizations/:id/lines',
      method: 'POST',
      path: () => `/api/v1/authorizations/${lineAuth.id}/lines`,
      token: () => org.tokens.ADMIN,
      cases: [
        bad('serviceCode missing', { totalUnits: 5 }, 'serviceCode'),
        bad('serviceCode lowercase', { serviceCode: 'abcd', totalUnits: 5 }, 'serviceCode'),
        bad('serviceCode 9 characters', { serviceCode: '971531234', totalUnits: 5 }, 'serviceCode'),
        bad('serviceCode a number', { serviceCode: 97156, totalUnits: 5 }, 'serviceCode'),
        bad('totalUnits missing', { serviceCode: '97156' }, 'totalUnits'),
        bad('totalUnits 0', { serviceCode: '97156', totalUnits: 0 }, 'totalUnits'),
        bad('totalUnits 1000001', { serviceCode: '97156', totalUnits: 1_000_001 }, 'totalUnits'),
        bad('totalUnits null', { serviceCode: '97156', totalUnits: null }, 'totalUnits'),
        bad('5 modifiers', { serviceCode: '97156', totalUnits: 5, modifiers: ['HO', 'HN', 'U1', 'GT', '95'] }, 'modifiers'),
        bad('a modifier twice', { serviceCode: '97156', totalUnits: 5, modifiers: ['HO', 'HO'] }, 'modifiers'),
        bad('a modifier of 1 character', { serviceCode: '97156', totalUnits: 5, modifiers: ['H'] }, 'modifiers'),
        bad('caps: two of one period', { serviceCode: '97156', totalUnits: 5, caps: [{ period: 'DAY', units: 1 }, { period: 'DAY', units: 2 }] }, 'caps'),
        bad('caps: period YEAR', { serviceCode: '97156', totalUnits: 5, caps: [{ period: 'YEAR', units: 1 }] }, 'caps.0.period'),
        bad('caps: a cap inside an array (nested array)', { serviceCode: '97156', totalUnits: 5, caps: [[{ period: 'DAY', units: 1 }]] }, 'caps'),
        bad('a line alike (97153 without modifiers is there)', { serviceCode: '97153', totalUnits: 5 }, 'serviceCode'),
        bad('a line alike (97155 with HO is there)', { serviceCode: '97155', modifiers: ['HO'], totalUnits: 5 }, 'serviceCode'),
        bad('the lines would add up over 1,000,000 (no pool)', { serviceCode: '97156', totalUnits: 999_930 }, 'totalUnits'),
        bad('usedUnits (mass assignment)', { serviceCode: '97156', totalUnits: 5, usedUnits: 5 }, 'usedUnits'),
        bad('authorizationId (mass assignment)', { serviceCode: '97156', totalUnits: 5, authorizationId: '00000000-0000-4000-8000-000000000000' }, 'authorizationId'),
        bad('unknown field', { serviceCode: '97156', totalUnits: 5, extra: 1 }, 'extra'),
        ...bodyCases({ serviceCode: '97156', totalUnits: 5 }, 'serviceCode'),
      ],
    },
    {
      name: 'PATCH /api/v1/authorizations/:id/lines/:lineId',
      method: 'PATCH',
      path: () => `/api/v1/authorizations/${lineAuth.id}/lines/${lineAuth.lineId}`,
      token: () => org.tokens.ADMIN,
      cases: [
        bad('totalUnits 0', { totalUnits: 0 }, 'totalUnits'),
        bad('totalUnits "5"', { totalUnits: '5' }, 'totalUnits'),
        bad('totalUnits null', { totalUnits: null }, 'totalUnits'),
        bad('totalUnits 2.5', { totalUnits: 2.5 }, 'totalUnits'),
        bad('the lines would add up over 1,000,000 (no pool)', { totalUnits: 999_950 }, 'totalUnits'),
        bad('caps: two of one period', { caps: [{ period: 'MONTH', units: 1 }, { period: 'MONTH', units: 2 }] }, 'caps'),
        bad('caps: units -1', { caps: [{ period: 'MONTH', units: -1 }] }, 'caps.0.units'),
        bad('caps: a cap inside an array (nested array)', { caps: [[{ period: 'DAY', units: 1 }]] }, 'caps'),
        bad('serviceCode (a line keeps its code)', { serviceCode: '97156' }, 'serviceCode'),
        bad('modifiers (a line keeps its modifiers)', { modifiers: ['HN'] }, 'modifiers'),
        bad('usedUnits (mass assignment)', { totalUnits: 25, usedUnits: 0 }, 'usedUnits'),
        ...bodyCases({ totalUnits: 25 }),
      ],
    },
    {
      name: 'POST /api/v1/reservations',
      method: 'POST',
      path: () => '/api/v1/reservations',
      token: () => org.tokens.PRACTITIONER,
      cases: [
        bad('patientId missing', { serviceCode: '97153', units: 1 }, 'patientId'),
        bad('patientId empty', { patientId: '', serviceCode: '97153', units: 1 }, 'patientId'),
        bad('patientId 129 chars', { patientId: s(129), serviceCode: '97153', units: 1 }, 'patientId'),
        bad('patientId a number', { patientId: 5, serviceCode: '97153', units: 1 }, 'patientId'),
        bad('serviceCode missing', { patientId, units: 1 }, 'serviceCode'),
        bad('serviceCode lowercase', { patientId, serviceCode: 'abcd', units: 1 }, 'serviceCode'),
        bad('units missing', { patientId, serviceCode: '97153' }, 'units'),
        bad('units 0', { patientId, serviceCode: '97153', units: 0 }, 'units'),
        bad('units "1"', { patientId, serviceCode: '97153', units: '1' }, 'units'),
        bad('units 1000001', { patientId, serviceCode: '97153', units: 1_000_001 }, 'units'),
        bad('a modifier twice', { patientId, serviceCode: '97155', modifiers: ['HO', 'HO'], units: 1 }, 'modifiers'),
        bad('5 modifiers', { patientId, serviceCode: '97155', modifiers: ['HO', 'HN', 'U1', 'GT', '95'], units: 1 }, 'modifiers'),
        bad('modifiers a string', { patientId, serviceCode: '97155', modifiers: 'HO', units: 1 }, 'modifiers'),
        bad("serviceDate '2026-02-30'", { patientId, serviceCode: '97153', units: 1, serviceDate: '2026-02-30' }, 'serviceDate'),
        bad('reference 129 chars', { patientId, serviceCode: '97153', units: 1, reference: s(129) }, 'reference'),
        bad('expiresAt without a time zone', { patientId, serviceCode: '97153', units: 1, expiresAt: '2099-01-01T10:00:00' }, 'expiresAt'),
        bad('expiresAt in the past', { patientId, serviceCode: '97153', units: 1, expiresAt: new Date(Date.now() - 60_000).toISOString() }, 'expiresAt'),
        bad('authorizationId (the service picks it)', { patientId, serviceCode: '97153', units: 1, authorizationId: '00000000-0000-4000-8000-000000000000' }, 'authorizationId'),
        bad('lineId', { patientId, serviceCode: '97153', units: 1, lineId: '00000000-0000-4000-8000-000000000000' }, 'lineId'),
        bad('status (mass assignment)', { patientId, serviceCode: '97153', units: 1, status: 'CONSUMED' }, 'status'),
        { name: 'a patient without authorizations', body: { patientId: 'nobody', serviceCode: '97153', units: 1 }, status: 409, code: 'NO_AUTHORIZATION_AVAILABLE' },
        { name: 'a code the patient has no line for', body: { patientId, serviceCode: '97156', units: 1 }, status: 409, code: 'NO_AUTHORIZATION_AVAILABLE' },
        { name: 'modifiers no line has', body: { patientId, serviceCode: '97155', modifiers: ['HN'], units: 1 }, status: 409, code: 'NO_AUTHORIZATION_AVAILABLE' },
        { name: 'over the weekly cap of 20', body: { patientId, serviceCode: '97153', units: 21 }, status: 409, code: 'NO_AUTHORIZATION_AVAILABLE' },
        { name: 'a serviceDate outside the authorization', body: { patientId, serviceCode: '97153', units: 1, serviceDate: dayOffset(200) }, status: 409, code: 'NO_AUTHORIZATION_AVAILABLE' },
        ...bodyCases({ patientId, serviceCode: '97153', units: 1 }, 'patientId'),
      ],
    },
    {
      name: 'PATCH /api/v1/reservations/:id',
      method: 'PATCH',
      path: () => `/api/v1/reservations/${reservationId}`,
      token: () => org.tokens.PRACTITIONER,
      cases: [
        bad('units 0', { units: 0 }, 'units'),
        bad('units "2"', { units: '2' }, 'units'),
        bad('units null', { units: null }, 'units'),
        bad('units 2.5', { units: 2.5 }, 'units'),
        bad('units 1000001', { units: 1_000_001 }, 'units'),
        bad("serviceDate '2026-02-30'", { serviceDate: '2026-02-30' }, 'serviceDate'),
        bad('serviceDate null', { serviceDate: null }, 'serviceDate'),
        bad('serviceCode (a move keeps its line)', { units: 2, serviceCode: '97155' }, 'serviceCode'),
        bad('status (mass assignment)', { status: 'RELEASED' }, 'status'),
        bad('expiresAt (not a move field)', { expiresAt: '2099-01-01T00:00:00Z' }, 'expiresAt'),
        { name: 'a serviceDate outside the authorization', body: { serviceDate: dayOffset(200) }, status: 409, code: 'OUTSIDE_AUTHORIZATION_PERIOD' },
        ...bodyCases({ units: 2 }),
      ],
    },
    {
      name: 'GET /api/v1/authorizations/:id/reservations (query)',
      method: 'GET',
      path: () => `/api/v1/authorizations/${consumeAuth.id}/reservations`,
      token: () => org.tokens.VIEWER,
      cases: [
        badQuery('limit=0', 'limit'),
        badQuery('limit=101', 'limit'),
        badQuery('limit=abc', 'limit'),
        badQuery('limit=2.5', 'limit'),
        badQuery('cursor=!!!', 'cursor'),
        badQuery(`cursor=${b64('not-a-uuid')}`, 'cursor'),
        badQuery('status=FOO', 'status'),
        badQuery('status=scheduled', 'status'),
        badQuery('foo=bar', 'foo'),
      ],
    },
    {
      name: 'POST /api/v1/reservations/:id/consume',
      method: 'POST',
      path: () => `/api/v1/reservations/${reservationId}/consume`,
      token: () => org.tokens.PRACTITIONER,
      cases: [
        bad('units greater than the reservation (6 of 5)', { units: 6 }, 'units'),
        bad('units -1', { units: -1 }, 'units'),
        bad('units "1"', { units: '1' }, 'units'),
        bad('units 2.5', { units: 2.5 }, 'units'),
        bad('units 1e20', { units: 1e20 }, 'units'),
        bad('units 2**53', { units: 2 ** 53 }, 'units'),
        bad('units 1000001', { units: 1_000_001 }, 'units'),
        bad('units true', { units: true }, 'units'),
        bad('units [1]', { units: [1] }, 'units'),
        bad('status (mass assignment)', { status: 'RELEASED' }, 'status'),
        bad('unknown field', { units: 1, extra: 1 }, 'extra'),
        ...bodyCases({ units: 1 }),
        // Last: if null were taken as "consume all", it would consume the reservation.
        bad('units null', { units: null }, 'units'),
      ],
    },
    {
      name: 'GET /api/v1/authorizations/:id/ledger (query)',
      method: 'GET',
      path: () => `/api/v1/authorizations/${consumeAuth.id}/ledger`,
      token: () => org.tokens.VIEWER,
      cases: [
        badQuery('limit=0', 'limit'),
        badQuery('limit=101', 'limit'),
        badQuery('limit=abc', 'limit'),
        badQuery('limit=2.5', 'limit'),
        badQuery('limit=-5', 'limit'),
        badQuery('cursor=!!!', 'cursor'),
        badQuery(`cursor=${b64('abc')}`, 'cursor'),
        badQuery(`cursor=${b64('1; drop table ledger_entries')}`, 'cursor'),
        badQuery(`cursor=${b64('9'.repeat(30))}`, 'cursor'),
        badQuery('type=RESERVE', 'type'),
      ],
    },
    {
      // SPEC §11 machine clients.
      name: 'POST /api/v1/api-keys',
      method: 'POST',
      path: () => '/api/v1/api-keys',
      token: () => org.tokens.ADMIN,
      cases: [
        bad('name missing', { role: 'VIEWER' }, 'name'),
        bad('name empty', { name: '', role: 'VIEWER' }, 'name'),
        bad('name 101 chars', { name: s(101), role: 'VIEWER' }, 'name'),
        bad('name of 51 "x" + variation selector (102 code points)', { name: 'x\uFE0F'.repeat(51), role: 'VIEWER' }, 'name'),
        bad('name a number', { name: 5, role: 'VIEWER' }, 'name'),
        bad('name null', { name: null, role: 'VIEWER' }, 'name'),
        bad('name an array', { name: ['k'], role: 'VIEWER' }, 'name'),
        bad('role missing', { name: 'k' }, 'role'),
        bad('role unknown', { name: 'k', role: 'OWNER' }, 'role'),
        bad('role lowercase', { name: 'k', role: 'viewer' }, 'role'),
        bad('role null', { name: 'k', role: null }, 'role'),
        bad('organizationId not a uuid', { name: 'k', role: 'VIEWER', organizationId: 'org-1' }, 'organizationId'),
        bad('key (mass assignment)', { name: 'k', role: 'VIEWER', key: `ul_${s(43)}` }, 'key'),
        bad('keyHash (mass assignment)', { name: 'k', role: 'VIEWER', keyHash: '0'.repeat(64) }, 'keyHash'),
        bad('createdBy (mass assignment)', { name: 'k', role: 'VIEWER', createdBy: '00000000-0000-4000-8000-000000000000' }, 'createdBy'),
        bad('lastUsedAt (mass assignment)', { name: 'k', role: 'VIEWER', lastUsedAt: '2026-01-01T00:00:00.000Z' }, 'lastUsedAt'),
        { name: 'role SUPER_ADMIN (above an ADMIN)', body: { name: 'k', role: 'SUPER_ADMIN' }, status: 403, code: 'FORBIDDEN' },
        ...bodyCases({ name: 'k', role: 'VIEWER' }, 'name'),
      ],
    },
    {
      name: 'GET /api/v1/api-keys (query)',
      method: 'GET',
      path: () => '/api/v1/api-keys',
      token: () => org.tokens.ADMIN,
      cases: [
        badQuery('organizationId=not-a-uuid', 'organizationId'),
        badQuery(`organizationId=${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`, 'organizationId'),
        badQuery('limit=5', 'limit'),
      ],
    },
    {
      // SPEC §11 webhooks: the DTO's rules, then the URL policy (400 naming url); names need DNS, which tests never have.
      name: 'POST /api/v1/webhooks',
      method: 'POST',
      path: () => '/api/v1/webhooks',
      token: () => org.tokens.ADMIN,
      cases: [
        bad('url missing', { events: ['reservation.created'] }, 'url'),
        bad('url empty', { url: '', events: ['reservation.created'] }, 'url'),
        bad('url a number', { url: 5, events: ['reservation.created'] }, 'url'),
        bad('url null', { url: null, events: ['reservation.created'] }, 'url'),
        bad('url an array', { url: [LOOPBACK_WEBHOOK_URL], events: ['reservation.created'] }, 'url'),
        bad('url 2049 chars', { url: `http://127.0.0.1:9/${s(2030)}`, events: ['reservation.created'] }, 'url'),
        bad('url not a URL', { url: 'hook', events: ['reservation.created'] }, 'url'),
        bad('url ftp:', { url: 'ftp://127.0.0.1/', events: ['reservation.created'] }, 'url'),
        bad('url javascript:', { url: 'javascript:alert(1)', events: ['reservation.created'] }, 'url'),
        bad('url with user:password', { url: 'http://user:pass@127.0.0.1:9/', events: ['reservation.created'] }, 'url'),
        bad('url to a private address', { url: 'https://10.0.0.1/hook', events: ['reservation.created'] }, 'url'),
        bad('url to the metadata address', { url: 'http://169.254.169.254/latest/meta-data/', events: ['reservation.created'] }, 'url'),
        bad('url to an IPv4-mapped private address', { url: 'https://[::ffff:192.168.1.1]/', events: ['reservation.created'] }, 'url'),
        bad('url to 0.0.0.0', { url: 'http://0.0.0.0:9/', events: ['reservation.created'] }, 'url'),
        bad('url to a name (no DNS in tests)', { url: 'https://hooks.example.com/', events: ['reservation.created'] }, 'url'),
        bad('url to a metadata name', { url: 'http://metadata.google.internal/', events: ['reservation.created'] }, 'url'),
        bad('events missing', { url: LOOPBACK_WEBHOOK_URL }, 'events'),
        bad('events empty', { url: LOOPBACK_WEBHOOK_URL, events: [] }, 'events'),
        bad('events unknown type', { url: LOOPBACK_WEBHOOK_URL, events: ['reservation.deleted'] }, 'events'),
        bad('events upper case', { url: LOOPBACK_WEBHOOK_URL, events: ['RESERVATION.CREATED'] }, 'events'),
        bad('events repeated', { url: LOOPBACK_WEBHOOK_URL, events: ['reservation.created', 'reservation.created'] }, 'events'),
        bad('events a string', { url: LOOPBACK_WEBHOOK_URL, events: 'reservation.created' }, 'events'),
        bad('events with null', { url: LOOPBACK_WEBHOOK_URL, events: [null] }, 'events'),
        bad('events nested', { url: LOOPBACK_WEBHOOK_URL, events: [['reservation.created']] }, 'events'),
        bad('events "*"', { url: LOOPBACK_WEBHOOK_URL, events: ['*'] }, 'events'),
        bad('description empty', { url: LOOPBACK_WEBHOOK_URL, events: ['reservation.created'], description: '' }, 'description'),
        bad('description 501 chars', { url: LOOPBACK_WEBHOOK_URL, events: ['reservation.created'], description: s(501) }, 'description'),
        bad('description a number', { url: LOOPBACK_WEBHOOK_URL, events: ['reservation.created'], description: 5 }, 'description'),
        bad('secret (mass assignment)', { url: LOOPBACK_WEBHOOK_URL, events: ['reservation.created'], secret: `whsec_${s(43)}` }, 'secret'),
        bad('organizationId (mass assignment)', { url: LOOPBACK_WEBHOOK_URL, events: ['reservation.created'], organizationId: '00000000-0000-4000-8000-000000000000' }, 'organizationId'),
        bad('enabled (mass assignment)', { url: LOOPBACK_WEBHOOK_URL, events: ['reservation.created'], enabled: false }, 'enabled'),
        bad('failingSince (mass assignment)', { url: LOOPBACK_WEBHOOK_URL, events: ['reservation.created'], failingSince: '2026-01-01T00:00:00.000Z' }, 'failingSince'),
        ...bodyCases({ url: LOOPBACK_WEBHOOK_URL, events: ['reservation.created'], description: 'd' }, 'description'),
      ],
    },
    {
      name: 'PATCH /api/v1/webhooks/:id',
      method: 'PATCH',
      path: () => `/api/v1/webhooks/${hook.id}`,
      token: () => org.tokens.ADMIN,
      cases: [
        bad('enabled a string', { enabled: 'true' }, 'enabled'),
        bad('enabled null', { enabled: null }, 'enabled'),
        bad('enabled 1', { enabled: 1 }, 'enabled'),
        bad('events empty', { events: [] }, 'events'),
        bad('events unknown type', { events: ['authorization.deleted'] }, 'events'),
        bad('events null', { events: null }, 'events'),
        bad('url null', { url: null }, 'url'),
        bad('url empty', { url: '' }, 'url'),
        bad('url to a private address', { url: 'http://192.168.0.10/' }, 'url'),
        bad('url to a loopback name (no DNS in tests)', { url: 'http://localhost:9/' }, 'url'),
        bad('url https to link-local IPv6', { url: 'https://[fe80::1]/' }, 'url'),
        bad('description empty', { description: '' }, 'description'),
        bad('secret (mass assignment)', { secret: `whsec_${s(43)}` }, 'secret'),
        bad('organizationId (mass assignment)', { organizationId: '00000000-0000-4000-8000-000000000000' }, 'organizationId'),
        bad('disabledReason (mass assignment)', { disabledReason: 'x' }, 'disabledReason'),
        bad('a valid change beside a bad one', { enabled: false, events: ['nope'] }, 'events'),
        ...bodyCases({ description: 'd' }, 'description'),
      ],
    },
    {
      name: 'GET /api/v1/webhooks/:id/deliveries (query)',
      method: 'GET',
      path: () => `/api/v1/webhooks/${hook.id}/deliveries`,
      token: () => org.tokens.ADMIN,
      cases: [
        badQuery('limit=0', 'limit'),
        badQuery('limit=101', 'limit'),
        badQuery('limit=abc', 'limit'),
        badQuery('limit=2.5', 'limit'),
        badQuery('limit=-5', 'limit'),
        badQuery('cursor=!!!', 'cursor'),
        badQuery(`cursor=${b64('abc')}`, 'cursor'),
        badQuery(`cursor=${b64('1; drop table webhook_deliveries')}`, 'cursor'),
        badQuery(`cursor=${b64('9'.repeat(30))}`, 'cursor'),
        badQuery('status=FAILED', 'status'),
      ],
    },
    {
      // SPEC §11 change feed: the cursor parameter is `after`, a position `<xid>.<seq>`.
      name: 'GET /api/v1/events (query)',
      method: 'GET',
      path: () => '/api/v1/events',
      token: () => org.tokens.VIEWER,
      cases: [
        badQuery('limit=0', 'limit'),
        badQuery('limit=101', 'limit'),
        badQuery('limit=abc', 'limit'),
        badQuery('limit=2.5', 'limit'),
        badQuery('limit=-5', 'limit'),
        badQuery('after=!!!', 'after'),
        badQuery('after=', 'after'),
        badQuery(`after=${b64('abc')}`, 'after'),
        badQuery(`after=${b64('1.2.3')}`, 'after'),
        badQuery(`after=${b64('1; drop table events')}`, 'after'),
        badQuery(`after=${b64(`${2n ** 64n}.1`)}`, 'after'),
        badQuery(`after=${b64('1.' + '9'.repeat(19))}`, 'after'),
        badQuery('cursor=abc', 'cursor'),
        badQuery(`organizationId=${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`, 'organizationId'),
        badQuery('type=reservation.created', 'type'),
      ],
    },
  ];

  for (const route of routes) {
    describe(route.name, () => {
      it.each(route.cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
        const path = await route.path();
        const url = c.query !== undefined ? `${path}?${c.query}` : path;
        const before = route.method === 'GET' ? undefined : await snapshot();
        const body = typeof c.body === 'function' ? (c.body as () => unknown)() : c.body;
        const res = await send(route.method, url, { token: route.token(), body, raw: c.raw, contentType: c.contentType });

        expect({ status: res.status, code: res.body?.code }).toEqual({ status: c.status, code: c.code });
        expectErrorShape(res);
        if (c.code === 'VALIDATION_FAILED') {
          expect(Array.isArray(res.body.fields)).toBe(true);
          expect(res.body.fields.length).toBeGreaterThan(0);
          // The field, or a part of it ("lines" is named by "lines" or "lines.0.caps").
          if (c.field) expect(res.body.fields.map((f: { field: string }) => f.field)).toContainEqual(expect.stringMatching(new RegExp(`^${c.field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|\\.)`)));
        }
        // Nothing was written.
        if (before) expect(await snapshot()).toEqual(before);
      });
    });
  }

  describe('what a rejected request leaves behind, through the API', () => {
    it('the authorizations and the reservation are as they were created: no units moved, no ledger entries', async () => {
      const viewer = org.tokens.VIEWER;
      const patched = await send('GET', `/api/v1/authorizations/${auth.id}`, { token: viewer });
      expect(patched.body).toMatchObject({ totalUnits: 50, usedUnits: 0, scheduledUnits: 0, notes: 'original notes', endDate: dayOffset(90), status: 'ACTIVE' });
      expect((await send('GET', `/api/v1/authorizations/${auth.id}/ledger`, { token: viewer })).body.items).toEqual([]);

      const reserveTarget = await send('GET', `/api/v1/authorizations/${reservationAuth.id}`, { token: viewer });
      expect(reserveTarget.body).toMatchObject({ totalUnits: 10, usedUnits: 0, scheduledUnits: 0, availableUnits: 10 });
      expect((await send('GET', `/api/v1/authorizations/${reservationAuth.id}/ledger`, { token: viewer })).body.items).toEqual([]);
      expect((await send('GET', `/api/v1/authorizations/${reservationAuth.id}/reservations`, { token: viewer })).body.items).toEqual([]);

      const reservation = await send('GET', `/api/v1/reservations/${reservationId}`, { token: viewer });
      expect(reservation.body).toMatchObject({ status: 'SCHEDULED', units: 5, consumedUnits: 0 });
      const consumeLedger = await send('GET', `/api/v1/authorizations/${consumeAuth.id}/ledger`, { token: viewer });
      expect(consumeLedger.body.items.map((e: { type: string; units: number }) => `${e.type}:${e.units}`)).toEqual(['RESERVE:5']);

      const target = await send('GET', '/api/v1/users', { token: org.tokens.ADMIN });
      expect(target.body.items.find((u: { id: string }) => u.id === patchTarget.id)).toMatchObject({ role: 'PRACTITIONER', active: true });
    });
  });

  describe('the message says what is wrong with the value sent (not the last rule declared)', () => {
    const totalUnits = 'totalUnits must be an integer from 1 to 1000000';
    it.each([
      ['"10" (a string)', '10', totalUnits],
      ['true', true, totalUnits],
      ['null', null, totalUnits],
      ['2.5', 2.5, totalUnits],
      ['0', 0, totalUnits],
      ['1000001', 1_000_001, totalUnits],
    ])('POST /authorizations totalUnits %s → exactly one field problem: the range', async (_name, value, message) => {
      const res = await send('POST', '/api/v1/authorizations', { token: org.tokens.ADMIN, body: { ...authBase(), totalUnits: value } });
      expect(res.status).toBe(400);
      expect(res.body.fields).toEqual([{ field: 'totalUnits', message }]);
    });

    it.each([
      ['POST reservations units "5"', () => send('POST', `/api/v1/authorizations/${reservationAuth.id}/reservations`, { token: org.tokens.PRACTITIONER, body: { units: '5' } }), 'units', 'units must be an integer from 1 to 1000000'],
      ['PATCH authorization totalUnits false', () => send('PATCH', `/api/v1/authorizations/${auth.id}`, { token: org.tokens.ADMIN, body: { totalUnits: false } }), 'totalUnits', 'totalUnits must be an integer from 1 to 1000000'],
      ['consume units -1', () => send('POST', `/api/v1/reservations/${reservationId}/consume`, { token: org.tokens.PRACTITIONER, body: { units: -1 } }), 'units', 'units must be an integer from 0 to 1000000'],
      ['list limit=-1', () => send('GET', '/api/v1/authorizations?limit=-1', { token: org.tokens.VIEWER }), 'limit', 'limit must be an integer from 1 to 100'],
      ['list limit=abc', () => send('GET', '/api/v1/authorizations?limit=abc', { token: org.tokens.VIEWER }), 'limit', 'limit must be an integer from 1 to 100'],
      ['ledger limit=0', () => send('GET', `/api/v1/authorizations/${auth.id}/ledger?limit=0`, { token: org.tokens.VIEWER }), 'limit', 'limit must be an integer from 1 to 100'],
      ['ledger limit=101', () => send('GET', `/api/v1/authorizations/${auth.id}/ledger?limit=101`, { token: org.tokens.VIEWER }), 'limit', 'limit must be an integer from 1 to 100'],
    ])('%s → 400 with that message', async (_name, call, field, message) => {
      const res = await call();
      expect(res.status).toBe(400);
      expect(res.body.fields).toEqual([{ field, message }]);
    });
  });

  describe('the boundaries themselves are accepted (the tables above are not refusing everything)', () => {
    it('totalUnits 1 and 1,000,000; patientId 128 chars; authNumber 64; notes 2000; payer 128; serviceCode 4 and 8 chars', async () => {
      const a = await send('POST', '/api/v1/authorizations', {
        token: org.tokens.ADMIN,
        body: { ...authBase(), totalUnits: 1, patientId: s(128, 'p'), authNumber: s(64, 'A'), notes: s(2000, 'n'), payer: s(128, 'y'), serviceCode: 'ABCD' },
      });
      expect(a.status).toBe(201);
      expect(a.body).toMatchObject({ totalUnits: 1, patientId: s(128, 'p'), authNumber: s(64, 'A'), serviceCode: 'ABCD' });
      const b = await send('POST', '/api/v1/authorizations', { token: org.tokens.ADMIN, body: { ...authBase(), totalUnits: 1_000_000, serviceCode: 'H2019HN1' } });
      expect(b.status).toBe(201);
      expect(b.body).toMatchObject({ totalUnits: 1_000_000, serviceCode: 'H2019HN1', startDate: dayOffset(-10), endDate: dayOffset(90) });
      const sameDay = await send('POST', '/api/v1/authorizations', { token: org.tokens.ADMIN, body: { ...authBase(), startDate: dayOffset(1), endDate: dayOffset(1) } });
      expect(sameDay.status).toBe(201);
    });

    it('query limits 1 and 100 are accepted', async () => {
      for (const limit of [1, 100]) {
        expect((await send('GET', `/api/v1/authorizations?limit=${limit}`, { token: org.tokens.VIEWER })).status).toBe(200);
        expect((await send('GET', `/api/v1/authorizations/${consumeAuth.id}/ledger?limit=${limit}`, { token: org.tokens.VIEWER })).status).toBe(200);
        expect((await send('GET', `/api/v1/authorizations/${consumeAuth.id}/reservations?limit=${limit}`, { token: org.tokens.VIEWER })).status).toBe(200);
      }
    });

    it('a reservation with units 1,000,000 fits a 1,000,000-unit authorization, with expiresAt in an offset time zone', async () => {
      const big = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 1_000_000 });
      const expiresAt = new Date(Date.now() + 86_400_000).toISOString().replace('Z', '+00:00');
      const r = await send('POST', `/api/v1/authorizations/${big.id}/reservations`, {
        token: org.tokens.PRACTITIONER,
        body: { units: 1_000_000, reference: s(128, 'r'), expiresAt },
      });
      expect(r.status).toBe(201);
      expect(r.body.authorization).toMatchObject({ scheduledUnits: 1_000_000, availableUnits: 0, status: 'EXHAUSTED' });
      expect(Date.parse(r.body.reservation.expiresAt)).toBe(Date.parse(expiresAt));
    });
  });

  describe('SQL and script payloads in free-text fields are data, stored and returned literally', () => {
    const patientId = "'; drop table authorizations; --";
    const notes = '<script>alert(1)</script>';
    const authNumber = `1' OR '1'='1-${unique()}`;
    const payer = 'Robert"); DROP TABLE users;-- \u0000-free but \u2603 unicode';

    it('POST, GET, list filter and PATCH keep the strings byte for byte', async () => {
      const created = await send('POST', '/api/v1/authorizations', {
        token: org.tokens.ADMIN,
        body: { ...authBase(), patientId, notes, authNumber, payer: payer.replace('\u0000', '') },
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ patientId, notes, authNumber, payer: payer.replace('\u0000', '') });
      expect(created.headers.get('content-type')).toMatch(/^application\/json/);

      const fetched = await send('GET', `/api/v1/authorizations/${created.body.id}`, { token: org.tokens.VIEWER });
      expect(fetched.body).toMatchObject({ patientId, notes, authNumber });

      const listed = await send('GET', `/api/v1/authorizations?patientId=${encodeURIComponent(patientId)}`, { token: org.tokens.VIEWER });
      expect(listed.status).toBe(200);
      expect(listed.body.items.map((a: { id: string }) => a.id)).toEqual([created.body.id]);

      const patched = await send('PATCH', `/api/v1/authorizations/${created.body.id}`, { token: org.tokens.ADMIN, body: { notes: `${notes}<img src=x onerror=alert(2)>` } });
      expect(patched.status).toBe(200);
      expect(patched.body.notes).toBe(`${notes}<img src=x onerror=alert(2)>`);

      const reservation = await send('POST', `/api/v1/authorizations/${created.body.id}/reservations`, {
        token: org.tokens.PRACTITIONER,
        body: { units: 1, reference: "x'); delete from ledger_entries; --" },
      });
      expect(reservation.status).toBe(201);
      expect(reservation.body.reservation.reference).toBe("x'); delete from ledger_entries; --");

      // The tables are all still there.
      const { rows } = await t.sql.query(`select count(*)::int as n from information_schema.tables where table_name in ('authorizations','users','ledger_entries')`);
      expect(rows[0].n).toBe(3);
    });

    it('an organization name with markup is returned literally', async () => {
      const name = `<img src=x onerror=alert(1)> & "Co" ${unique()}`;
      const created = await send('POST', '/api/v1/organizations', { token: root, body: { name } });
      expect(created.status).toBe(201);
      expect(created.body.name).toBe(name);
    });
  });

  it('no response in this whole file had a status of 500 or more', () => {
    expect(seen.length).toBeGreaterThan(300);
    expect(seen.filter((r) => r.status >= 500)).toEqual([]);
  });
});
