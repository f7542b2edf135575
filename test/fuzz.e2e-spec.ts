// Property-based fuzzing (fast-check) of every route of SPEC §5 under /api/v1: bodies, path
// parameters, query strings and headers. Issue 4, point 3. What every property checks:
//   - no answer is a 5xx (SPEC §5 "No input may produce a 500");
//   - every 4xx has the error body {statusCode, error, message, code}, code UPPER_SNAKE;
//   - where a small model of the DTOs (src/*/*.dto.ts) says the input is invalid, the answer is
//     exactly 400 VALIDATION_FAILED naming exactly the offending fields; where it says valid, the
//     answer is the route's success or one of its business rejections (by code);
//   - a rejected request wrote nothing: a fingerprint of every table (row counts and an md5 of
//     every row) is the same before and after; an accepted one is consistent (the stored and
//     returned values are the ones sent; the unit invariant and the ledger still reconcile).
// Text the service accepts (patientId, payer, notes, reference, authNumber, organization name) is
// stored and returned byte for byte; text PostgreSQL cannot store (NUL, lone surrogates) must be a
// 400, as must text whose length the validator and the database count differently.
//
// Seed: FUZZ_SEED (default fixed, see helpers/hostile.ts); fast-check prints seed, path and the
// shrunk counterexample of a failure. FUZZ_SCALE multiplies every numRuns.
//
// Rate limits: this file sends a few thousand requests per minute from one user and one IP, and
// hundreds of logins for a handful of emails, so the app is started with very high
// RATE_LIMIT_USER_PER_MINUTE / RATE_LIMIT_ANON_PER_MINUTE / RATE_LIMIT_LOGIN_PER_15_MIN (the
// limits themselves are tested in rate-limits.e2e-spec.ts and attacks.e2e-spec.ts).
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { isEmail, isUUID } from 'class-validator';
import isLength from 'validator/lib/isLength';
import { checkIntegrity, INTACT } from './helpers/ledger-check';
import {
  expectApiErrorBody,
  fingerprint as fingerprintOfV1Tables,
  forgeJwt,
  fuzzParams,
  Hostile,
  hostileValue,
  hv,
  JWT_AUDIENCE,
  JWT_ISSUER,
  rawHttp,
  RawResult,
  reportedFields,
  SCRIPT_PAYLOADS,
  SQL_PAYLOADS,
  storableText,
} from './helpers/hostile';
import { startTestApp, TestApp } from './helpers/test-app';
import { createAuthorization, createOrg, dayOffset, OrgWorld, PASSWORD, rootToken } from './helpers/world';
import { LOOPBACK_WEBHOOK_URL, WEBHOOK_TEST_ENV } from './helpers/routes';
import { WEBHOOK_EVENT_TYPES } from '../src/webhooks/webhook-event-types';
import { checkWebhookUrl } from '../src/webhooks/webhook-url';

/** Every table the API writes: the v1 ones (helpers/hostile.ts), those of SPEC §10 (lines, caps, their buckets, expiries) and §11's credentials. */
async function fingerprint(sql: TestApp['sql']): Promise<string> {
  const digest = (table: string) =>
    `(select '${table}=' || count(*)::int || ':' || coalesce(md5(string_agg(x::text, '|' order by x::text)), '') from ${table} x)`;
  const tables = ['authorization_lines', 'authorization_caps', 'cap_buckets', 'reservation_expiries', 'api_keys', 'refresh_tokens'];
  const { rows } = await sql.query(`select ${tables.map(digest).join(" || ' ' || ")} as fp`);
  return `${await fingerprintOfV1Tables(sql)} ${rows[0].fp as string}`;
}

const SECRET = `fuzz-secret-${randomUUID()}-${randomUUID()}`;
const BODY_LIMIT = 100 * 1024;

let t: TestApp;
let root: string;
let rootId: string;
let A: OrgWorld;
let B: OrgWorld;
/** Fixtures the mutating properties act on (replaced when a valid mutation used them up). */
let fx: {
  patchAuth: { id: string; startDate: string };
  reserveAuth: { id: string };
  consumeAuth: { id: string };
  consumeReservation: { id: string; units: number };
  patchUser: { id: string };
  bAuthorizationId: string;
  bReservationId: string;
  bUserId: string;
  /** SPEC §11: organization B's API key (A's ADMIN must get 404 revoking it). */
  bApiKeyId: string;
  /** SPEC §11: organization B's webhook endpoint (A's ADMIN must get 404 on it). */
  bWebhookId: string;
  /** An organization whose settings PATCH /organizations/:id changes (not A: A's today stays UTC). */
  settingsOrgId: string;
  /** POST /authorizations/:id/lines adds lines to it: their keys (code|modifiers) and the sum of their totals (no pool). */
  linesAuth: { id: string; keys: string[]; total: number };
  /** PATCH /authorizations/:id/lines/:lineId changes its 97155-HO line; its other line (97153) holds 60 units. */
  lineAuth: { id: string; lineId: string };
  /** POST /reservations: the one authorization of this patient (97153 and 97155-HO, 1,000,000 units, 400 days either side). */
  patient: { patientId: string; authorizationId: string };
  /** PATCH /reservations/:id moves it (on an authorization of 1,000,000 units, 400 days either side). */
  moveReservation: { id: string; units: number; serviceDate: string; startDate: string; endDate: string };
};
/** The time zone names PostgreSQL knows (pg_timezone_names): a timeZone must be one of them, and known to Intl. */
let pgTimeZones: Set<string>;
const statuses: number[] = [];
let counter = 0;
const next = () => `${Date.now().toString(36)}-${(counter++).toString(36)}`;

const JSON_TYPE: [string, string] = ['content-type', 'application/json'];
const bearer = (token: string): [string, string] => ['authorization', `Bearer ${token}`];

async function send(method: string, path: string, token: string | undefined, raw?: string | Buffer, extra: [string, string | Buffer][] = []): Promise<RawResult> {
  const headers: [string, string | Buffer][] = [...(token ? [bearer(token)] : []), ...(raw !== undefined ? [JSON_TYPE] : []), ...extra];
  const res = await rawHttp(t.base, { method, path, headers, body: raw });
  statuses.push(res.status);
  return res;
}

/** Status, code and shape in one assertion, so a failure shows the whole answer. */
function expectAnswer(res: RawResult, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.code, body: res.body }).toEqual({ status, code, body: expect.anything() });
  expectApiErrorBody(res);
}

function expectNo5xx(res: RawResult): void {
  expect({ status: res.status, body: res.body ?? res.text }).toEqual({ status: expect.any(Number), body: expect.anything() });
  if (res.status >= 500) throw new Error(`${res.status}: ${res.text}`);
}

/** A rejected request wrote nothing; an accepted one moves the baseline (and keeps the invariant). */
async function settle(res: RawResult, before: string): Promise<void> {
  if (res.status >= 400) {
    expect(await fingerprint(t.sql)).toBe(before);
    return;
  }
  expect(await checkIntegrity(t.sql)).toEqual(INTACT);
}

// ---------------------------------------------------------------------------------------------
// A model of the DTOs: which field values class-validator accepts (src/*/*.dto.ts).
type Kind =
  | { t: 'int'; min: number; max: number }
  | { t: 'str'; min: number; max: number; pattern?: RegExp; notBlank?: boolean }
  | { t: 'date' }
  | { t: 'instant'; past?: true }
  | { t: 'bool' }
  | { t: 'enum'; values: string[] }
  | { t: 'uuid' }
  | { t: 'email' }
  | { t: 'tz' }
  // SPEC §10: 0-4 distinct modifiers, caps [{period, units}] (at most 3), lines [{serviceCode, modifiers?, totalUnits, caps?}] (1-20).
  | { t: 'modifiers' }
  | { t: 'caps' }
  | { t: 'lines' }
  // SPEC §11 webhooks: a URL (the DTO takes any string up to 2048; the URL policy judges it after), 1-12 distinct event types.
  | { t: 'webhookUrl' }
  | { t: 'events' };
interface Field {
  kind: Kind;
  /** A function: required depending on the rest of the body (serviceCode and totalUnits are required without lines). */
  required?: boolean | ((body: Record<string, unknown>) => boolean);
  /** PATCH /authorizations notes and payer: null clears them (@IsOptional). */
  nullable?: boolean;
}

const isCalendarDate = (v: unknown): v is string => {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
};
/** What the DTO accepts as a timeZone: 1-64 characters that Intl knows as a time zone (PostgreSQL is asked afterwards, as a cross rule). */
const isIntlTimeZone = (v: unknown) => {
  if (typeof v !== 'string' || !isLength(v, { min: 1, max: 64 })) return false;
  try {
    new Intl.DateTimeFormat('en-CA', { timeZone: v });
    return true;
  } catch {
    return false;
  }
};
/** Any instant the DTO reads (past ones too): where the service checks "in the future" after looking for candidates. */
const isInstantShape = (v: unknown) =>
  typeof v === 'string' &&
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(v) &&
  isCalendarDate(v.slice(0, 10)) &&
  Date.parse(v) >= Date.parse('0001-01-01T00:00:00Z') &&
  Date.parse(v) <= Date.parse('9999-12-31T23:59:59.999Z');
const isFutureInstant = (v: unknown) =>
  typeof v === 'string' &&
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(v) &&
  isCalendarDate(v.slice(0, 10)) &&
  Date.parse(v) > Date.now() + 5_000;

const SERVICE_CODE = /^[A-Z0-9]{4,8}$/;
const MODIFIER = /^[A-Z0-9]{2}$/;
const CAP_PERIODS = ['DAY', 'WEEK', 'MONTH'];
const UNITS: Kind = { t: 'int', min: 1, max: 1_000_000 };
const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const onlyKeys = (o: Record<string, unknown>, keys: string[]) => Object.keys(o).every((k) => keys.includes(k));
const isModifiers = (v: unknown) =>
  Array.isArray(v) && v.length <= 4 && v.every((m) => typeof m === 'string' && MODIFIER.test(m)) && new Set(v).size === v.length;
const isCap = (c: unknown) => isPlainObject(c) && onlyKeys(c, ['period', 'units']) && typeof c.period === 'string' && CAP_PERIODS.includes(c.period) && valid(UNITS, c.units);
const isCaps = (v: unknown) => Array.isArray(v) && v.length <= 3 && v.every(isCap);
const isLine = (l: unknown) =>
  isPlainObject(l) &&
  onlyKeys(l, ['serviceCode', 'modifiers', 'totalUnits', 'caps']) &&
  typeof l.serviceCode === 'string' &&
  SERVICE_CODE.test(l.serviceCode) &&
  valid(UNITS, l.totalUnits) &&
  (!('modifiers' in l) || isModifiers(l.modifiers)) &&
  (!('caps' in l) || isCaps(l.caps));
const isLines = (v: unknown) => Array.isArray(v) && v.length >= 1 && v.length <= 20 && v.every(isLine);
/** Cross rules of SPEC §10 (after the DTO): one cap per period; no two lines with the same code and modifier set. */
const duplicatePeriods = (caps: unknown) => Array.isArray(caps) && new Set(caps.map((c: { period: string }) => c.period)).size !== caps.length;
const canonicalModifiers = (m: unknown) => [...new Set((m as string[] | undefined) ?? [])].sort().join(',');
const lineKey = (l: { serviceCode?: unknown; modifiers?: unknown }) => `${l.serviceCode}|${canonicalModifiers(l.modifiers)}`;
const byPeriod = (caps: { period: string; units: number }[]) => [...caps].sort((a, b) => a.period.localeCompare(b.period));

function valid(kind: Kind, v: unknown): boolean {
  switch (kind.t) {
    case 'int':
      return typeof v === 'number' && Number.isInteger(v) && v >= kind.min && v <= kind.max;
    case 'str':
      return (
        typeof v === 'string' &&
        isLength(v, { min: kind.min, max: kind.max }) &&
        (!kind.pattern || kind.pattern.test(v)) &&
        (!kind.notBlank || /\S/.test(v))
      );
    case 'date':
      return isCalendarDate(v);
    case 'instant':
      return kind.past ? isInstantShape(v) : isFutureInstant(v);
    case 'bool':
      return typeof v === 'boolean';
    case 'enum':
      return typeof v === 'string' && kind.values.includes(v);
    case 'uuid':
      return isUUID(v);
    case 'email':
      return isEmail(v) && isLength(v as string, { max: 254 });
    case 'tz':
      return isIntlTimeZone(v);
    case 'modifiers':
      return isModifiers(v);
    case 'caps':
      return isCaps(v);
    case 'lines':
      return isLines(v);
    case 'webhookUrl':
      return typeof v === 'string' && isLength(v, { max: 2048 });
    case 'events':
      return Array.isArray(v) && v.length >= 1 && v.length <= WEBHOOK_EVENT_TYPES.length && v.every((e) => typeof e === 'string' && (WEBHOOK_EVENT_TYPES as readonly string[]).includes(e)) && new Set(v).size === v.length;
  }
}

/** Values near the valid domain of a kind (boundaries, almost-right formats). */
function nearValid(kind: Kind): fc.Arbitrary<Hostile> {
  switch (kind.t) {
    case 'int':
      return fc
        .oneof(
          fc.integer({ min: kind.min - 2, max: Math.min(kind.max + 2, kind.min + 50) }),
          fc.constantFrom(kind.min, kind.max, kind.min - 1, kind.max + 1),
          fc.integer({ min: kind.min - 5, max: kind.max + 5 }),
        )
        .map(hv);
    case 'str':
      return fc
        .oneof(
          storableText({ minLength: 0, maxLength: Math.min(kind.max + 2, 60) }),
          fc.constantFrom(kind.min - 1, kind.min, kind.max, kind.max + 1).filter((n) => n >= 0).map((n) => 'z'.repeat(n)),
          ...(kind.pattern ? [fc.stringMatching(/^[A-Z0-9]{3,9}$/), fc.stringMatching(/^[A-Za-z0-9 -]{4,8}$/)] : []),
          fc.constantFrom(' ', '\t\n', '\u00a0'),
        )
        .map(hv);
    case 'date':
      return fc
        .oneof(
          fc.integer({ min: -400, max: 400 }).map(dayOffset),
          fc.date({ min: new Date('0001-01-01'), max: new Date('9999-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
          fc.constantFrom('2026-02-29', '2024-02-29', '2026-04-31', '2026-00-10', '10000-01-01', '2026-01-01 ', '２０２６-01-01'),
        )
        .map(hv);
    case 'instant':
      return fc
        .oneof(
          fc.integer({ min: -86_400, max: 86_400 * 60 }).map((s) => new Date(Date.now() + s * 1000 + (s >= 0 ? 60_000 : 0)).toISOString()),
          fc.integer({ min: 60, max: 86_400 }).map((s) => new Date(Date.now() + s * 1000).toISOString().replace('Z', '+00:00')),
          fc.constantFrom('2099-01-01T00:00:00', '2099-01-01', '2099-02-30T00:00:00Z', '2099-01-01T25:00:00Z', 'never'),
        )
        .map(hv);
    case 'bool':
      return fc.constantFrom(true, false, 'true', 'false', 0, 1, 'yes').map(hv);
    case 'enum':
      return fc.constantFrom(...kind.values, ...kind.values.map((v) => v.toLowerCase()), 'GOD', '').map(hv);
    case 'tz':
      return fc
        .oneof(
          fc.constantFrom('UTC', 'America/New_York', 'Pacific/Auckland', 'Europe/Paris', 'Asia/Kolkata', 'Etc/GMT+5', 'US/Eastern', 'EST5EDT'),
          // Intl knows these, PostgreSQL by this spelling does not (or neither does).
          fc.constantFrom('utc', 'america/new_york', 'Mars/Olympus', 'UTC+5', '+05:00', '', ' UTC', 'America/New York', 'A'.repeat(65)),
          storableText({ maxLength: 70 }),
        )
        .map(hv);
    case 'uuid':
      return fc.constantFrom(A.id, B.id, '00000000-0000-4000-8000-000000000000', randomUUID(), 'not-a-uuid', A.id.toUpperCase(), `${A.id} `).map(hv);
    case 'modifiers':
      return nearModifiers.map(hv);
    case 'caps':
      return nearCaps.map(hv);
    case 'lines':
      return nearLines.map(hv);
    case 'webhookUrl':
      return nearWebhookUrl.map(hv);
    case 'events':
      return nearEvents.map(hv);
    case 'email':
      return fc
        .oneof(
          fc.emailAddress().map((e) => `${next()}.${e}`),
          fc.constantFrom('a@b', 'no-at-sign', '@example.com', 'x@example.com ', ' x@example.com', 'x@@example.com', `${'x'.repeat(250)}@e.co`),
          storableText({ maxLength: 20 }).map((s) => `${s}@example.com`),
        )
        .map(hv);
  }
}

// SPEC §10 values: valid ones (so that accepted shapes are explored) and almost-valid ones.
const validModifiers = fc.uniqueArray(fc.constantFrom('HO', 'HN', 'U1', 'GT', '95', 'AB', 'TS'), { maxLength: 4 });
const nearModifiers: fc.Arbitrary<unknown> = fc.oneof(
  validModifiers,
  fc.uniqueArray(fc.stringMatching(/^[A-Z0-9]{2}$/), { maxLength: 6 }),
  fc.array(fc.constantFrom<unknown>('HO', 'HN', 'ho', 'H', 'HOX', '', ' H', 'H\u00d6', 5, null, ['HO'], { m: 'HO' }), { maxLength: 5 }),
  fc.constantFrom<unknown>([], ['HO', 'HO'], ['HN', 'HO'], ['HO', 'HN'], 'HO', ['HO '], ['A', 'B', 'C', 'D', 'E']),
);
const validCap = fc.record({ period: fc.constantFrom('DAY', 'WEEK', 'MONTH'), units: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(1, 1_000_000)) });
const validCaps = fc.uniqueArray(validCap, { selector: (c) => c.period, maxLength: 3 });
const nearCap: fc.Arbitrary<unknown> = fc.oneof(
  validCap,
  fc.record({ period: fc.constantFrom<unknown>('DAY', 'WEEK', 'MONTH', 'day', 'YEAR', 'QUARTER', '', null, 1), units: fc.constantFrom<unknown>(0, -1, 1, 5, 1_000_000, 1_000_001, 2.5, '5', null, true) }, { requiredKeys: [] }),
  fc.tuple(validCap, fc.constantFrom('lineId', 'id', 'heldUnits', 'buckets', '')).map(([c, k]) => ({ ...c, [k]: 1 })),
  fc.constantFrom<unknown>(null, 5, 'WEEK', [], [{ period: 'DAY', units: 1 }], { $ne: null }),
);
const nearCaps: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: validCaps },
  { weight: 2, arbitrary: fc.array(validCap, { minLength: 2, maxLength: 4 }) },
  { weight: 3, arbitrary: fc.array(nearCap, { maxLength: 4 }) },
  // An array inside caps or lines was a 500 until b36c4b4 (found by this file): kept as a regression.
  { weight: 1, arbitrary: fc.constantFrom<unknown>({ period: 'DAY', units: 1 }, [[{ period: 'DAY', units: 1 }]], 'DAY') },
);
const withoutUndefined = <T extends Record<string, unknown>>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
const validLine = fc
  .record({
    serviceCode: fc.constantFrom('97153', '97155', '97151', 'H2019', 'T1024ABC'),
    modifiers: fc.option(validModifiers, { nil: undefined }),
    totalUnits: fc.oneof(fc.integer({ min: 1, max: 500 }), fc.constantFrom(1, 999_999, 1_000_000)),
    caps: fc.option(validCaps, { nil: undefined }),
  })
  .map(withoutUndefined);
const nearLine: fc.Arbitrary<unknown> = fc.oneof(
  validLine,
  fc.tuple(validLine, fc.constantFrom('serviceCode', 'modifiers', 'totalUnits', 'caps'), fc.oneof(hostileValue.map((h) => h.value), nearModifiers, nearCaps)).map(([l, k, v]) => ({ ...l, [k]: v })),
  fc.tuple(validLine, fc.constantFrom('serviceCode', 'totalUnits')).map(([l, k]) => withoutUndefined({ ...l, [k]: undefined })),
  fc.tuple(validLine, fc.constantFrom('id', 'usedUnits', 'poolUnits', 'lineId', 'x')).map(([l, k]) => ({ ...l, [k]: 1 })),
  fc.constantFrom<unknown>(null, 5, '97153', [], [{ serviceCode: '97153', totalUnits: 1 }]),
);
const nearLines: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.array(validLine, { minLength: 1, maxLength: 4 }) },
  { weight: 3, arbitrary: fc.array(nearLine, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.array(validLine, { minLength: 19, maxLength: 22 }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>([], null, { serviceCode: '97153', totalUnits: 1 }, [[{ serviceCode: '97153', totalUnits: 1 }]]) },
);

// SPEC §11: webhook URLs that must be accepted (loopback literals, the app runs with
// WEBHOOK_ALLOW_HTTP_LOOPBACK=true) or refused (private, metadata, odd spellings, names: no DNS in tests).
const nearWebhookUrl: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    LOOPBACK_WEBHOOK_URL,
    'http://127.0.0.1:9/',
    'http://[::1]:9/hook',
    'https://127.0.0.1:9/hook',
    'http://2130706433:9/',
    'http://0x7f.1:9/',
    'http://127.1:9/',
    'http://0177.0.0.1:9/',
    'http://10.0.0.1/',
    'https://192.168.1.1/',
    'https://169.254.169.254/latest/meta-data/',
    'http://[::ffff:10.0.0.1]/',
    'http://[fd00::1]/',
    'http://0.0.0.0:9/',
    'https://metadata.google.internal/',
    'https://hooks.example.com/',
    'http://localhost:9/',
    'ftp://127.0.0.1/',
    'http://user:pass@127.0.0.1:9/',
    'http://127.0.0.1:0/',
    'http://127.0.0.1:9/#x',
    '//127.0.0.1:9/',
    'hook',
    '',
    `http://127.0.0.1:9/${'a'.repeat(2030)}`,
  ),
  fc.tuple(fc.constantFrom('http://127.0.0.1:9', 'https://10.1.2.3', 'http://[::1]:9'), storableText({ maxLength: 20 })).map(([base, p]) => `${base}/${p}`),
  storableText({ maxLength: 40 }),
);
const nearEvents: fc.Arbitrary<unknown> = fc.oneof(
  fc.uniqueArray(fc.constantFrom(...WEBHOOK_EVENT_TYPES), { minLength: 1, maxLength: WEBHOOK_EVENT_TYPES.length }),
  fc.array(fc.constantFrom<unknown>(...WEBHOOK_EVENT_TYPES, 'reservation.deleted', 'RESERVATION.CREATED', '*', '', null, 5, ['reservation.created']), { maxLength: 4 }),
  fc.constantFrom<unknown>([], 'reservation.created', [...WEBHOOK_EVENT_TYPES, 'reservation.created'], { type: 'reservation.created' }),
);

// ---------------------------------------------------------------------------------------------
// Body mutations: a valid body, then 1-3 hostile edits.
type Op =
  | { op: 'set'; key: string; value: Hostile }
  | { op: 'delete'; key: string }
  | { op: 'unknown'; key: string; value: Hostile }
  | { op: 'duplicate'; key: string; value: Hostile }
  | { op: 'proto'; key: '__proto__' | 'constructor' | 'prototype'; depth: number };

const MASS_ASSIGNMENT = ['id', 'usedUnits', 'scheduledUnits', 'availableUnits', 'organizationId', 'createdAt', 'updatedAt', 'status', 'role', 'active', 'passwordHash', 'password_hash', 'isAdmin', 'createdBy', 'consumedUnits', 'email', 'authorizationId'];
/** Names Object.prototype owns: refused like any other unknown key, but covered by a property of their own. */
const OBJECT_PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype);

interface BodyRoute {
  name: string;
  method: 'POST' | 'PATCH';
  path: () => string;
  token: () => string;
  fields: Record<string, Field>;
  valid: () => Record<string, unknown>;
  /** Cross-field rules (checked by the service after the DTO): fields they make invalid. */
  cross?: (body: Record<string, any>) => string[];
  success: number;
  /** Business rejections possible for a DTO-valid body: status → codes (only codes the fixtures can justify). */
  business?: Record<number, string[]>;
  /**
   * For a DTO-valid body: the one refusal the fixture's current state justifies (status, code and
   * the extra fields of the error body), or undefined when the route must succeed. Read before
   * the request is sent; when given, it replaces `business`.
   */
  refusal?: (body: Record<string, any>) => Promise<{ status: number; code: string; fields: Record<string, unknown> } | undefined | 'business'>;
  /** After a 2xx: the answer agrees with what was sent; fixtures used up are replaced. */
  accepted?: (res: RawResult, body: Record<string, any>) => Promise<void>;
  runs: number;
}

function opArbitrary(route: BodyRoute): fc.Arbitrary<Op> {
  const known = Object.keys(route.fields);
  const fieldValue = (key: string) => fc.oneof(hostileValue, nearValid(route.fields[key].kind));
  const unknownKey = fc
    .oneof(fc.constantFrom(...MASS_ASSIGNMENT), fc.string({ minLength: 0, maxLength: 12 }), storableText({ maxLength: 8 }))
    .filter((k) => !known.includes(k) && !OBJECT_PROTOTYPE_NAMES.includes(k) && k !== 'prototype');
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...known).chain((key) => fieldValue(key).map((value): Op => ({ op: 'set', key, value }))) },
    { weight: 1, arbitrary: fc.constantFrom(...known).map((key): Op => ({ op: 'delete', key })) },
    { weight: 2, arbitrary: fc.tuple(unknownKey, hostileValue).map(([key, value]): Op => ({ op: 'unknown', key, value })) },
    { weight: 1, arbitrary: fc.constantFrom(...known).chain((key) => fieldValue(key).map((value): Op => ({ op: 'duplicate', key, value }))) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('__proto__' as const, 'constructor' as const, 'prototype' as const), fc.integer({ min: 0, max: 3 })).map(([key, depth]): Op => ({ op: 'proto', key, depth })) },
  );
}

/** The raw JSON text of the mutated body (duplicates and prototype keys survive, unlike JSON.stringify). */
function buildBody(base: Record<string, unknown>, ops: Op[]): { raw: string; proto: boolean } {
  let entries: [string, string][] = Object.entries(base).map(([k, v]) => [k, JSON.stringify(v)]);
  let proto = false;
  for (const op of ops) {
    if (op.op === 'set') {
      const i = entries.findIndex(([k]) => k === op.key);
      if (i >= 0) entries[i] = [op.key, op.value.raw];
      else entries.push([op.key, op.value.raw]);
    } else if (op.op === 'delete') entries = entries.filter(([k]) => k !== op.key);
    else if (op.op === 'unknown' || op.op === 'duplicate') entries.push([op.key, op.value.raw]);
    else {
      proto = true;
      let value = `{"${op.key}":{"polluted":true}}`;
      for (let d = 0; d < op.depth; d++) value = `{"x":${value}}`;
      entries.push(op.depth === 0 ? [op.key, '{"polluted":true}'] : ['nested', value]);
    }
  }
  return { raw: `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`, proto };
}

/**
 * The service refuses, before any validation, the first field (in body order) that holds a key
 * named like an object member (`__proto__`, `constructor`, `toString`, …) or text PostgreSQL
 * cannot store (NUL, lone surrogates); this is its top-level key, or undefined.
 */
function firstRefusedTopKey(body: Record<string, unknown>): string | undefined {
  const isMember = (k: string) => k === 'prototype' || k in Object.prototype;
  const refused = (v: unknown): boolean =>
    typeof v === 'string'
      ? v.includes('\u0000') || !v.isWellFormed()
      : v !== null && typeof v === 'object' && Object.entries(v).some(([k, item]) => isMember(k) || refused(item));
  return Object.entries(body).find(([k, v]) => isMember(k) || refused(v))?.[0];
}

/** Field names the model says are wrong (unknown, missing, wrong type, out of range, cross-field). */
function invalidFields(route: BodyRoute, body: Record<string, unknown>): string[] {
  const bad = Object.keys(body).filter((k) => !(k in route.fields));
  for (const [key, field] of Object.entries(route.fields)) {
    if (!(key in body)) {
      if (typeof field.required === 'function' ? field.required(body) : field.required) bad.push(key);
      continue;
    }
    const v = body[key];
    if (v === null && field.nullable) continue;
    if (!valid(field.kind, v)) bad.push(key);
  }
  if (!bad.length && route.cross) bad.push(...route.cross(body));
  return [...new Set(bad)];
}

// ---------------------------------------------------------------------------------------------
const ROLE: Kind = { t: 'enum', values: ['SUPER_ADMIN', 'ADMIN', 'PRACTITIONER', 'VIEWER'] };
const str = (min: number, max: number, extra: Partial<Extract<Kind, { t: 'str' }>> = {}): Kind => ({ t: 'str', min, max, ...extra });

async function newReservationToConsume(): Promise<void> {
  const r = await send('POST', `/api/v1/authorizations/${fx.consumeAuth.id}/reservations`, A.tokens.PRACTITIONER, JSON.stringify({ units: 5 }));
  expect(r.status).toBe(201);
  fx.consumeReservation = { id: r.body.reservation.id, units: 5 };
}

/**
 * POST /authorizations in either shape (SPEC §10): serviceCode + totalUnits (required without
 * lines), or lines with poolUnits; caps with both. After the DTO: an ADMIN naming another
 * organization is 403 first; then the shape (poolUnits without lines; serviceCode or totalUnits
 * with lines), two lines alike or lines adding up over 1,000,000 without a pool, two caps of one
 * period (on the authorization, then on a line), and endDate before startDate.
 */
function authorizationRoute(name: string, validBody: () => Record<string, unknown>): BodyRoute {
  return {
    name,
    method: 'POST',
    path: () => '/api/v1/authorizations',
    token: () => A.tokens.ADMIN,
    fields: {
      organizationId: { kind: { t: 'uuid' } },
      patientId: { kind: str(1, 128), required: true },
      payer: { kind: str(0, 128) },
      authNumber: { kind: str(1, 64), required: true },
      serviceCode: { kind: str(0, 100, { pattern: SERVICE_CODE }), required: (b) => !('lines' in b) },
      totalUnits: { kind: UNITS, required: (b) => !('lines' in b) },
      lines: { kind: { t: 'lines' } },
      poolUnits: { kind: UNITS },
      caps: { kind: { t: 'caps' } },
      startDate: { kind: { t: 'date' }, required: true },
      endDate: { kind: { t: 'date' }, required: true },
      status: { kind: { t: 'enum', values: ['PENDING', 'ACTIVE'] } },
      notes: { kind: str(0, 2000) },
    },
    valid: validBody,
    cross: (b) => {
      if (b.organizationId !== undefined && b.organizationId !== A.id) return [];
      if (b.lines === undefined) {
        if (b.poolUnits !== undefined) return ['poolUnits'];
      } else {
        const both = ['serviceCode', 'totalUnits'].filter((k) => k in b);
        if (both.length) return both;
        const keys = b.lines.map(lineKey);
        const sum = b.lines.reduce((total: number, l: { totalUnits: number }) => total + l.totalUnits, 0);
        if (new Set(keys).size !== keys.length || (b.poolUnits === undefined && sum > 1_000_000)) return ['lines'];
      }
      if (duplicatePeriods(b.caps)) return ['caps'];
      if (b.lines?.some((l: { caps?: unknown }) => duplicatePeriods(l.caps))) return ['lines'];
      return b.startDate > b.endDate ? ['endDate'] : [];
    },
    success: 201,
    business: { 403: ['FORBIDDEN'], 404: ['NOT_FOUND'], 409: ['AUTH_NUMBER_TAKEN'] },
    accepted: async (res, b) => {
      const lines: { serviceCode: string; modifiers?: string[]; totalUnits: number; caps?: { period: string; units: number }[] }[] =
        b.lines ?? [{ serviceCode: b.serviceCode, totalUnits: b.totalUnits }];
      const sum = lines.reduce((total, l) => total + l.totalUnits, 0);
      const total = b.poolUnits ?? sum;
      expect(res.body).toMatchObject({
        organizationId: A.id,
        patientId: b.patientId,
        payer: b.payer ?? null,
        authNumber: b.authNumber,
        serviceCode: lines.length === 1 ? lines[0].serviceCode : null,
        totalUnits: total,
        poolUnits: b.poolUnits ?? null,
        usedUnits: 0,
        scheduledUnits: 0,
        availableUnits: Math.min(total, sum),
        startDate: b.startDate,
        endDate: b.endDate,
        notes: b.notes ?? null,
      });
      expect(byPeriod(res.body.caps)).toEqual(byPeriod(b.caps ?? []));
      expect(res.body.lines).toHaveLength(lines.length);
      for (const sent of lines) {
        const line = res.body.lines.find((l: { serviceCode: string; modifiers: string[] }) => lineKey(l) === lineKey(sent));
        expect({ sent, line }).toEqual({
          sent,
          line: expect.objectContaining({ modifiers: canonicalModifiers(sent.modifiers).split(',').filter(Boolean), totalUnits: sent.totalUnits, usedUnits: 0, scheduledUnits: 0, availableUnits: sent.totalUnits }),
        });
        expect(byPeriod(line.caps)).toEqual(byPeriod(sent.caps ?? []));
      }
    },
    runs: 300,
  };
}

const bodyRoutes = (): BodyRoute[] => [
  {
    name: 'POST /auth/login',
    method: 'POST',
    path: () => '/api/v1/auth/login',
    token: () => '',
    fields: { email: { kind: str(1, 254), required: true }, password: { kind: str(1, 1024), required: true } },
    valid: () => ({ email: 'fuzz-victim@example.com', password: 'not-the-password' }),
    success: 200,
    business: { 401: ['INVALID_CREDENTIALS'] },
    runs: 80,
  },
  // SPEC §11 sessions: a refresh token that was never issued (any text the DTO takes) is 401, nothing written.
  ...(['refresh', 'logout'] as const).map(
    (action): BodyRoute => ({
      name: `POST /auth/${action}`,
      method: 'POST',
      path: () => `/api/v1/auth/${action}`,
      token: () => '',
      fields: { refreshToken: { kind: str(1, 512), required: true } },
      valid: () => ({ refreshToken: `ulr_${randomUUID().replace(/-/g, '')}${randomUUID().replace(/-/g, '').slice(0, 11)}` }),
      success: action === 'refresh' ? 200 : 204,
      refusal: async () => ({ status: 401, code: 'INVALID_REFRESH_TOKEN', fields: {} }),
      runs: 80,
    }),
  ),
  {
    // SPEC §11 machine clients: an ADMIN's key is of its own organization, its role never above ADMIN.
    name: 'POST /api-keys (as ADMIN)',
    method: 'POST',
    path: () => '/api/v1/api-keys',
    token: () => A.tokens.ADMIN,
    fields: { name: { kind: str(1, 100), required: true }, role: { kind: ROLE, required: true }, organizationId: { kind: { t: 'uuid' } } },
    valid: () => ({ name: `key ${next()}`, role: 'VIEWER' }),
    success: 201,
    refusal: async (b) => (b.role === 'SUPER_ADMIN' || (b.organizationId !== undefined && b.organizationId !== A.id) ? { status: 403, code: 'FORBIDDEN', fields: {} } : undefined),
    accepted: async (res, body) => {
      expect(res.body).toEqual({
        id: expect.any(String),
        name: body.name,
        role: body.role,
        organizationId: A.id,
        createdBy: A.userIds.ADMIN,
        createdAt: expect.any(String),
        lastUsedAt: null,
        key: expect.stringMatching(/^ul_[A-Za-z0-9_-]{43}$/),
      });
      const { rows } = await t.sql.query('select name, role, organization_id as "organizationId" from api_keys where id = $1', [res.body.id]);
      expect(rows).toEqual([{ name: body.name, role: body.role, organizationId: A.id }]);
    },
    runs: 150,
  },
  {
    // SPEC §11 webhooks: after the DTO, the URL policy (the model asks the service's own checkWebhookUrl,
    // whose rules src/webhooks/webhook-url.spec.ts pins, with the test app's settings: loopback allowed,
    // no name resolves). Each endpoint made is deleted again: an organization has at most 20.
    name: 'POST /webhooks (as ADMIN)',
    method: 'POST',
    path: () => '/api/v1/webhooks',
    token: () => A.tokens.ADMIN,
    fields: { url: { kind: { t: 'webhookUrl' }, required: true }, events: { kind: { t: 'events' }, required: true }, description: { kind: str(1, 500) } },
    valid: () => ({ url: LOOPBACK_WEBHOOK_URL, events: ['reservation.created'], description: `hook ${next()}` }),
    success: 201,
    refusal: async (b) => {
      const check = await checkWebhookUrl(b.url, { allowHttpLoopback: true, resolve: async () => Promise.reject(Object.assign(new Error('no DNS in tests'), { code: 'ENOTFOUND' })) });
      return check.ok ? undefined : { status: 400, code: 'VALIDATION_FAILED', fields: { fields: [{ field: 'url', reason: check.reason }] } };
    },
    accepted: async (res, body) => {
      expect(res.body).toEqual({
        id: expect.any(String),
        organizationId: A.id,
        url: new URL(body.url).href,
        events: WEBHOOK_EVENT_TYPES.filter((e) => body.events.includes(e)),
        description: body.description ?? null,
        enabled: true,
        failingSince: null,
        disabledReason: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/),
      });
      const { rows } = await t.sql.query('delete from webhook_endpoints where id = $1 returning organization_id as "organizationId", secret', [res.body.id]);
      expect(rows).toEqual([{ organizationId: A.id, secret: res.body.secret }]);
    },
    runs: 150,
  },
  {
    name: 'POST /organizations',
    method: 'POST',
    path: () => '/api/v1/organizations',
    token: () => root,
    fields: { name: { kind: str(1, 200, { notBlank: true }), required: true } },
    valid: () => ({ name: `Org ${next()}` }),
    success: 201,
    accepted: async (res, body) => {
      // Byte for byte is the text property's business ("organization name: any storable text…"); here
      // the service's trimming of surrounding white space is let through, so that it hides nothing else.
      expect(res.body).toEqual({
        id: expect.any(String),
        name: expect.any(String),
        weekStartsOn: 'MONDAY',
        timeZone: 'UTC',
        lowUnitsPercent: 20,
        expiringWithinDays: 30,
        createdAt: expect.any(String),
      });
      expect([body.name, body.name.trim()]).toContain(res.body.name);
      expect((await t.sql.query('select name from organizations where id = $1', [res.body.id])).rows).toEqual([{ name: res.body.name }]);
    },
    runs: 200,
  },
  {
    name: 'PATCH /organizations/:id (as SUPER_ADMIN)',
    method: 'PATCH',
    path: () => `/api/v1/organizations/${fx.settingsOrgId}`,
    token: () => root,
    fields: {
      name: { kind: str(1, 200, { notBlank: true }) },
      weekStartsOn: { kind: { t: 'enum', values: ['MONDAY', 'SUNDAY'] } },
      timeZone: { kind: { t: 'tz' } },
      lowUnitsPercent: { kind: { t: 'int', min: 1, max: 99 } },
      expiringWithinDays: { kind: { t: 'int', min: 1, max: 365 } },
    },
    valid: () => ({ name: `Settings ${next()}` }),
    // After the DTO: PostgreSQL must know the time zone by exactly this name.
    cross: (b) => (b.timeZone !== undefined && !pgTimeZones.has(b.timeZone) ? ['timeZone'] : []),
    success: 200,
    // No 409: the organization has no authorization, so no weekly cap holds scheduled units.
    accepted: async (res, b) => {
      expect(res.body).toMatchObject({ id: fx.settingsOrgId, ...b });
      const { rows } = await t.sql.query(
        `select name, week_starts_on as "weekStartsOn", time_zone as "timeZone", low_units_percent as "lowUnitsPercent", expiring_within_days as "expiringWithinDays"
         from organizations where id = $1`,
        [fx.settingsOrgId],
      );
      expect({ ...res.body, ...rows[0] }).toEqual(res.body);
    },
    runs: 200,
  },
  {
    name: 'POST /users (as ADMIN)',
    method: 'POST',
    path: () => '/api/v1/users',
    token: () => A.tokens.ADMIN,
    fields: {
      email: { kind: { t: 'email' }, required: true },
      password: { kind: str(12, 128), required: true },
      role: { kind: ROLE, required: true },
      organizationId: { kind: { t: 'uuid' } },
    },
    valid: () => ({ email: `fuzz-${next()}@example.com`, password: PASSWORD, role: 'VIEWER' }),
    success: 201,
    business: { 403: ['FORBIDDEN'], 404: ['NOT_FOUND'], 409: ['EMAIL_TAKEN'] },
    accepted: async (res, body) => {
      expect(res.body).toEqual({ id: expect.any(String), email: body.email.trim().toLowerCase(), role: body.role, organizationId: A.id, active: true, createdAt: expect.any(String) });
      expect(res.text).not.toMatch(/password/i);
    },
    runs: 300,
  },
  {
    name: 'PATCH /users/:id (as ADMIN)',
    method: 'PATCH',
    path: () => `/api/v1/users/${fx.patchUser.id}`,
    token: () => A.tokens.ADMIN,
    fields: { role: { kind: ROLE }, active: { kind: { t: 'bool' } } },
    valid: () => ({ active: true }),
    success: 200,
    business: { 403: ['FORBIDDEN'] },
    accepted: async (res, body) => {
      expect(res.body).toMatchObject({ id: fx.patchUser.id, organizationId: A.id, ...body });
    },
    runs: 200,
  },
  authorizationRoute('POST /authorizations (as ADMIN)', () => ({
    patientId: `patient-${next()}`,
    payer: 'Acme Health',
    authNumber: `AUTH-${next()}`,
    serviceCode: '97153',
    totalUnits: 40,
    startDate: dayOffset(-10),
    endDate: dayOffset(90),
  })),
  // SPEC §10: the same route with the payer-shaped body (lines, a pool, caps on a line and on the whole).
  authorizationRoute('POST /authorizations {lines, poolUnits, caps} (as ADMIN)', () => ({
    patientId: `patient-${next()}`,
    authNumber: `AUTH-${next()}`,
    lines: [
      { serviceCode: '97153', totalUnits: 60, caps: [{ period: 'WEEK', units: 20 }] },
      { serviceCode: '97155', modifiers: ['HO'], totalUnits: 20 },
    ],
    poolUnits: 70,
    caps: [{ period: 'MONTH', units: 50 }],
    startDate: dayOffset(-10),
    endDate: dayOffset(90),
  })),
  {
    name: 'PATCH /authorizations/:id (as ADMIN)',
    method: 'PATCH',
    path: () => `/api/v1/authorizations/${fx.patchAuth.id}`,
    token: () => A.tokens.ADMIN,
    fields: {
      totalUnits: { kind: { t: 'int', min: 1, max: 1_000_000 } },
      endDate: { kind: { t: 'date' } },
      status: { kind: { t: 'enum', values: ['PENDING', 'ACTIVE', 'CANCELLED'] } },
      notes: { kind: str(0, 2000), nullable: true },
      payer: { kind: str(0, 128), nullable: true },
      caps: { kind: { t: 'caps' } },
    },
    valid: () => ({ notes: `notes ${next()}`, caps: [{ period: 'WEEK', units: 10 + (counter % 7) }] }),
    cross: (b) => (b.endDate !== undefined && b.endDate < fx.patchAuth.startDate ? ['endDate'] : duplicatePeriods(b.caps) ? ['caps'] : []),
    success: 200,
    // No 409 is possible: nothing is ever reserved on fx.patchAuth (used + scheduled = 0), so
    // neither TOTAL_BELOW_ALLOCATED (totalUnits >= 1), HAS_SCHEDULED_UNITS nor CAP_BELOW_HELD can be justified.
    accepted: async (res, b) => {
      const { caps, ...rest } = b;
      expect(res.body).toMatchObject({ id: fx.patchAuth.id, ...rest, ...(b.status && b.status !== 'ACTIVE' ? { status: b.status } : { status: expect.any(String) }) });
      if (caps !== undefined) expect(byPeriod(res.body.caps)).toEqual(byPeriod(caps));
    },
    runs: 300,
  },
  {
    name: 'POST /authorizations/:id/reservations (as PRACTITIONER)',
    method: 'POST',
    path: () => `/api/v1/authorizations/${fx.reserveAuth.id}/reservations`,
    token: () => A.tokens.PRACTITIONER,
    fields: {
      units: { kind: { t: 'int', min: 1, max: 1_000_000 }, required: true },
      serviceDate: { kind: { t: 'date' } },
      reference: { kind: str(0, 128) },
      // The DTO reads any instant; "in the future" is checked once the authorization is found (a cross rule here).
      expiresAt: { kind: { t: 'instant', past: true } },
      serviceCode: { kind: str(0, 100, { pattern: SERVICE_CODE }) },
      modifiers: { kind: { t: 'modifiers' } },
    },
    valid: () => ({ units: 1, reference: `appt-${next()}`, serviceCode: '97153' }),
    cross: (b) => (b.expiresAt !== undefined && !isFutureInstant(b.expiresAt) ? ['expiresAt'] : []),
    success: 201,
    // fx.reserveAuth is ACTIVE, runs from 400 days ago to 400 days ahead and holds 1,000,000
    // units (every reservation made here is released again): OUTSIDE_AUTHORIZATION_PERIOD only for
    // a serviceDate outside that period, INSUFFICIENT_UNITS only for more than it has left.
    refusal: async (b) => {
      const { rows: [a] } = await t.sql.query(
        `select start_date::text as "startDate", end_date::text as "endDate", (total_units - used_units - scheduled_units)::int as available from authorizations where id = $1`,
        [fx.reserveAuth.id],
      );
      const serviceDate: string = b.serviceDate ?? dayOffset(0);
      // Its one line is 97153 without modifiers: another code, or modifiers with the code, name no line of it.
      // (Without serviceCode the one line is taken, whatever modifiers say.)
      if (b.serviceCode !== undefined && (b.serviceCode !== '97153' || (b.modifiers !== undefined && canonicalModifiers(b.modifiers) !== ''))) {
        return { status: 409, code: 'NO_MATCHING_LINE', fields: { serviceCode: b.serviceCode } };
      }
      if (serviceDate < a.startDate || serviceDate > a.endDate) {
        return { status: 409, code: 'OUTSIDE_AUTHORIZATION_PERIOD', fields: { serviceDate, startDate: a.startDate, endDate: a.endDate } };
      }
      if (b.units > a.available) return { status: 409, code: 'INSUFFICIENT_UNITS', fields: { availableUnits: a.available, requestedUnits: b.units } };
      return undefined;
    },
    accepted: async (res, b) => {
      expect(res.body.reservation).toMatchObject({ authorizationId: fx.reserveAuth.id, units: b.units, reference: b.reference ?? null, status: 'SCHEDULED' });
      if (b.serviceDate) expect(res.body.reservation.serviceDate).toBe(b.serviceDate);
      if (b.expiresAt) expect(Date.parse(res.body.reservation.expiresAt)).toBe(Date.parse(b.expiresAt));
      // Give the units back, so that the authorization stays able to take the next one.
      const released = await send('POST', `/api/v1/reservations/${res.body.reservation.id}/release`, A.tokens.PRACTITIONER);
      expect(released.status).toBe(200);
    },
    runs: 300,
  },
  {
    name: 'POST /reservations/:id/consume (as PRACTITIONER)',
    method: 'POST',
    path: () => `/api/v1/reservations/${fx.consumeReservation.id}/consume`,
    token: () => A.tokens.PRACTITIONER,
    fields: { units: { kind: { t: 'int', min: 0, max: 1_000_000 } } },
    valid: () => ({ units: 2 }),
    cross: (b) => (b.units !== undefined && b.units > fx.consumeReservation.units ? ['units'] : []),
    success: 200,
    accepted: async (res, b) => {
      expect(res.body.reservation).toMatchObject({ id: fx.consumeReservation.id, status: 'CONSUMED', consumedUnits: b.units ?? fx.consumeReservation.units });
      await newReservationToConsume();
    },
    runs: 200,
  },
  {
    name: 'POST /authorizations/:id/lines (as ADMIN)',
    method: 'POST',
    path: () => `/api/v1/authorizations/${fx.linesAuth.id}/lines`,
    token: () => A.tokens.ADMIN,
    fields: {
      serviceCode: { kind: str(0, 100, { pattern: SERVICE_CODE }), required: true },
      modifiers: { kind: { t: 'modifiers' } },
      totalUnits: { kind: UNITS, required: true },
      caps: { kind: { t: 'caps' } },
    },
    // A modifier set of its own per line (the fixture is replaced before it has 20 lines).
    valid: () => ({ serviceCode: 'H2019', modifiers: [String(fx.linesAuth.keys.length).padStart(2, '0')], totalUnits: 10, caps: [{ period: 'DAY', units: 4 }] }),
    // After the DTO: a line alike (serviceCode), the lines adding up over 1,000,000 without a pool (totalUnits), two caps of one period.
    cross: (b) =>
      fx.linesAuth.keys.includes(lineKey(b)) ? ['serviceCode'] : fx.linesAuth.total + b.totalUnits > 1_000_000 ? ['totalUnits'] : duplicatePeriods(b.caps) ? ['caps'] : [],
    success: 201,
    accepted: async (res, b) => {
      const total = fx.linesAuth.total + b.totalUnits;
      expect(res.body).toMatchObject({ id: fx.linesAuth.id, serviceCode: null, poolUnits: null, totalUnits: total, availableUnits: total });
      const line = res.body.lines.find((l: { serviceCode: string; modifiers: string[] }) => lineKey(l) === lineKey(b));
      expect(line).toMatchObject({ serviceCode: b.serviceCode, modifiers: canonicalModifiers(b.modifiers).split(',').filter(Boolean), totalUnits: b.totalUnits, usedUnits: 0, scheduledUnits: 0 });
      expect(byPeriod(line.caps)).toEqual(byPeriod(b.caps ?? []));
      const { rows } = await t.sql.query("select units, line_id as \"lineId\" from ledger_entries where authorization_id = $1 and type = 'ADJUST' order by id desc limit 1", [fx.linesAuth.id]);
      expect(rows).toEqual([{ units: b.totalUnits, lineId: line.id }]);
      fx.linesAuth.keys.push(lineKey(b));
      fx.linesAuth.total = total;
      if (fx.linesAuth.keys.length >= 15 || total > 900_000) fx.linesAuth = await newLinesAuthorization();
    },
    runs: 250,
  },
  {
    name: 'PATCH /authorizations/:id/lines/:lineId (as ADMIN)',
    method: 'PATCH',
    path: () => `/api/v1/authorizations/${fx.lineAuth.id}/lines/${fx.lineAuth.lineId}`,
    token: () => A.tokens.ADMIN,
    fields: { totalUnits: { kind: UNITS }, caps: { kind: { t: 'caps' } } },
    valid: () => ({ totalUnits: 20 + (counter % 9), caps: [{ period: 'MONTH', units: 10 }] }),
    // The other line holds 60 units and there is no pool: the lines may not add up over 1,000,000.
    cross: (b) => (b.totalUnits !== undefined && b.totalUnits + 60 > 1_000_000 ? ['totalUnits'] : duplicatePeriods(b.caps) ? ['caps'] : []),
    success: 200,
    // No 409: nothing is ever reserved on it (no TOTAL_BELOW_ALLOCATED, no CAP_BELOW_HELD).
    accepted: async (res, b) => {
      const line = res.body.lines.find((l: { id: string }) => l.id === fx.lineAuth.lineId);
      expect(line).toMatchObject({ serviceCode: '97155', modifiers: ['HO'], ...(b.totalUnits !== undefined ? { totalUnits: b.totalUnits } : {}) });
      expect(res.body).toMatchObject({ id: fx.lineAuth.id, totalUnits: 60 + line.totalUnits });
      if (b.caps !== undefined) expect(byPeriod(line.caps)).toEqual(byPeriod(b.caps));
    },
    runs: 200,
  },
  {
    name: 'POST /reservations (as PRACTITIONER)',
    method: 'POST',
    path: () => '/api/v1/reservations',
    token: () => A.tokens.PRACTITIONER,
    fields: {
      patientId: { kind: str(1, 128), required: true },
      serviceCode: { kind: str(0, 100, { pattern: SERVICE_CODE }), required: true },
      modifiers: { kind: { t: 'modifiers' } },
      units: { kind: UNITS, required: true },
      serviceDate: { kind: { t: 'date' } },
      reference: { kind: str(0, 128) },
      // "In the future" is checked once there is a candidate (below), like the v1 route checks it once the authorization is found.
      expiresAt: { kind: { t: 'instant', past: true } },
    },
    valid: () => ({ patientId: fx.patient.patientId, serviceCode: '97153', units: 1, reference: `appt-${next()}` }),
    success: 201,
    business: { 409: ['NO_AUTHORIZATION_AVAILABLE'] },
    // The eligible authorizations (SPEC §10: A's, the patient's, stored ACTIVE, dates covering the day, a matching line).
    // None: 409 with no candidates. Only the fixture (1,000,000 units, every hold released again): it fits.
    refusal: async (b) => {
      const day: string = b.serviceDate ?? dayOffset(0);
      const { rows } = await t.sql.query(
        `select a.id from authorizations a where a.organization_id = $1 and a.patient_id = $2 and a.status = 'ACTIVE' and $3::date between a.start_date and a.end_date
           and exists (select 1 from authorization_lines l where l.authorization_id = a.id and l.service_code = $4 and ($5::text is null or l.modifiers = $5))`,
        [A.id, b.patientId, day, b.serviceCode, b.modifiers === undefined ? null : canonicalModifiers(b.modifiers)],
      );
      if (rows.length === 0) return { status: 409, code: 'NO_AUTHORIZATION_AVAILABLE', fields: { candidates: [] } };
      if (b.expiresAt !== undefined && !isFutureInstant(b.expiresAt)) return { status: 400, code: 'VALIDATION_FAILED', fields: { fields: [expect.objectContaining({ field: 'expiresAt' })] } };
      return rows.length === 1 && rows[0].id === fx.patient.authorizationId ? undefined : 'business';
    },
    accepted: async (res, b) => {
      if (b.patientId === fx.patient.patientId) expect(res.body.reservation.authorizationId).toBe(fx.patient.authorizationId);
      expect(res.body.reservation).toMatchObject({ units: b.units, reference: b.reference ?? null, status: 'SCHEDULED', serviceDate: b.serviceDate ?? dayOffset(0) });
      expect(res.body.authorization).toMatchObject({ id: res.body.reservation.authorizationId, patientId: b.patientId });
      const line = res.body.authorization.lines.find((l: { id: string }) => l.id === res.body.reservation.lineId);
      expect(line).toMatchObject({ serviceCode: b.serviceCode, ...(b.modifiers !== undefined ? { modifiers: canonicalModifiers(b.modifiers).split(',').filter(Boolean) } : {}) });
      if (b.expiresAt) expect(Date.parse(res.body.reservation.expiresAt)).toBe(Date.parse(b.expiresAt));
      const released = await send('POST', `/api/v1/reservations/${res.body.reservation.id}/release`, A.tokens.PRACTITIONER);
      expect(released.status).toBe(200);
    },
    runs: 300,
  },
  {
    name: 'PATCH /reservations/:id (as PRACTITIONER)',
    method: 'PATCH',
    path: () => `/api/v1/reservations/${fx.moveReservation.id}`,
    token: () => A.tokens.PRACTITIONER,
    fields: { units: { kind: UNITS }, serviceDate: { kind: { t: 'date' } } },
    valid: () => ({ units: 1 + (counter % 9), serviceDate: dayOffset(counter % 30) }),
    success: 200,
    // Its authorization holds 1,000,000 units and nothing else: a move fits unless the new date is outside its period.
    refusal: async (b) => {
      const m = fx.moveReservation;
      const serviceDate: string = b.serviceDate ?? m.serviceDate;
      const unchanged = (b.units ?? m.units) === m.units && serviceDate === m.serviceDate;
      if (!unchanged && (serviceDate < m.startDate || serviceDate > m.endDate)) {
        return { status: 409, code: 'OUTSIDE_AUTHORIZATION_PERIOD', fields: { serviceDate, startDate: m.startDate, endDate: m.endDate } };
      }
      return undefined;
    },
    accepted: async (res, b) => {
      const m = fx.moveReservation;
      const moved = { units: b.units ?? m.units, serviceDate: b.serviceDate ?? m.serviceDate };
      expect(res.body.reservation).toMatchObject({ id: m.id, status: 'SCHEDULED', ...moved });
      expect(res.body.authorization).toMatchObject({ scheduledUnits: moved.units, usedUnits: 0 });
      const { rows } = await t.sql.query('select units, service_date::text as "serviceDate", status from reservations where id = $1', [m.id]);
      expect(rows).toEqual([{ ...moved, status: 'SCHEDULED' }]);
      fx.moveReservation = { ...m, ...moved };
    },
    runs: 200,
  },
];

/** An authorization for POST …/lines: one line 97153 of 100 units, no pool. */
async function newLinesAuthorization(): Promise<{ id: string; keys: string[]; total: number }> {
  const auth = await createAuthorization(t.request, A.tokens.ADMIN, { patientId: `lines-${next()}`, totalUnits: 100 });
  return { id: auth.id, keys: ['97153|'], total: 100 };
}

// ---------------------------------------------------------------------------------------------
beforeAll(async () => {
  t = await startTestApp({
    JWT_SECRET: SECRET,
    RATE_LIMIT_USER_PER_MINUTE: '1000000',
    RATE_LIMIT_ANON_PER_MINUTE: '1000000',
    RATE_LIMIT_LOGIN_PER_15_MIN: '1000000',
    RATE_LIMIT_REFRESH_PER_MINUTE: '1000000',
    ...WEBHOOK_TEST_ENV,
  });
  root = await rootToken(t.request);
  rootId = (await t.request('GET', '/api/v1/auth/me', { token: root })).body.id;
  A = await createOrg(t.request, root);
  B = await createOrg(t.request, root);
  const patchAuth = await createAuthorization(t.request, A.tokens.ADMIN, { totalUnits: 100 });
  const reserveAuth = await createAuthorization(t.request, A.tokens.ADMIN, { totalUnits: 1_000_000, startDate: dayOffset(-400), endDate: dayOffset(400) });
  const consumeAuth = await createAuthorization(t.request, A.tokens.ADMIN, { totalUnits: 1_000_000 });
  const patchUser = await t.request('POST', '/api/v1/users', { token: A.tokens.ADMIN, body: { email: `patch-${next()}@example.com`, password: PASSWORD, role: 'VIEWER' } });
  const bAuth = await createAuthorization(t.request, B.tokens.ADMIN, { totalUnits: 30 });
  const bRes = await t.request('POST', `/api/v1/authorizations/${bAuth.id}/reservations`, { token: B.tokens.ADMIN, body: { units: 3 } });
  const settingsOrg = await t.request('POST', '/api/v1/organizations', { token: root, body: { name: `Settings ${next()}` } });
  const bKey = await t.request('POST', '/api/v1/api-keys', { token: B.tokens.ADMIN, body: { name: `b-key-${next()}`, role: 'VIEWER' } });
  expect(bKey.status).toBe(201);
  const bHook = await t.request('POST', '/api/v1/webhooks', { token: B.tokens.ADMIN, body: { url: LOOPBACK_WEBHOOK_URL, events: ['reservation.created'] } });
  expect(bHook.status).toBe(201);
  pgTimeZones = new Set((await t.sql.query<{ name: string }>('select name from pg_timezone_names')).rows.map((r) => r.name));
  const twoLines = {
    serviceCode: undefined,
    totalUnits: undefined,
    lines: [
      { serviceCode: '97153', totalUnits: 60, caps: [{ period: 'WEEK', units: 20 }] },
      { serviceCode: '97155', modifiers: ['HO'], totalUnits: 20 },
    ],
  };
  const lineAuth = await createAuthorization(t.request, A.tokens.ADMIN, { patientId: `line-${next()}`, ...twoLines });
  const patientId = `patient-${next()}`;
  const patientAuth = await createAuthorization(t.request, A.tokens.ADMIN, {
    patientId,
    serviceCode: undefined,
    totalUnits: undefined,
    lines: [
      { serviceCode: '97153', totalUnits: 1_000_000 },
      { serviceCode: '97155', modifiers: ['HO'], totalUnits: 1_000_000 },
    ],
    poolUnits: 1_000_000,
    startDate: dayOffset(-400),
    endDate: dayOffset(400),
  });
  const moveAuth = await createAuthorization(t.request, A.tokens.ADMIN, { patientId: `move-${next()}`, totalUnits: 1_000_000, startDate: dayOffset(-400), endDate: dayOffset(400) });
  const moveRes = await t.request('POST', `/api/v1/authorizations/${moveAuth.id}/reservations`, { token: A.tokens.PRACTITIONER, body: { units: 3, serviceDate: dayOffset(0) } });
  expect(moveRes.status).toBe(201);
  fx = {
    patchAuth: { id: patchAuth.id, startDate: patchAuth.startDate },
    reserveAuth,
    consumeAuth,
    consumeReservation: { id: '', units: 0 },
    patchUser: patchUser.body,
    bAuthorizationId: bAuth.id,
    bReservationId: bRes.body.reservation.id,
    bUserId: B.userIds.VIEWER,
    bApiKeyId: bKey.body.id,
    bWebhookId: bHook.body.id,
    settingsOrgId: settingsOrg.body.id,
    linesAuth: { id: '', keys: [], total: 0 },
    lineAuth: { id: lineAuth.id, lineId: lineAuth.lines.find((l: { serviceCode: string }) => l.serviceCode === '97155').id },
    patient: { patientId, authorizationId: patientAuth.id },
    moveReservation: { id: moveRes.body.reservation.id, units: 3, serviceDate: dayOffset(0), startDate: moveAuth.startDate, endDate: moveAuth.endDate },
  };
  fx.linesAuth = await newLinesAuthorization();
  await newReservationToConsume();
});
afterAll(() => t?.close());

describe('fuzz: hostile bodies on every route with a body', () => {
  // Built lazily: the arbitraries need the organizations' ids.
  const names = [
    'POST /auth/login',
    'POST /organizations',
    'PATCH /organizations/:id (as SUPER_ADMIN)',
    'POST /users (as ADMIN)',
    'PATCH /users/:id (as ADMIN)',
    'POST /authorizations (as ADMIN)',
    'POST /authorizations {lines, poolUnits, caps} (as ADMIN)',
    'PATCH /authorizations/:id (as ADMIN)',
    'POST /authorizations/:id/lines (as ADMIN)',
    'PATCH /authorizations/:id/lines/:lineId (as ADMIN)',
    'POST /authorizations/:id/reservations (as PRACTITIONER)',
    'POST /reservations (as PRACTITIONER)',
    'PATCH /reservations/:id (as PRACTITIONER)',
    'POST /reservations/:id/consume (as PRACTITIONER)',
    'POST /auth/refresh',
    'POST /auth/logout',
    'POST /api-keys (as ADMIN)',
    'POST /webhooks (as ADMIN)',
  ];

  it('the table has every route with a body (and both shapes of POST /authorizations)', () => {
    expect(bodyRoutes().map((r) => r.name).sort()).toEqual([...names].sort());
  });

  it.each(names)('%s: a mutated valid body is 400 VALIDATION_FAILED naming exactly the bad fields, or accepted consistently; never a 5xx; a rejection writes nothing', async (name) => {
    const route = bodyRoutes().find((r) => r.name === name)!;
    await fc.assert(
      fc.asyncProperty(fc.array(opArbitrary(route), { minLength: 1, maxLength: 3 }), async (ops) => {
        const before = await fingerprint(t.sql);
        const { raw, proto } = buildBody(route.valid(), ops);
        const parsed = proto ? undefined : (JSON.parse(raw) as Record<string, any>);
        const justified = parsed && route.refusal && !invalidFields(route, parsed).length ? await route.refusal(parsed) : undefined;
        const res = await send(route.method, route.path(), route.token() || undefined, raw);
        expectNo5xx(res);
        if (proto) {
          expectAnswer(res, 400, 'VALIDATION_FAILED');
          expect(reportedFields(res.body)).toEqual([firstRefusedTopKey(JSON.parse(raw))]);
        } else {
          const body = JSON.parse(raw) as Record<string, any>;
          const bad = invalidFields(route, body);
          if (bad.length) {
            expectAnswer(res, 400, 'VALIDATION_FAILED');
            // A key named like an object member (or unstorable text) is refused before validation, alone.
            const refused = firstRefusedTopKey(body);
            const expected = refused ? [refused] : bad;
            expect(new Set(reportedFields(res.body))).toEqual(new Set(expected.map((k) => k.split('.')[0])));
          } else if (justified === 'business') {
            // The state is beyond the model (here: other authorizations of a patient): the success or a business rejection.
            if (res.status !== route.success && !(route.business?.[res.status] ?? []).includes(res.body?.code)) {
              throw new Error(`a DTO-valid body got ${res.status} (expected ${route.success} or ${JSON.stringify(route.business ?? {})}): ${res.text}`);
            }
          } else if (justified) {
            // The model says valid and the fixture's state justifies exactly this refusal.
            expectAnswer(res, justified.status, justified.code);
            expect(res.body).toMatchObject(justified.fields);
          } else if (res.status !== route.success) {
            // The model says valid: only the route's success or one of its business rejections may come back.
            if (route.refusal || !(route.business?.[res.status] ?? []).includes(res.body?.code)) {
              throw new Error(`a DTO-valid body got ${res.status} (expected ${route.success} or ${JSON.stringify(route.business ?? {})}): ${res.text}`);
            }
            expectApiErrorBody(res);
          }
          if (res.status < 300) await route.accepted?.(res, body);
        }
        await settle(res, before);
      }),
      fuzzParams(route.runs),
    );
  });

  it('keys that are names of Object.prototype members (toString, hasOwnProperty, __defineGetter__, …) are unknown fields: 400, nothing written', async () => {
    const routes = bodyRoutes().filter((r) => r.name !== 'POST /auth/login');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes.map((r) => r.name)), fc.constantFrom(...OBJECT_PROTOTYPE_NAMES.filter((n) => n !== '__proto__' && n !== 'constructor')), hostileValue, async (routeName, key, value) => {
        const route = routes.find((r) => r.name === routeName)!;
        const before = await fingerprint(t.sql);
        const { raw } = buildBody(route.valid(), [{ op: 'unknown', key, value }]);
        const res = await send(route.method, route.path(), route.token(), raw);
        expectAnswer(res, 400, 'VALIDATION_FAILED');
        expect(reportedFields(res.body)).toContain(key);
        await settle(res, before);
      }),
      fuzzParams(40),
    );
  });
});

// ---------------------------------------------------------------------------------------------
describe('fuzz: text fields keep any text byte for byte, and refuse what cannot be stored', () => {
  interface TextField {
    name: string;
    max: number;
    min: number;
    /** Sends s in the field; returns the stored answer's field and a fresh read of it. */
    write: (s: string) => Promise<{ res: RawResult; returned?: unknown; reread?: unknown; db?: unknown }>;
  }
  const createAuthWith = (field: string) => async (s: string) => {
    const body = { patientId: `p-${next()}`, authNumber: `AUTH-${next()}`, serviceCode: '97153', totalUnits: 5, startDate: dayOffset(-1), endDate: dayOffset(30), [field]: s };
    const res = await send('POST', '/api/v1/authorizations', A.tokens.ADMIN, JSON.stringify(body));
    if (res.status !== 201) return { res };
    const reread = await send('GET', `/api/v1/authorizations/${res.body.id}`, A.tokens.VIEWER);
    const column = { patientId: 'patient_id', payer: 'payer', notes: 'notes', authNumber: 'auth_number' }[field]!;
    const db = (await t.sql.query(`select ${column} as v from authorizations where id = $1`, [res.body.id])).rows[0].v;
    return { res, returned: res.body[field], reread: reread.body[field], db };
  };
  const FIELDS: TextField[] = [
    { name: 'authorization patientId', min: 1, max: 128, write: createAuthWith('patientId') },
    { name: 'authorization payer', min: 0, max: 128, write: createAuthWith('payer') },
    { name: 'authorization notes', min: 0, max: 2000, write: createAuthWith('notes') },
    { name: 'authorization authNumber', min: 1, max: 64, write: createAuthWith('authNumber') },
    {
      name: 'authorization notes (PATCH)',
      min: 0,
      max: 2000,
      write: async (s) => {
        const res = await send('PATCH', `/api/v1/authorizations/${fx.patchAuth.id}`, A.tokens.ADMIN, JSON.stringify({ notes: s }));
        if (res.status !== 200) return { res };
        const db = (await t.sql.query('select notes as v from authorizations where id = $1', [fx.patchAuth.id])).rows[0].v;
        return { res, returned: res.body.notes, reread: (await send('GET', `/api/v1/authorizations/${fx.patchAuth.id}`, A.tokens.VIEWER)).body.notes, db };
      },
    },
    {
      name: 'reservation reference',
      min: 0,
      max: 128,
      write: async (s) => {
        const res = await send('POST', `/api/v1/authorizations/${fx.reserveAuth.id}/reservations`, A.tokens.PRACTITIONER, JSON.stringify({ units: 1, reference: s }));
        if (res.status !== 201) return { res };
        const id = res.body.reservation.id;
        const reread = await send('GET', `/api/v1/reservations/${id}`, A.tokens.VIEWER);
        const db = (await t.sql.query('select reference as v from reservations where id = $1', [id])).rows[0].v;
        expect((await send('POST', `/api/v1/reservations/${id}/release`, A.tokens.PRACTITIONER)).status).toBe(200);
        return { res, returned: res.body.reservation.reference, reread: reread.body.reference, db };
      },
    },
    {
      name: 'organization name',
      min: 1,
      max: 200,
      write: async (s) => {
        const res = await send('POST', '/api/v1/organizations', root, JSON.stringify({ name: s }));
        if (res.status !== 201) return { res };
        const db = (await t.sql.query('select name as v from organizations where id = $1', [res.body.id])).rows[0].v;
        const list = await send('GET', '/api/v1/organizations', root);
        return { res, returned: res.body.name, reread: list.body.items.find((o: { id: string }) => o.id === res.body.id)?.name, db };
      },
    },
    {
      // SPEC §11: an API key's name (not trimmed).
      name: 'API key name',
      min: 1,
      max: 100,
      write: async (s) => {
        const res = await send('POST', '/api/v1/api-keys', A.tokens.ADMIN, JSON.stringify({ name: s, role: 'VIEWER' }));
        if (res.status !== 201) return { res };
        const db = (await t.sql.query('select name as v from api_keys where id = $1', [res.body.id])).rows[0].v;
        const list = await send('GET', '/api/v1/api-keys', A.tokens.ADMIN);
        return { res, returned: res.body.name, reread: list.body.items.find((k: { id: string }) => k.id === res.body.id)?.name, db };
      },
    },
  ];

  /**
   * authNumber is unique per organization: a text already stored (by this property — fast-check
   * repeats constants — or by the hostile-body properties, which send the same payloads) is 409.
   */
  const authNumberTaken = async (field: TextField, s: string) =>
    field.name.includes('authNumber') && (await t.sql.query('select 1 from authorizations where organization_id = $1 and auth_number = $2', [A.id, s])).rows.length > 0;
  const expectAuthNumberTaken = (taken: boolean, res: RawResult) => {
    if (taken) expectAnswer(res, 409, 'AUTH_NUMBER_TAKEN');
    return taken;
  };

  it.each(FIELDS.map((f) => [f.name, f] as const))('%s: any storable text within the length limit is stored and returned byte for byte', async (_name, field) => {
    await fc.assert(
      fc.asyncProperty(storableText({ minLength: field.min, maxLength: field.max }), async (s) => {
        const before = await fingerprint(t.sql);
        const taken = await authNumberTaken(field, s);
        const { res, returned, reread, db } = await field.write(s);
        expectNo5xx(res);
        const blankName = field.name === 'organization name' && !/\S/.test(s);
        if (expectAuthNumberTaken(taken, res)) {
          // a repeat of an authNumber stored earlier
        } else if (blankName) {
          expectAnswer(res, 400, 'VALIDATION_FAILED');
        } else {
          expect({ status: res.status, body: res.body }).toEqual({ status: field.name.includes('PATCH') ? 200 : 201, body: expect.anything() });
          expect({ returned, reread, db }).toEqual({ returned: s, reread: s, db: s });
        }
        await settle(res, before);
      }),
      fuzzParams(field.max > 200 ? 25 : 35),
    );
  });

  // PostgreSQL text cannot hold U+0000, and UTF-8 cannot hold an unpaired surrogate (JSON "\ud800"
  // is well-formed JSON but no Unicode text): neither can be stored literally, so the only honest
  // answer is 400 VALIDATION_FAILED, not a 500 and not a silently replaced character.
  const withNul = (max: number) =>
    fc.tuple(storableText({ maxLength: Math.max(0, Math.min(max, 40) - 1) }), fc.nat()).map(([s, i]) => {
      // Insert between code points, never inside a surrogate pair.
      const points = Array.from(s);
      const at = i % (points.length + 1);
      return [...points.slice(0, at), '\u0000', ...points.slice(at)].join('');
    });
  const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
  const withLoneSurrogate = (max: number) =>
    fc.tuple(storableText({ maxLength: Math.max(0, Math.min(max, 40) - 1) }), loneSurrogate).map(([s, l]) => `${s}${l}`);

  it.each(FIELDS.map((f) => [f.name, f] as const))('%s: text with a NUL character → 400 VALIDATION_FAILED, nothing written', async (_name, field) => {
    await fc.assert(
      fc.asyncProperty(withNul(field.max), async (s) => {
        const before = await fingerprint(t.sql);
        const { res } = await field.write(s);
        expectAnswer(res, 400, 'VALIDATION_FAILED');
        await settle(res, before);
      }),
      fuzzParams(10),
    );
  });

  it.each(FIELDS.map((f) => [f.name, f] as const))('%s: text with an unpaired UTF-16 surrogate → 400 VALIDATION_FAILED, nothing written', async (_name, field) => {
    await fc.assert(
      fc.asyncProperty(withLoneSurrogate(field.max), async (s) => {
        const before = await fingerprint(t.sql);
        const { res } = await field.write(s);
        expectAnswer(res, 400, 'VALIDATION_FAILED');
        await settle(res, before);
      }),
      fuzzParams(10),
    );
  });

  // class-validator counts "x\uFE0F" as one character, PostgreSQL char_length as two: a text within
  // the DTO's limit but over the CHECK constraint's must still get a 4xx or be stored literally.
  it.each(FIELDS.filter((f) => f.max >= 64).map((f) => [f.name, f] as const))('%s: variation selectors around the length limit → stored literally or 400, never a 5xx', async (_name, field) => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: Math.max(1, Math.floor(field.max / 2)), max: field.max }), fc.constantFrom('\uFE0F', '\uFE0E'), async (n, selector) => {
        const before = await fingerprint(t.sql);
        const s = `x${selector}`.repeat(n);
        const taken = await authNumberTaken(field, s);
        const { res, returned, db } = await field.write(s);
        expectNo5xx(res);
        if (expectAuthNumberTaken(taken, res)) return settle(res, before);
        if (res.status >= 400) expectAnswer(res, 400, 'VALIDATION_FAILED');
        else expect({ returned, db }).toEqual({ returned: s, db: s });
        await settle(res, before);
      }),
      fuzzParams(8),
    );
  });

  it('GET /authorizations?patientId= with a NUL character → 400 VALIDATION_FAILED', async () => {
    await fc.assert(
      fc.asyncProperty(withNul(100), async (s) => {
        const res = await send('GET', `/api/v1/authorizations?patientId=${encodeURIComponent(s)}`, A.tokens.VIEWER);
        expectAnswer(res, 400, 'VALIDATION_FAILED');
      }),
      fuzzParams(10),
    );
  });

  it('POST /auth/login with a NUL character in the email → 400 VALIDATION_FAILED (or 401), never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(withNul(40), async (s) => {
        const res = await send('POST', '/api/v1/auth/login', undefined, JSON.stringify({ email: `${s}@example.com`, password: 'whatever-password' }));
        expectNo5xx(res);
        expectApiErrorBody(res);
        expect([400, 401]).toContain(res.status);
      }),
      fuzzParams(10),
    );
  });
});

// ---------------------------------------------------------------------------------------------
describe('fuzz: hostile path parameters on every id route', () => {
  const ID_ROUTES: { route: string; method: string; path: (id: string) => string; token: () => string; body?: string }[] = [
    { route: 'GET /authorizations/:id', method: 'GET', path: (id) => `/api/v1/authorizations/${id}`, token: () => A.tokens.VIEWER },
    { route: 'PATCH /authorizations/:id', method: 'PATCH', path: (id) => `/api/v1/authorizations/${id}`, token: () => A.tokens.ADMIN, body: '{"notes":"hijacked","totalUnits":7}' },
    { route: 'DELETE /authorizations/:id', method: 'DELETE', path: (id) => `/api/v1/authorizations/${id}`, token: () => A.tokens.ADMIN },
    { route: 'POST /authorizations/:id/reservations', method: 'POST', path: (id) => `/api/v1/authorizations/${id}/reservations`, token: () => A.tokens.PRACTITIONER, body: '{"units":1}' },
    { route: 'GET /authorizations/:id/reservations', method: 'GET', path: (id) => `/api/v1/authorizations/${id}/reservations`, token: () => A.tokens.VIEWER },
    { route: 'GET /authorizations/:id/ledger', method: 'GET', path: (id) => `/api/v1/authorizations/${id}/ledger`, token: () => A.tokens.VIEWER },
    { route: 'GET /authorizations/:id/utilization', method: 'GET', path: (id) => `/api/v1/authorizations/${id}/utilization`, token: () => A.tokens.VIEWER },
    { route: 'GET /reservations/:id', method: 'GET', path: (id) => `/api/v1/reservations/${id}`, token: () => A.tokens.VIEWER },
    { route: 'POST /reservations/:id/consume', method: 'POST', path: (id) => `/api/v1/reservations/${id}/consume`, token: () => A.tokens.PRACTITIONER, body: '{"units":1}' },
    { route: 'POST /reservations/:id/release', method: 'POST', path: (id) => `/api/v1/reservations/${id}/release`, token: () => A.tokens.PRACTITIONER },
    { route: 'PATCH /reservations/:id', method: 'PATCH', path: (id) => `/api/v1/reservations/${id}`, token: () => A.tokens.PRACTITIONER, body: '{"units":1,"serviceDate":"2026-01-05"}' },
    { route: 'POST /authorizations/:id/lines', method: 'POST', path: (id) => `/api/v1/authorizations/${id}/lines`, token: () => A.tokens.ADMIN, body: '{"serviceCode":"97156","modifiers":["HO"],"totalUnits":5}' },
    // Either id may be the hostile one: a real line under a hostile authorization id, or a hostile line id under A's own authorization.
    { route: 'PATCH /authorizations/:id/lines/:lineId (hostile :id)', method: 'PATCH', path: (id) => `/api/v1/authorizations/${id}/lines/${fx.lineAuth.lineId}`, token: () => A.tokens.ADMIN, body: '{"totalUnits":7,"caps":[]}' },
    { route: 'PATCH /authorizations/:id/lines/:lineId (hostile :lineId)', method: 'PATCH', path: (id) => `/api/v1/authorizations/${fx.lineAuth.id}/lines/${id}`, token: () => A.tokens.ADMIN, body: '{"totalUnits":7,"caps":[]}' },
    { route: 'PATCH /users/:id', method: 'PATCH', path: (id) => `/api/v1/users/${id}`, token: () => A.tokens.ADMIN, body: '{"role":"ADMIN","active":false}' },
    { route: 'GET /organizations/:id', method: 'GET', path: (id) => `/api/v1/organizations/${id}`, token: () => A.tokens.ADMIN },
    { route: 'PATCH /organizations/:id', method: 'PATCH', path: (id) => `/api/v1/organizations/${id}`, token: () => A.tokens.ADMIN, body: '{"name":"hijacked","timeZone":"America/New_York","lowUnitsPercent":7}' },
    { route: 'DELETE /api-keys/:id', method: 'DELETE', path: (id) => `/api/v1/api-keys/${id}`, token: () => A.tokens.ADMIN },
    { route: 'GET /webhooks/:id', method: 'GET', path: (id) => `/api/v1/webhooks/${id}`, token: () => A.tokens.ADMIN },
    { route: 'GET /webhooks/:id/deliveries', method: 'GET', path: (id) => `/api/v1/webhooks/${id}/deliveries`, token: () => A.tokens.ADMIN },
    { route: 'PATCH /webhooks/:id', method: 'PATCH', path: (id) => `/api/v1/webhooks/${id}`, token: () => A.tokens.ADMIN, body: '{"enabled":false,"url":"http://127.0.0.1:9/stolen"}' },
    { route: 'DELETE /webhooks/:id', method: 'DELETE', path: (id) => `/api/v1/webhooks/${id}`, token: () => A.tokens.ADMIN },
  ];

  it(`any id that is not one of the caller's organization's objects → 404 NOT_FOUND (400 for a malformed %-escape), nothing written (${ID_ROUTES.length} routes)`, async () => {
    const ids = fc.oneof(
      // Encoded: the router sees exactly this text as the parameter.
      fc.oneof(storableText({ minLength: 1, maxLength: 60 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }), fc.constantFrom(...SQL_PAYLOADS, ...SCRIPT_PAYLOADS, '..', '.', '../users', 'null', 'undefined', '0', '-1', '[]', '{}', 'a'.repeat(5000))).map((s) => ({ sent: encodeURIComponent(s) })),
      // Raw: dot segments, stray and overlong %-escapes, sent byte for byte (no client normalisation).
      fc.constantFrom('..', '.', '%2e%2e', '%2E', '..%2f..%2fusers', '%00', '%', '%ZZ', '%E0%A4%A', '%C0%AF', '%FF', '%ED%A0%80', '%u0041', ';', '*', '$', "'", '~').map((sent) => ({ sent })),
      // UUID-shaped: random (exists nowhere), mangled, and organization B's real ids (tenancy: 404 too).
      fc.uuid({ version: [1, 4, 7] }).map((u) => ({ sent: u })),
      fc.stringMatching(/^[0-9a-fA-F-]{36}$/).map((sent) => ({ sent })),
      fc.constantFrom(() => fx.bAuthorizationId, () => fx.bReservationId, () => fx.bUserId, () => fx.bApiKeyId, () => fx.bWebhookId, () => fx.bAuthorizationId.toUpperCase(), () => `${fx.bAuthorizationId}0`, () => `{${fx.bReservationId}}`, () => B.id, () => rootId).map((f) => ({ get sent() { return f(); } })),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ID_ROUTES.map((r) => r.route)), ids, async (routeName, id) => {
        const route = ID_ROUTES.find((r) => r.route === routeName)!;
        const before = await fingerprint(t.sql);
        const sent = id.sent;
        const res = await send(route.method, route.path(sent), route.token(), route.body);
        let decodes = true;
        try {
          decodeURIComponent(sent);
        } catch {
          decodes = false;
        }
        if (decodes) expectAnswer(res, 404, 'NOT_FOUND');
        else expectAnswer(res, 400, 'VALIDATION_FAILED');
        await settle(res, before);
      }),
      fuzzParams(600),
    );
  });
});

// ---------------------------------------------------------------------------------------------
describe('fuzz: hostile query strings on every list route', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64url');
  interface QueryRoute {
    route: string;
    path: () => string;
    token: () => string;
    /** Per parameter: what the DTO accepts, and what the service then accepts (cursors are decoded after the DTO). */
    keys: Record<string, { dto: (v: string) => boolean; service?: (v: string) => boolean }>;
  }
  const dto = (f: (v: string) => boolean) => ({ dto: f });
  const limit = dto((v) => /^\d{1,4}$/.test(v) && Number(v) >= 1 && Number(v) <= 100);
  const cursor = (isKey: (k: string) => boolean) => ({
    dto: (v: string) => isLength(v, { max: 200 }),
    service: (v: string) => /^[A-Za-z0-9_-]{1,200}$/.test(v) && isKey(Buffer.from(v, 'base64url').toString()),
  });
  const uuidKey = (k: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(k);
  const ROUTES: QueryRoute[] = [
    {
      route: 'GET /authorizations',
      path: () => '/api/v1/authorizations',
      token: () => A.tokens.VIEWER,
      keys: {
        limit,
        cursor: cursor(uuidKey),
        patientId: dto((v) => isLength(v, { min: 1, max: 128 })),
        status: dto((v) => ['ACTIVE', 'PENDING', 'CANCELLED', 'EXPIRED', 'EXHAUSTED'].includes(v)),
        serviceCode: dto((v) => /^[A-Z0-9]{4,8}$/.test(v)),
        // A filter for SUPER_ADMIN only: for anyone else 400 even with a well-formed id (checked after the cursor).
        organizationId: { dto: (v: string) => isUUID(v), service: () => false },
      },
    },
    {
      route: 'GET /authorizations/:id/reservations',
      path: () => `/api/v1/authorizations/${fx.reserveAuth.id}/reservations`,
      token: () => A.tokens.VIEWER,
      keys: { limit, cursor: cursor(uuidKey), status: dto((v) => ['SCHEDULED', 'CONSUMED', 'RELEASED', 'EXPIRED'].includes(v)) },
    },
    {
      route: 'GET /authorizations/:id/ledger',
      path: () => `/api/v1/authorizations/${fx.reserveAuth.id}/ledger`,
      token: () => A.tokens.VIEWER,
      keys: { limit, cursor: cursor((k) => /^\d{1,18}$/.test(k)) },
    },
    { route: 'GET /users', path: () => '/api/v1/users', token: () => A.tokens.ADMIN, keys: { organizationId: { dto: (v: string) => isUUID(v), service: () => false } } },
    { route: 'GET /api-keys', path: () => '/api/v1/api-keys', token: () => A.tokens.ADMIN, keys: { organizationId: { dto: (v: string) => isUUID(v), service: () => false } } },
    {
      // SPEC §10: the organizationId filter is refused before the cursor is decoded.
      route: 'GET /utilization',
      path: () => '/api/v1/utilization',
      token: () => A.tokens.VIEWER,
      keys: {
        organizationId: { dto: (v: string) => isUUID(v), service: () => false },
        limit,
        cursor: cursor(uuidKey),
        patientId: dto((v) => isLength(v, { min: 1, max: 128 })),
        flag: dto((v) => ['AT_RISK', 'UNDER_UTILIZED'].includes(v)),
        endingWithinDays: dto((v) => /^\d{1,5}$/.test(v) && Number(v) <= 3650),
      },
    },
    {
      // SPEC §11 change feed: `after` (not `cursor`) is a position `<xid>.<seq>`, checked after the organizationId filter.
      route: 'GET /events',
      path: () => '/api/v1/events',
      token: () => A.tokens.VIEWER,
      keys: {
        organizationId: { dto: (v: string) => isUUID(v), service: () => false },
        limit,
        after: {
          dto: (v: string) => isLength(v, { max: 200 }),
          service: (v: string) => {
            const m = /^[A-Za-z0-9_-]{1,200}$/.test(v) ? /^(0|[1-9]\d{0,19})\.(0|[1-9]\d{0,18})$/.exec(Buffer.from(v, 'base64url').toString()) : null;
            return m !== null && BigInt(m[1]) < 2n ** 64n && BigInt(m[2]) <= BigInt(Number.MAX_SAFE_INTEGER);
          },
        },
      },
    },
  ];

  const value = fc.oneof(
    storableText({ maxLength: 30 }),
    fc.integer({ min: -5, max: 150 }).map(String),
    fc.constantFrom('', '0', '1', '100', '101', '0100', '1e1', '2.5', '-1', ' 5', '5 ', 'abc', '10000', '99999', 'null', '[]', '{}'),
    fc.constantFrom('ACTIVE', 'PENDING', 'EXPIRED', 'EXHAUSTED', 'CANCELLED', 'SCHEDULED', 'CONSUMED', 'RELEASED', 'active', 'scheduled', 'AT_RISK', 'UNDER_UTILIZED', 'at_risk'),
    fc.constantFrom('0', '3650', '3651', '00030', '99999', '123456', '30.0', '-0'),
    fc.constant(() => A.id).map((f) => f()),
    fc.constantFrom('97153', 'H2019HN1', 'abcd', '971', '971531234'),
    fc.uuid().map((u) => u),
    fc.uuid().map((u) => b64(u)),
    fc.bigInt({ min: 0n, max: 10n ** 20n }).map((n) => b64(String(n))),
    fc.constantFrom(...SQL_PAYLOADS.map(b64), '!!!', 'a'.repeat(201), 'x'.repeat(2000)),
    fc.integer({ min: 120, max: 140 }).map((n) => 'q'.repeat(n)),
  );

  it('every combination of known, unknown and repeated parameters: 200 exactly when the model says valid, else 400 VALIDATION_FAILED naming exactly the bad parameters; nothing written', async () => {
    const before = await fingerprint(t.sql);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES).chain((route) =>
          fc.tuple(
            fc.constant(route.route),
            fc.array(
              fc.tuple(
                fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...Object.keys(route.keys), 'limit', 'cursor', 'status', 'organizationId') }, { weight: 1, arbitrary: fc.constantFrom('foo', 'type', 'organization_id', 'LIMIT', 'limit[]', 'sort', '') }, { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !OBJECT_PROTOTYPE_NAMES.includes(k)) }),
                value,
              ),
              { maxLength: 4 },
            ),
          ),
        ),
        async ([routeName, pairs]) => {
          const route = ROUTES.find((r) => r.route === routeName)!;
          const query = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
          const res = await send('GET', `${route.path()}${query ? `?${query}` : ''}`, route.token());
          const counts = new Map<string, number>();
          for (const [k] of pairs) counts.set(k, (counts.get(k) ?? 0) + 1);
          const first = (k: string) => pairs.find(([key]) => key === k)![1];
          const dtoBad = [...counts.keys()].filter((k) => !(k in route.keys) || counts.get(k)! > 1 || !route.keys[k].dto(first(k)));
          // The service checks one parameter at a time, in the order of the table: the first that fails is named.
          const serviceBad = Object.keys(route.keys).filter((k) => counts.has(k) && route.keys[k].service && !route.keys[k].service!(first(k))).slice(0, 1);
          const bad = dtoBad.length ? dtoBad : serviceBad;
          if (bad.length === 0) {
            expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: expect.objectContaining({ items: expect.any(Array) }) });
          } else {
            expectAnswer(res, 400, 'VALIDATION_FAILED');
            expect(new Set(reportedFields(res.body))).toEqual(new Set(bad.map((k) => k.split('.')[0])));
          }
        },
      ),
      fuzzParams(500),
    );
    expect(await fingerprint(t.sql)).toBe(before);
  });

  it('query keys that are names of Object.prototype members (__proto__, constructor, toString, …) are unknown parameters: 400', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES.map((r) => r.route)), fc.constantFrom(...OBJECT_PROTOTYPE_NAMES, 'prototype'), fc.constantFrom('x', '1', '', 'ACTIVE'), async (routeName, key, v) => {
        const route = ROUTES.find((r) => r.route === routeName)!;
        const res = await send('GET', `${route.path()}?${encodeURIComponent(key)}=${encodeURIComponent(v)}`, route.token());
        expectAnswer(res, 400, 'VALIDATION_FAILED');
        expect(reportedFields(res.body)).toContain(key);
      }),
      fuzzParams(30),
    );
  });

  // (Keys named like Object.prototype members are refused everywhere: the property above.)
  it('routes without query parameters (GET /auth/me, GET /organizations, GET /organizations/:id) ignore any query: 200, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(['/api/v1/auth/me', () => A.tokens.VIEWER] as const, ['/api/v1/organizations', () => root] as const, [`/api/v1/organizations/${A.id}`, () => A.tokens.ADMIN] as const), fc.array(fc.tuple(storableText({ maxLength: 10 }).filter((k) => !OBJECT_PROTOTYPE_NAMES.includes(k) && k !== 'prototype'), value), { maxLength: 4 }), async ([path, token], pairs) => {
        const query = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
        const res = await send('GET', `${path}?${query}`, token());
        expect(res.status).toBe(200);
      }),
      fuzzParams(40),
    );
  });
});

// ---------------------------------------------------------------------------------------------
describe('fuzz: hostile headers', () => {
  /** Bytes llhttp refuses in a header value: Node answers a bare 400 before the application runs. */
  const CTL = /[\x00-\x08\x0a-\x1f\x7f]/;
  const isBareParserRefusal = (res: RawResult) => res.status === 400 && res.text === '';

  it('Idempotency-Key garbage on state-changing POSTs: invalid keys → 400 VALIDATION_FAILED naming Idempotency-Key and nothing written; valid keys apply (201) or, reused with another body, 422', async () => {
    const keyArb = fc.oneof(
      fc.string({ unit: 'binary-ascii', minLength: 0, maxLength: 40 }),
      fc.string({ minLength: 1, maxLength: 40 }),
      fc.integer({ min: 250, max: 260 }).map((n) => 'k'.repeat(n)),
      fc.uint8Array({ minLength: 1, maxLength: 20 }).map((b) => Buffer.from(b).toString('latin1')),
      fc.constantFrom(' ', '\t', 'key with spaces', 'ключ', 'key\u00e9', '"quoted"', "' or 1=1 --", 'k'.repeat(255), 'k'.repeat(256), 'dup, dup'),
    );
    const targets = [
      { path: () => '/api/v1/organizations', token: () => root, body: () => JSON.stringify({ name: `Idem ${next()}` }) },
      { path: () => `/api/v1/authorizations/${fx.reserveAuth.id}/reservations`, token: () => A.tokens.PRACTITIONER, body: () => JSON.stringify({ units: 1, reference: next() }) },
      { path: () => '/api/v1/reservations', token: () => A.tokens.PRACTITIONER, body: () => JSON.stringify({ patientId: fx.patient.patientId, serviceCode: '97155', modifiers: ['HO'], units: 1, reference: next() }) },
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(0, 1, 2), keyArb, async (which, key) => {
        const target = targets[which];
        const before = await fingerprint(t.sql);
        // Header bytes are latin1 on the wire (a character above U+00FF keeps only its low byte).
        const bytes = Buffer.from(key, 'latin1');
        const res = await send('POST', target.path(), target.token(), target.body(), [['Idempotency-Key', bytes]]);
        const arrives = bytes.toString('latin1').replace(/^[ \t]+|[ \t]+$/g, '');
        if (CTL.test(bytes.toString('latin1')) && isBareParserRefusal(res)) {
          // refused by Node's HTTP parser, before the application
        } else if (!/^[\x20-\x7e]{1,255}$/.test(arrives)) {
          expectAnswer(res, 400, 'VALIDATION_FAILED');
          expect(reportedFields(res.body)).toEqual(['Idempotency-Key']);
        } else if (res.status !== 201) {
          expectAnswer(res, 422, 'IDEMPOTENCY_KEY_MISMATCH');
        } else if (res.body.reservation) {
          expect((await send('POST', `/api/v1/reservations/${res.body.reservation.id}/release`, A.tokens.PRACTITIONER)).status).toBe(200);
        }
        await settle(res, before);
      }),
      fuzzParams(150),
    );
  });

  it('Content-Type variations: only application/json (charset utf-8 or none) is read as JSON; anything else is 400 or 415, never a 5xx, nothing written', async () => {
    const contentType = fc.oneof(
      fc.constantFrom(
        'application/json',
        'APPLICATION/JSON',
        'Application/Json',
        'application/json; charset=utf-8',
        'application/json;charset=UTF-8',
        'application/json; charset="utf-8"',
        'application/json; charset=utf-16',
        'application/json; charset=utf-16le',
        'application/json; charset=koi8-r',
        'application/json; charset=latin1',
        'application/json; charset=utf8',
        'application/json; charset=nope',
        'application/json; charset',
        'application/json;;',
        'application/json, text/plain',
        'text/plain',
        'text/json',
        'text/html',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=xyz',
        'application/xml',
        'application/vnd.api+json',
        'application/merge-patch+json',
        'application/octet-stream',
        '*/*',
        'json',
        '',
      ),
      fc.string({ minLength: 1, maxLength: 30 }),
    );
    const JSON_UTF8 = ['application/json', 'APPLICATION/JSON', 'Application/Json', 'application/json; charset=utf-8', 'application/json;charset=UTF-8', 'application/json; charset="utf-8"'];
    // Malformed parameter lists: read leniently or refused; either is fine, a 5xx is not.
    const AMBIGUOUS = ['application/json; charset', 'application/json;;', 'application/json, text/plain'];
    await fc.assert(
      fc.asyncProperty(contentType, fc.boolean(), async (ct, omit) => {
        const before = await fingerprint(t.sql);
        const name = `CT ${next()}`;
        const headers: [string, string][] = [bearer(root), ...(omit ? [] : [['content-type', ct] as [string, string]])];
        const res = await rawHttp(t.base, { method: 'POST', path: '/api/v1/organizations', headers, body: JSON.stringify({ name }) });
        statuses.push(res.status);
        if (!omit && JSON_UTF8.includes(ct)) {
          expect({ status: res.status, body: res.body }).toEqual({ status: 201, body: expect.objectContaining({ name }) });
        } else if (!omit && AMBIGUOUS.includes(ct) && res.status === 201) {
          expect(res.body).toEqual(expect.objectContaining({ name }));
        } else {
          expectNo5xx(res);
          expectApiErrorBody(res);
          expect([400, 415]).toContain(res.status);
        }
        await settle(res, before);
      }),
      fuzzParams(120),
    );
  });

  it('Content-Encoding the body is not encoded with (gzip, deflate, br, unknown) → 400 or 415, never a 5xx, nothing written', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('gzip', 'deflate', 'br', 'GZIP', 'x-gzip', 'compress', 'zstd', 'identity, gzip', 'gzip, gzip', 'bogus'), async (encoding) => {
        const before = await fingerprint(t.sql);
        const headers: [string, string][] = [bearer(root), ['content-type', 'application/json'], ['content-encoding', encoding]];
        const res = await rawHttp(t.base, { method: 'POST', path: '/api/v1/organizations', headers, body: JSON.stringify({ name: `Enc ${next()}` }) });
        statuses.push(res.status);
        expectNo5xx(res);
        expectApiErrorBody(res);
        expect([400, 415]).toContain(res.status);
        await settle(res, before);
      }),
      fuzzParams(20),
    );
  });

  it('Authorization header garbage and mangled real tokens → exactly 401 UNAUTHORIZED, on a read and on a write', async () => {
    const real = A.tokens.ADMIN;
    const b64 = (b: Uint8Array | string) => Buffer.from(b).toString('base64url');
    const header = fc.oneof(
      fc.string({ unit: 'binary-ascii', maxLength: 60 }),
      fc.string({ maxLength: 60 }).map((s) => `Bearer ${s}`),
      fc.tuple(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 40 })).map(([h, p, s]) => `Bearer ${b64(h)}.${b64(p)}.${b64(s)}`),
      fc.tuple(fc.jsonValue({ maxDepth: 2 }), fc.jsonValue({ maxDepth: 2 })).map(([h, p]) => `Bearer ${b64(JSON.stringify(h))}.${b64(JSON.stringify(p))}.${b64('sig')}`),
      // The real token, changed in one place: a character replaced, inserted or removed, or cut.
      fc.tuple(fc.nat(), fc.constantFrom(...'ABCabc019-_.=+/ ')).map(([i, c]) => {
        const at = i % real.length;
        const replaced = real.slice(0, at) + c + real.slice(at + 1);
        return `Bearer ${replaced === real ? real.slice(0, at) + c + c + real.slice(at) : replaced}`;
      }),
      fc.nat().map((i) => `Bearer ${real.slice(0, i % real.length)}`),
      fc.constantFrom(`Bearer ${real}.`, `Bearer ${real}x`, `Bearer .${real}`, `Basic ${real}`, `Token ${real}`, real, `Bearer ${real.split('.').reverse().join('.')}`),
    );
    const before = await fingerprint(t.sql);
    await fc.assert(
      fc.asyncProperty(header, fc.boolean(), async (value, write) => {
        const headers: [string, string | Buffer][] = [['authorization', Buffer.from(value, 'latin1')]];
        const res = write
          ? await rawHttp(t.base, { method: 'POST', path: `/api/v1/authorizations/${fx.reserveAuth.id}/reservations`, headers: [...headers, ['content-type', 'application/json']], body: '{"units":1}' })
          : await rawHttp(t.base, { method: 'GET', path: '/api/v1/auth/me', headers });
        statuses.push(res.status);
        if (CTL.test(Buffer.from(value, 'latin1').toString('latin1')) && isBareParserRefusal(res)) return;
        expectAnswer(res, 401, 'UNAUTHORIZED');
      }),
      fuzzParams(250),
    );
    expect(await fingerprint(t.sql)).toBe(before);
  });

  it('tokens signed with the right key but random claims: 200 only for a well-formed token of an existing active user, else 401 — never a 5xx', async () => {
    const now = () => Math.floor(Date.now() / 1000);
    const users = () => [A.userIds.ADMIN, A.userIds.VIEWER, B.userIds.PRACTITIONER, rootId];
    const claim = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 4 });
    const claims = fc.record({
      sub: claim(
        fc.oneof(
          fc.constantFrom(...users()),
          fc.uuid(),
          fc.stringMatching(/^[0-9a-f-]{36}$/),
          fc.constantFrom(A.userIds.ADMIN.toUpperCase(), ` ${A.userIds.ADMIN}`, '', "' or 1=1 --"),
          fc.jsonValue({ maxDepth: 1 }),
        ),
      ),
      iss: claim(fc.oneof(fc.constant(JWT_ISSUER), fc.constant(JWT_ISSUER), fc.string({ maxLength: 12 }), fc.constant([JWT_ISSUER]))),
      aud: claim(fc.oneof(fc.constant(JWT_AUDIENCE), fc.constant(JWT_AUDIENCE), fc.constant([JWT_AUDIENCE, 'other']), fc.string({ maxLength: 12 }), fc.constant([]))),
      exp: claim(fc.oneof(fc.integer({ min: -600, max: 3600 }).map((d) => now() + d), fc.constantFrom('never', null, 1e20, -1, 0, 1.5e9) as fc.Arbitrary<unknown>)),
      nbf: fc.option(fc.oneof(fc.integer({ min: -600, max: 600 }).map((d) => now() + d), fc.constant('x')), { nil: undefined, freq: 2 }),
      iat: fc.option(fc.oneof(fc.integer({ min: -600, max: 600 }).map((d) => now() + d), fc.constant('x')), { nil: undefined, freq: 2 }),
      role: fc.option(fc.constantFrom('SUPER_ADMIN', 'ADMIN', 'VIEWER', 'GOD'), { nil: undefined }),
      org: fc.option(fc.constantFrom(A.id, B.id, null), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(claims, async (payload) => {
        const clean = Object.fromEntries(Object.entries(payload).filter(([, v]) => v !== undefined));
        const res = await send('GET', '/api/v1/auth/me', forgeJwt({ alg: 'HS256', typ: 'JWT' }, clean, SECRET));
        expectNo5xx(res);
        const c = clean as Record<string, any>;
        const plausible =
          users().includes(c.sub) &&
          c.iss === JWT_ISSUER &&
          (c.aud === JWT_AUDIENCE || (Array.isArray(c.aud) && c.aud.includes(JWT_AUDIENCE))) &&
          typeof c.exp === 'number' &&
          c.exp > now() + 1 &&
          // Issue 11 point 7: a numeric iat, and no longer a lifetime than JWT_EXPIRES_IN (15m here).
          typeof c.iat === 'number' &&
          c.exp - c.iat <= 900;
        if (res.status === 200) {
          expect(plausible).toBe(true);
          expect(res.body.id).toBe(c.sub);
        } else {
          expectAnswer(res, 401, 'UNAUTHORIZED');
          // A well-formed, unexpired token of an active user is only refused for its nbf.
          if (plausible) expect(c.nbf !== undefined).toBe(true);
        }
      }),
      fuzzParams(200),
    );
  });
});

// ---------------------------------------------------------------------------------------------
describe('fuzz: raw bodies (invalid UTF-8, deep nesting, the 100 kB limit)', () => {
  const TARGETS = [
    { route: 'POST /organizations', method: 'POST', path: () => '/api/v1/organizations', token: () => root, text: 'name', rest: {} },
    { route: 'PATCH /organizations/:id', method: 'PATCH', path: () => `/api/v1/organizations/${fx.settingsOrgId}`, token: () => root, text: 'timeZone', rest: { lowUnitsPercent: 20 } },
    { route: 'POST /auth/login', method: 'POST', path: () => '/api/v1/auth/login', token: () => '', text: 'password', rest: { email: 'raw@example.com' } },
    { route: 'POST /users', method: 'POST', path: () => '/api/v1/users', token: () => A.tokens.ADMIN, text: 'password', rest: { email: 'raw-user@example.com', role: 'VIEWER' } },
    { route: 'PATCH /users/:id', method: 'PATCH', path: () => `/api/v1/users/${fx.patchUser.id}`, token: () => A.tokens.ADMIN, text: 'role', rest: {} },
    { route: 'POST /authorizations', method: 'POST', path: () => '/api/v1/authorizations', token: () => A.tokens.ADMIN, text: 'patientId', rest: { authNumber: 'RAW-1', serviceCode: '97153', totalUnits: 5, startDate: dayOffset(-1), endDate: dayOffset(9) } },
    { route: 'PATCH /authorizations/:id', method: 'PATCH', path: () => `/api/v1/authorizations/${fx.patchAuth.id}`, token: () => A.tokens.ADMIN, text: 'notes', rest: {} },
    { route: 'POST /authorizations/:id/reservations', method: 'POST', path: () => `/api/v1/authorizations/${fx.reserveAuth.id}/reservations`, token: () => A.tokens.PRACTITIONER, text: 'reference', rest: { units: 1 } },
    { route: 'POST /reservations/:id/consume', method: 'POST', path: () => `/api/v1/reservations/${fx.consumeReservation.id}/consume`, token: () => A.tokens.PRACTITIONER, text: 'units', rest: {} },
    { route: 'POST /authorizations/:id/lines', method: 'POST', path: () => `/api/v1/authorizations/${fx.linesAuth.id}/lines`, token: () => A.tokens.ADMIN, text: 'serviceCode', rest: { totalUnits: 5 } },
    { route: 'PATCH /authorizations/:id/lines/:lineId', method: 'PATCH', path: () => `/api/v1/authorizations/${fx.lineAuth.id}/lines/${fx.lineAuth.lineId}`, token: () => A.tokens.ADMIN, text: 'totalUnits', rest: { caps: [] } },
    { route: 'POST /reservations', method: 'POST', path: () => '/api/v1/reservations', token: () => A.tokens.PRACTITIONER, text: 'patientId', rest: { serviceCode: '97153', units: 1 } },
    { route: 'PATCH /reservations/:id', method: 'PATCH', path: () => `/api/v1/reservations/${fx.moveReservation.id}`, token: () => A.tokens.PRACTITIONER, text: 'serviceDate', rest: { units: 2 } },
  ];
  type Target = (typeof TARGETS)[number];
  /** Login reads at most 8 kB (an email and a password), every other route 100 kB. */
  const limitOf = (target: Target) => (target.route === 'POST /auth/login' ? 8 * 1024 : BODY_LIMIT);
  const prefix = (target: Target) => {
    const rest = JSON.stringify(target.rest).slice(1, -1);
    return `{${rest ? `${rest},` : ''}"${target.text}":`;
  };
  const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
  const isInvalidUtf8 = (b: Uint8Array) => {
    try {
      strictUtf8.decode(b);
      return false;
    } catch {
      return true;
    }
  };

  it('invalid UTF-8 inside a JSON string, with Content-Length or chunked → 400 VALIDATION_FAILED, nothing written', async () => {
    const bytes = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 8 }).filter(isInvalidUtf8),
      fc.constantFrom([0xff], [0xfe, 0xff], [0xc3, 0x28], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80]).map((a) => Uint8Array.from(a)),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...TARGETS.map((x) => x.route)), bytes, storableText({ maxLength: 5 }), fc.boolean(), async (routeName, bad, around, chunked) => {
        const target = TARGETS.find((x) => x.route === routeName)!;
        const before = await fingerprint(t.sql);
        const body = Buffer.concat([Buffer.from(`${prefix(target)}"${around.replace(/["\\]/g, '')}`), Buffer.from(bad), Buffer.from('"}')]);
        const headers: [string, string][] = [...(target.token() ? [bearer(target.token())] : []), ['content-type', 'application/json']];
        const res = await rawHttp(t.base, { method: target.method, path: target.path(), headers, body, chunked });
        statuses.push(res.status);
        expectAnswer(res, 400, 'VALIDATION_FAILED');
        await settle(res, before);
      }),
      fuzzParams(120),
    );
  });

  it('deeply nested JSON (arrays and objects, depth 1..20,000, as the body or inside a field) → 400 VALIDATION_FAILED, or 413 over 100 kB; never a 5xx, nothing written', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...TARGETS.map((x) => x.route)),
        fc.oneof(fc.integer({ min: 1, max: 20_000 }), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 500, max: 5000 })),
        fc.constantFrom('array', 'object'),
        fc.boolean(),
        async (routeName, depth, shape, inField) => {
          const target = TARGETS.find((x) => x.route === routeName)!;
          const before = await fingerprint(t.sql);
          const nested = shape === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
          const body = inField ? `${prefix(target)}${nested}}` : nested;
          const headers: [string, string][] = [...(target.token() ? [bearer(target.token())] : []), ['content-type', 'application/json']];
          const res = await rawHttp(t.base, { method: target.method, path: target.path(), headers, body });
          statuses.push(res.status);
          if (Buffer.byteLength(body) > limitOf(target)) expectAnswer(res, 413, 'PAYLOAD_TOO_LARGE');
          else expectAnswer(res, 400, 'VALIDATION_FAILED');
          await settle(res, before);
        },
      ),
      fuzzParams(250),
    );
  });

  it("bodies around the route's limit (100 kB; login 8 kB), with Content-Length or chunked: over it → 413 PAYLOAD_TOO_LARGE, at or under → read (here 400: the text is too long); nothing written", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...TARGETS.filter((x) => x.text !== 'units').map((x) => x.route)),
        fc.oneof(fc.integer({ min: -64, max: 64 }).map((offset) => ({ offset })), fc.integer({ min: 3000, max: 2_000_000 }).map((bytes) => ({ bytes }))),
        fc.boolean(),
        async (routeName, sized, chunked) => {
          const target = TARGETS.find((x) => x.route === routeName)!;
          const size = 'offset' in sized ? limitOf(target) + sized.offset : sized.bytes;
          const before = await fingerprint(t.sql);
          const head = `${prefix(target)}"`;
          const body = head + 'a'.repeat(Math.max(0, size - head.length - 2)) + '"}';
          const headers: [string, string][] = [...(target.token() ? [bearer(target.token())] : []), ['content-type', 'application/json']];
          const res = await rawHttp(t.base, { method: target.method, path: target.path(), headers, body, chunked });
          statuses.push(res.status);
          if (Buffer.byteLength(body) > limitOf(target)) expectAnswer(res, 413, 'PAYLOAD_TOO_LARGE');
          else expectAnswer(res, 400, 'VALIDATION_FAILED');
          await settle(res, before);
        },
      ),
      fuzzParams(80),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Issue 12, point 6: unknown routes and methods. SPEC §5 names no status for them; the service
// answers every request that matches no route — an unknown path, under /api/v1 or at the root,
// or a known path with a method it does not take (PUT, OPTIONS, TRACE, … and e.g. DELETE on a
// list) — 404 NOT_FOUND with the JSON error body, before authentication (no token needed, a
// token changes nothing), writing nothing. HEAD is GET without a body: on a GET route the GET's
// status, elsewhere 404 with an empty body. (RFC 9110 would prefer 405 with Allow for a known path
// and an unsupported method; SPEC does not ask for it, and no input here is a 5xx.)
describe('fuzz: unknown routes and methods', () => {
  /** Every route of the service: path template → methods. */
  const ROUTES: [RegExp, string[]][] = [
    [/^\/api\/v1\/auth\/(login|refresh|logout)$/, ['POST']],
    [/^\/api\/v1\/api-keys$/, ['GET', 'POST']],
    [/^\/api\/v1\/api-keys\/[^/]+$/, ['DELETE']],
    [/^\/api\/v1\/webhooks$/, ['GET', 'POST']],
    [/^\/api\/v1\/webhooks\/[^/]+$/, ['GET', 'PATCH', 'DELETE']],
    [/^\/api\/v1\/webhooks\/[^/]+\/deliveries$/, ['GET']],
    [/^\/api\/v1\/auth\/me$/, ['GET']],
    [/^\/api\/v1\/organizations$/, ['GET', 'POST']],
    [/^\/api\/v1\/organizations\/[^/]+$/, ['GET', 'PATCH']],
    [/^\/api\/v1\/users$/, ['GET', 'POST']],
    [/^\/api\/v1\/users\/[^/]+$/, ['PATCH']],
    [/^\/api\/v1\/authorizations$/, ['GET', 'POST']],
    [/^\/api\/v1\/authorizations\/[^/]+$/, ['GET', 'PATCH', 'DELETE']],
    [/^\/api\/v1\/authorizations\/[^/]+\/reservations$/, ['GET', 'POST']],
    [/^\/api\/v1\/authorizations\/[^/]+\/ledger$/, ['GET']],
    [/^\/api\/v1\/authorizations\/[^/]+\/utilization$/, ['GET']],
    [/^\/api\/v1\/utilization$/, ['GET']],
    [/^\/api\/v1\/events$/, ['GET']],
    [/^\/api\/v1\/authorizations\/[^/]+\/lines$/, ['POST']],
    [/^\/api\/v1\/authorizations\/[^/]+\/lines\/[^/]+$/, ['PATCH']],
    [/^\/api\/v1\/reservations$/, ['POST']],
    [/^\/api\/v1\/reservations\/[^/]+$/, ['GET', 'PATCH']],
    [/^\/api\/v1\/reservations\/[^/]+\/(consume|release)$/, ['POST']],
    [/^\/health\/(live|ready)$/, ['GET']],
    [/^\/metrics$/, ['GET']],
  ];
  const routed = (method: string, path: string) => ROUTES.some(([re, methods]) => re.test(path) && methods.includes(method === 'HEAD' ? 'GET' : method));

  // Lower case, no trailing slash (Express matches paths case-insensitively and ignores a final
  // slash: those would be known routes), never a segment a route could have.
  const segment = fc.stringMatching(/^[a-z0-9._~-]{1,16}$/).map((x) => `zz${x}`);
  const id = fc.constantFrom(() => fx.reserveAuth.id, () => fx.consumeReservation.id, () => fx.patchUser.id, () => fx.bAuthorizationId, () => randomUUID()).map((f) => f());
  const path = fc.oneof(
    // Unknown paths under /api/v1, next to and below the real ones.
    fc.tuple(fc.constantFrom('', 'auth/', 'organizations/x/', 'users/x/', 'authorizations/', 'reservations/'), segment).map(([p, x]) => `/api/v1/${p}${x}`),
    fc.tuple(id, segment).map(([i, x]) => `/api/v1/authorizations/${i}/${x}`),
    fc.tuple(id, fc.constantFrom('reservations', 'ledger', 'consume', 'release'), segment).map(([i, r, x]) => `/api/v1/authorizations/${i}/${r}/${x}`),
    fc.tuple(id, id, segment).map(([i, l, x]) => `/api/v1/authorizations/${i}/lines/${l}/${x}`),
    fc.tuple(id, segment).map(([i, x]) => `/api/v1/reservations/${i}/${x}`),
    fc.tuple(fc.constantFrom('/api/v2/authorizations', '/api/v0', '/v1/authorizations', '/api/authorizations'), fc.constantFrom('', '/x')).map(([p, x]) => `${p}${x}`),
    // Unknown paths at the root and under the probes.
    segment.map((x) => `/${x}`),
    fc.tuple(fc.constantFrom('/health/', '/metrics/', '/api/', '/api/v1/health/'), segment).map(([p, x]) => `${p}${x}`),
    fc.constantFrom('/', '/api', '/api/v1', '/health', '/api/v1/auth', '/api/v1/reservations', '/api/v1/auth/login/zz', '/metrics/metrics'),
    // Known paths, for methods they do not take.
    fc.constantFrom('/api/v1/auth/login', '/api/v1/auth/me', '/api/v1/auth/refresh', '/api/v1/auth/logout', '/api/v1/api-keys', '/api/v1/organizations', '/api/v1/users', '/api/v1/authorizations', '/health/live', '/health/ready', '/metrics'),
    id.map((i) => `/api/v1/api-keys/${i}`),
    fc.constantFrom('/api/v1/webhooks'),
    id.map((i) => `/api/v1/webhooks/${i}`),
    id.map((i) => `/api/v1/webhooks/${i}/deliveries`),
    fc.tuple(id, segment).map(([i, x]) => `/api/v1/webhooks/${i}/${x}`),
    id.map((i) => `/api/v1/authorizations/${i}`),
    id.map((i) => `/api/v1/users/${i}`),
    id.map((i) => `/api/v1/organizations/${i}`),
    fc.tuple(id, fc.constantFrom('reservations', 'ledger', 'lines', 'utilization')).map(([i, r]) => `/api/v1/authorizations/${i}/${r}`),
    fc.constantFrom('/api/v1/utilization', '/api/v1/events'),
    fc.tuple(id, id).map(([i, l]) => `/api/v1/authorizations/${i}/lines/${l}`),
    fc.tuple(id, fc.constantFrom('', '/consume', '/release')).map(([i, r]) => `/api/v1/reservations/${i}${r}`),
  );
  const method = fc.constantFrom('PUT', 'OPTIONS', 'TRACE', 'HEAD', 'GET', 'POST', 'PATCH', 'DELETE', 'PROPFIND', 'MKCOL', 'PURGE', 'LOCK', 'SEARCH');

  it('a request that matches no route → exactly 404 NOT_FOUND (HEAD: 404, no body), with or without a token and a body; nothing written', async () => {
    await fc.assert(
      fc.asyncProperty(method, path, fc.constantFrom(undefined, 'VIEWER', 'ADMIN', 'ROOT', 'FORGED'), fc.constantFrom(undefined, '{}', '{"units":1,"status":"CANCELLED"}'), async (m, p, who, body) => {
        fc.pre(!routed(m, p));
        const token = who === undefined ? undefined : who === 'ROOT' ? root : who === 'FORGED' ? 'x.y.z' : A.tokens[who as 'VIEWER' | 'ADMIN'];
        const before = await fingerprint(t.sql);
        const res = await send(m, p, token, m === 'HEAD' || m === 'TRACE' ? undefined : body);
        expectNo5xx(res);
        if (m === 'HEAD') expect({ status: res.status, text: res.text }).toEqual({ status: 404, text: '' });
        else {
          expectAnswer(res, 404, 'NOT_FOUND');
          expect(res.body.message).toBe(`Cannot ${m} ${p}`);
        }
        expect(res.headers['ratelimit']).toBeUndefined();
        await settle(res, before);
      }),
      fuzzParams(600),
    );
  });

  it('HEAD on every GET route answers what GET answers, without a body', async () => {
    const gets: [string, string | undefined][] = [
      ['/health/live', undefined],
      ['/health/ready', undefined],
      ['/metrics', undefined],
      ['/api/v1/auth/me', A.tokens.VIEWER],
      ['/api/v1/auth/me', undefined],
      ['/api/v1/organizations', root],
      ['/api/v1/organizations', A.tokens.VIEWER],
      [`/api/v1/organizations/${A.id}`, A.tokens.ADMIN],
      [`/api/v1/organizations/${B.id}`, A.tokens.ADMIN],
      ['/api/v1/users', A.tokens.ADMIN],
      ['/api/v1/api-keys', A.tokens.ADMIN],
      ['/api/v1/api-keys', A.tokens.VIEWER],
      ['/api/v1/webhooks', A.tokens.ADMIN],
      ['/api/v1/webhooks', A.tokens.VIEWER],
      [`/api/v1/webhooks/${fx.bWebhookId}`, A.tokens.ADMIN],
      [`/api/v1/webhooks/${fx.bWebhookId}/deliveries`, A.tokens.ADMIN],
      ['/api/v1/authorizations', A.tokens.VIEWER],
      [`/api/v1/authorizations/${fx.reserveAuth.id}`, A.tokens.VIEWER],
      [`/api/v1/authorizations/${fx.bAuthorizationId}`, A.tokens.VIEWER],
      [`/api/v1/authorizations/${fx.reserveAuth.id}/reservations`, A.tokens.VIEWER],
      [`/api/v1/authorizations/${fx.reserveAuth.id}/ledger`, A.tokens.VIEWER],
      [`/api/v1/authorizations/${fx.lineAuth.id}/utilization`, A.tokens.VIEWER],
      ['/api/v1/utilization', A.tokens.VIEWER],
      ['/api/v1/events', A.tokens.VIEWER],
      ['/api/v1/events', A.tokens.PRACTITIONER],
      [`/api/v1/reservations/${fx.consumeReservation.id}`, A.tokens.VIEWER],
      ['/api/v1/authorizations?limit=0', A.tokens.VIEWER],
    ];
    const seen: string[] = [];
    for (const [p, token] of gets) {
      const get = await send('GET', p, token);
      const head = await send('HEAD', p, token);
      expect({ p, status: head.status, text: head.text }).toEqual({ p, status: get.status, text: '' });
      seen.push(`${get.status}`);
    }
    // The table covers successes and refusals alike.
    expect(new Set(seen)).toEqual(new Set(['200', '401', '403', '404', '400']));
  });
});

describe('fuzz: summary', () => {
  it('no answer in this file had a status of 500 or more, and the ledger still reconciles', async () => {
    expect(statuses.length).toBeGreaterThan(1000);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });
});
