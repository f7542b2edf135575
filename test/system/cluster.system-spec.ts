import { Client } from 'pg';
import { httpClient, Request } from '../helpers/http';
import { checkIntegrity, expectJustifiedRefusals, INTACT } from '../helpers/ledger-check';
import { randomBytes } from 'node:crypto';
import { ROOT_PASSWORD } from '../helpers/test-app';
import { createAuthorization, createOrg, login, OrgWorld, PASSWORD } from '../helpers/world';
import { ServiceProcess, startService, systemDatabase } from './service-process';
import { MIGRATIONS } from '../../src/database/orm-config';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Three instances of the built service on one PostgreSQL and one Redis, started at the same
 * moment on an empty database (they race for the migrations).
 */
describe('three instances on one PostgreSQL and Redis', () => {
  let instances: ServiceProcess[];
  let requests: Request[];
  let sql: Client;
  let org: OrgWorld;

  beforeAll(async () => {
    const databaseUrl = await systemDatabase();
    // Redis outlives this run: a root email of its own keeps earlier runs' login counts away.
    const rootEmail = `root-${randomBytes(4).toString('hex')}@test.local`;
    instances = await Promise.all(
      [1, 2, 3].map(() =>
        startService({ DATABASE_URL: databaseUrl, REDIS_URL, RATE_LIMIT_USER_PER_MINUTE: '100', LOG_LEVEL: 'warn', BOOTSTRAP_ADMIN_EMAIL: rootEmail }),
      ),
    );
    requests = instances.map((i) => httpClient(i.base));
    sql = new Client({ connectionString: databaseUrl });
    await sql.connect();
    org = await createOrg(requests[0], await login(requests[0], rootEmail, ROOT_PASSWORD));
  }, 90_000);

  afterAll(async () => {
    await sql?.end();
    const codes = await Promise.all((instances ?? []).map((i) => i.stop('SIGINT')));
    expect(codes).toEqual([0, 0, 0]);
  });

  it('all three migrated the same database once and are ready', async () => {
    const { rows } = await sql.query('select name from mikro_orm_migrations order by id');
    expect(rows.map((r) => r.name)).toEqual(MIGRATIONS.map((m) => m.name));
    for (const r of requests) expect((await r('GET', '/health/ready')).status).toBe(200);
  });

  it('60 concurrent reservations of 10 units on a 50-unit authorization, spread over the 3: exactly 5 × 201', async () => {
    const auth = await createAuthorization(requests[0], org.tokens.ADMIN, { totalUnits: 50 });
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        requests[i % 3]('POST', `/api/v1/authorizations/${auth.id}/reservations`, { token: org.tokens.PRACTITIONER, body: { units: 10 } }),
      ),
    );
    const byStatus = results.reduce<Record<number, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {});
    expect(byStatus).toEqual({ 201: 5, 409: 55 });
    // Every refusal justified: 10 requested, 0 left (every state of this authorization is a multiple of 10).
    for (const r of results.filter((x) => x.status === 409)) {
      expect(r.body).toEqual(expect.objectContaining({ statusCode: 409, code: 'INSUFFICIENT_UNITS', availableUnits: 0, requestedUnits: 10 }));
    }
    const state = await requests[2]('GET', `/api/v1/authorizations/${auth.id}`, { token: org.tokens.VIEWER });
    expect(state.body).toMatchObject({ scheduledUnits: 50, availableUnits: 0 });
    expect(await checkIntegrity(sql)).toEqual(INTACT);
  });

  it('a concurrent mix over the 3: every refusal justified, then exactly the capacity (10 × 5 of 54 free) is reserved; invariant and ledger hold', async () => {
    const auth = await createAuthorization(requests[0], org.tokens.ADMIN, { totalUnits: 60 });
    const token = org.tokens.ADMIN; // the PRACTITIONER's 100-a-minute budget is spent above
    const seeded = await Promise.all(
      Array.from({ length: 6 }, (_, i) => requests[i % 3]('POST', `/api/v1/authorizations/${auth.id}/reservations`, { token, body: { units: 5 } })),
    );
    expect(seeded.map((r) => r.status)).toEqual(Array(6).fill(201));
    const ids = seeded.map((r) => r.body.reservation.id as string);
    const { rows: [{ last: seedEnd }] } = await sql.query('select max(id)::text as last from ledger_entries where authorization_id = $1', [auth.id]);
    // 30 units free before the race (6 reservations of 5 always fit); 3 consumes of 2 free 3
    // each and 3 releases 5 each: 54 free after it (10 reservations of 5 at most).
    const mix = await Promise.all([
      ...Array.from({ length: 12 }, (_, i) => requests[i % 3]('POST', `/api/v1/authorizations/${auth.id}/reservations`, { token, body: { units: 5 } })),
      ...ids.slice(0, 3).map((id, i) => requests[(i + 1) % 3]('POST', `/api/v1/reservations/${id}/consume`, { token, body: { units: 2 } })),
      ...ids.slice(3).map((id, i) => requests[(i + 2) % 3]('POST', `/api/v1/reservations/${id}/release`, { token })),
    ]);
    expect(mix.slice(12).map((r) => r.status)).toEqual(Array(6).fill(200));
    const reserves = mix.slice(0, 12);
    const reserved = reserves.filter((r) => r.status === 201).length;
    const refused = reserves.filter((r) => r.status !== 201);
    await expectJustifiedRefusals(sql, auth.id, seedEnd, refused, 5);
    expect(reserved).toBeGreaterThanOrEqual(6);
    expect(reserved).toBeLessThanOrEqual(10);
    let state = (await requests[1]('GET', `/api/v1/authorizations/${auth.id}`, { token })).body;
    expect(state).toMatchObject({ usedUnits: 6, scheduledUnits: 5 * reserved, availableUnits: 54 - 5 * reserved });
    expect(await checkIntegrity(sql)).toEqual(INTACT);

    // The refused ones again, over the 3, now that every consume and release has landed: exactly
    // the capacity is granted (10 in all) and the other 2 see the 4 units left.
    const again = await Promise.all(refused.map((_, i) => requests[i % 3]('POST', `/api/v1/authorizations/${auth.id}/reservations`, { token, body: { units: 5 } })));
    expect(again.filter((r) => r.status === 201)).toHaveLength(10 - reserved);
    const stillRefused = again.filter((r) => r.status !== 201);
    expect(stillRefused).toHaveLength(2);
    for (const r of stillRefused) expect(r.body).toEqual(expect.objectContaining({ statusCode: 409, code: 'INSUFFICIENT_UNITS', availableUnits: 4, requestedUnits: 5 }));
    state = (await requests[2]('GET', `/api/v1/authorizations/${auth.id}`, { token })).body;
    expect(state).toMatchObject({ totalUnits: 60, usedUnits: 6, scheduledUnits: 50, availableUnits: 4, status: 'ACTIVE' });
    expect(await checkIntegrity(sql)).toEqual(INTACT);
  });

  it('with RATE_LIMIT_USER_PER_MINUTE=100, 150 requests by one user over the 3 get exactly 100 answers that are not 429', async () => {
    // A user who has sent nothing yet this minute.
    const email = `limited-${Date.now()}@example.com`;
    const created = await requests[0]('POST', '/api/v1/users', { token: org.tokens.ADMIN, body: { email, password: PASSWORD, role: 'VIEWER' } });
    expect(created.status).toBe(201);
    const token = await login(requests[1], email, PASSWORD);
    const results = await Promise.all(Array.from({ length: 150 }, (_, i) => requests[i % 3]('GET', '/api/v1/auth/me', { token })));
    const limited = results.filter((r) => r.status === 429);
    expect(results.length - limited.length).toBe(100);
    expect(results.filter((r) => r.status !== 429).every((r) => r.status === 200)).toBe(true);
    expect(limited.every((r) => r.body.code === 'RATE_LIMITED' && Number(r.headers.get('retry-after')) >= 1)).toBe(true);
  });
});
