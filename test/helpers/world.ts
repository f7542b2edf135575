import { randomBytes } from 'node:crypto';
import { Request } from './http';
import { ROOT_EMAIL, ROOT_PASSWORD, startTestApp, TestApp } from './test-app';

export const PASSWORD = 'test-password-123';
export type RoleName = 'ADMIN' | 'PRACTITIONER' | 'VIEWER';

export interface OrgWorld {
  id: string;
  tokens: Record<RoleName, string>;
  userIds: Record<RoleName, string>;
}

export const dayOffset = (days: number): string => {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
};

export async function login(request: Request, email: string, password: string): Promise<string> {
  const res = await request('POST', '/api/v1/auth/login', { body: { email, password } });
  if (res.status !== 200) throw new Error(`login ${email} → ${res.status} ${res.text}`);
  return res.body.accessToken;
}

export const rootToken = (request: Request) => login(request, ROOT_EMAIL, ROOT_PASSWORD);

/** An organization with one ADMIN, PRACTITIONER and VIEWER, each logged in. */
export async function createOrg(request: Request, superToken: string, name = `Org-${randomBytes(3).toString('hex')}`): Promise<OrgWorld> {
  const org = await request('POST', '/api/v1/organizations', { token: superToken, body: { name } });
  if (org.status !== 201) throw new Error(`create org → ${org.status} ${org.text}`);
  const tokens = {} as Record<RoleName, string>;
  const userIds = {} as Record<RoleName, string>;
  for (const role of ['ADMIN', 'PRACTITIONER', 'VIEWER'] as RoleName[]) {
    const email = `${role.toLowerCase()}-${randomBytes(4).toString('hex')}@example.com`;
    const user = await request('POST', '/api/v1/users', { token: superToken, body: { email, password: PASSWORD, role, organizationId: org.body.id } });
    if (user.status !== 201) throw new Error(`create user → ${user.status} ${user.text}`);
    userIds[role] = user.body.id;
    tokens[role] = await login(request, email, PASSWORD);
  }
  return { id: org.body.id, tokens, userIds };
}

export async function createAuthorization(request: Request, adminToken: string, overrides: Record<string, unknown> = {}) {
  const res = await request('POST', '/api/v1/authorizations', {
    token: adminToken,
    body: {
      patientId: 'patient-1',
      payer: 'Acme Health',
      authNumber: `AUTH-${randomBytes(4).toString('hex')}`,
      serviceCode: '97153',
      totalUnits: 50,
      startDate: dayOffset(-10),
      endDate: dayOffset(90),
      ...overrides,
    },
  });
  if (res.status !== 201) throw new Error(`create authorization → ${res.status} ${res.text}`);
  return res.body;
}

/**
 * The value of exactly one series in Prometheus text. An absent series (or labels matching more
 * than one) throws: a metric that is not exported must fail the test, not read as 0.
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const found = metricValueIfPresent(text, name, labels);
  if (found === undefined) throw new Error(`metric ${name}${JSON.stringify(labels)} is not in the exposition`);
  return found;
}

/** The series' value, or undefined when the exposition has no such series; several matching series throw. */
export function metricValueIfPresent(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const matches = text.split('\n').filter((line) => {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) return false;
    const labelText = line.startsWith(`${name}{`) ? line.slice(name.length + 1, line.lastIndexOf('}')) : '';
    const present: string[] = labelText ? labelText.match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) ?? [] : [];
    return wanted.every((w) => present.includes(w));
  });
  if (matches.length > 1) throw new Error(`metric ${name}${JSON.stringify(labels)} matches ${matches.length} series: name every label`);
  if (matches.length === 0) return undefined;
  const value = Number(matches[0].slice(matches[0].lastIndexOf(' ') + 1));
  if (Number.isNaN(value)) throw new Error(`metric ${name}${JSON.stringify(labels)}: not a number in ${matches[0]}`);
  return value;
}

/**
 * after − before for one series. The series must be in `after`; it may be missing from `before`
 * only for a histogram's _bucket/_count/_sum (prom-client creates a labelled histogram series at
 * its first observation), and then counts from 0. Counters are exported from the start.
 */
export function metricDelta(before: string, after: string, name: string, labels: Record<string, string> = {}): number {
  const end = metricValue(after, name, labels);
  const start = metricValueIfPresent(before, name, labels);
  if (start === undefined && !/_(bucket|count|sum)$/.test(name)) throw new Error(`metric ${name}${JSON.stringify(labels)} was not exported before`);
  return end - (start ?? 0);
}

export async function metrics(request: Request): Promise<string> {
  return (await request('GET', '/metrics')).text;
}

/** A test app on a fresh database with one organization of ADMIN, PRACTITIONER and VIEWER, logged in. */
export async function startAppWithOrg(env: Record<string, string> = {}): Promise<{ t: TestApp; org: OrgWorld }> {
  const t = await startTestApp(env);
  return { t, org: await createOrg(t.request, await rootToken(t.request)) };
}
