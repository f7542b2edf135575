import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { HttpResult, Request } from './http';
import { createAuthorization, PASSWORD, RoleName } from './world';

/** Who calls: one of the four roles of SPEC §3, or nobody (no bearer token). */
export type Actor = 'SUPER_ADMIN' | RoleName | 'NONE';
export const ACTORS: Actor[] = ['SUPER_ADMIN', 'ADMIN', 'PRACTITIONER', 'VIEWER', 'NONE'];

/** SPEC §5 "who" column, as sets of roles. */
export const EVERY_ROLE: Actor[] = ['SUPER_ADMIN', 'ADMIN', 'PRACTITIONER', 'VIEWER'];
export const MANAGERS: Actor[] = ['SUPER_ADMIN', 'ADMIN'];
export const UNIT_OPERATORS: Actor[] = ['SUPER_ADMIN', 'ADMIN', 'PRACTITIONER'];
export const SUPER_ADMIN_ONLY: Actor[] = ['SUPER_ADMIN'];

export interface Call {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
}

export const describeCall = (c: Call) => `${c.method} ${c.path}`;

/**
 * SPEC §11 webhooks in the route tables: the apps run with WEBHOOK_ALLOW_HTTP_LOOPBACK=true and
 * register this loopback URL (port 9, discard: nothing listens), so that no test names a host
 * that needs DNS or any address outside 127.0.0.0/8. The delivery engine polls once a day only
 * (WEBHOOK_POLL_INTERVAL_MS): no attempt to that URL changes an endpoint (failingSince) while a
 * table compares rows before and after a call; test/webhook-delivery.e2e-spec.ts drives delivery.
 */
export const WEBHOOK_TEST_ENV = { WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true', WEBHOOK_POLL_INTERVAL_MS: '86400000' };
export const LOOPBACK_WEBHOOK_URL = 'http://127.0.0.1:9/hook';

export const unique = (prefix: string) => `${prefix}-${randomBytes(5).toString('hex')}`;
export const uniqueEmail = (prefix: string) => `${unique(prefix)}@example.com`;

/**
 * Status and body asserted together, so that a wrong status shows the body that came with it.
 * Error bodies are always {statusCode, error, message, code} (SPEC §5).
 */
export function expectError(res: HttpResult, status: number, code: string): void {
  expect({ status: res.status, body: res.body }).toEqual({
    status,
    body: expect.objectContaining({ statusCode: status, error: expect.any(String), message: expect.any(String), code }),
  });
}

export function expectStatus(res: HttpResult, status: number): void {
  expect({ status: res.status, body: status === 204 ? res.text : res.body }).toEqual({
    status,
    body: status === 204 ? '' : expect.anything(),
  });
}

/** Fresh objects of one organization, made by its ADMIN, so that test cells never share state. */
export function factories(request: Request, org: { id: string; tokens: Record<RoleName, string> }) {
  const admin = org.tokens.ADMIN;

  const authorization = (overrides: Record<string, unknown> = {}) =>
    createAuthorization(request, admin, { patientId: unique('patient'), totalUnits: 50, ...overrides });

  async function reservation(units = 4, authorizationOverrides: Record<string, unknown> = {}) {
    const auth = await authorization(authorizationOverrides);
    const res = await request('POST', `/api/v1/authorizations/${auth.id}/reservations`, { token: admin, body: { units } });
    if (res.status !== 201) throw new Error(`reserve → ${res.status} ${res.text}`);
    return { authorization: auth, reservation: res.body.reservation };
  }

  /**
   * SPEC §10: an authorization shaped like a payer's letter — two lines (97153 with a weekly cap
   * of `weeklyCap`, 97155 with modifier HO), no pool — unless overridden.
   */
  const twoLineAuthorization = (overrides: Record<string, unknown> = {}, weeklyCap = 20) =>
    authorization({
      serviceCode: undefined,
      totalUnits: undefined,
      lines: [
        { serviceCode: '97153', totalUnits: 60, caps: [{ period: 'WEEK', units: weeklyCap }] },
        { serviceCode: '97155', modifiers: ['HO'], totalUnits: 20 },
      ],
      ...overrides,
    });

  /** A line of an authorization by code (and modifiers), from an authorization as answered. */
  const lineOf = (auth: { lines: { id: string; serviceCode: string; modifiers: string[] }[] }, serviceCode: string, modifiers: string[] = []) => {
    const line = auth.lines.find((l) => l.serviceCode === serviceCode && [...l.modifiers].sort().join() === [...modifiers].sort().join());
    if (!line) throw new Error(`no line ${serviceCode} ${modifiers.join(',')} in ${JSON.stringify(auth.lines)}`);
    return line;
  };

  async function user(role: RoleName = 'VIEWER') {
    const email = uniqueEmail(role.toLowerCase());
    const res = await request('POST', '/api/v1/users', { token: admin, body: { email, password: PASSWORD, role } });
    if (res.status !== 201) throw new Error(`create user → ${res.status} ${res.text}`);
    return { ...res.body, email, password: PASSWORD } as { id: string; email: string; password: string; role: RoleName; organizationId: string };
  }

  /** SPEC §11: a webhook endpoint of the organization, to a loopback URL (the app runs with WEBHOOK_ALLOW_HTTP_LOOPBACK=true). */
  async function webhook(events: string[] = ['reservation.created']) {
    const res = await request('POST', '/api/v1/webhooks', { token: admin, body: { url: LOOPBACK_WEBHOOK_URL, events } });
    if (res.status !== 201) throw new Error(`create webhook → ${res.status} ${res.text}`);
    return res.body as { id: string; url: string; events: string[]; secret: string; organizationId: string };
  }

  return { authorization, twoLineAuthorization, lineOf, reservation, user, webhook };
}

/** Rows straight from the tables (not through the API under test), for "nothing changed" checks. */
export async function dbState(sql: Client, ids: { authorizationId?: string; reservationId?: string; userId?: string; organizationId?: string; apiKeyId?: string; webhookId?: string }) {
  const one = async (query: string, id?: string) => (id ? (await sql.query(query, [id])).rows : null);
  return {
    authorization: await one('select * from authorizations where id = $1', ids.authorizationId),
    reservations: await one('select * from reservations where authorization_id = $1 order by id', ids.authorizationId),
    ledger: await one('select * from ledger_entries where authorization_id = $1 order by id', ids.authorizationId),
    lines: await one('select * from authorization_lines where authorization_id = $1 order by id', ids.authorizationId),
    caps: await one('select * from authorization_caps where authorization_id = $1 order by id', ids.authorizationId),
    buckets: await one('select * from cap_buckets where authorization_id = $1 order by cap_id, period_start', ids.authorizationId),
    reservation: await one('select * from reservations where id = $1', ids.reservationId),
    user: await one('select id, email, role, organization_id, active, updated_at from users where id = $1', ids.userId),
    organization: await one('select * from organizations where id = $1', ids.organizationId),
    apiKey: await one('select * from api_keys where id = $1', ids.apiKeyId),
    webhook: await one('select * from webhook_endpoints where id = $1', ids.webhookId),
  };
}
