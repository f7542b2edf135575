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

/** The value of one series in Prometheus text, 0 when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (wanted.every((w) => line.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

export async function metrics(request: Request): Promise<string> {
  return (await request('GET', '/metrics')).text;
}

/** A test app on a fresh database with one organization of ADMIN, PRACTITIONER and VIEWER, logged in. */
export async function startAppWithOrg(env: Record<string, string> = {}): Promise<{ t: TestApp; org: OrgWorld }> {
  const t = await startTestApp(env);
  return { t, org: await createOrg(t.request, await rootToken(t.request)) };
}
