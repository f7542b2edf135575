import { Client } from 'pg';
import { startTestApp, TestApp } from './helpers/test-app';
import { createAuthorization, createOrg, metricValue, rootToken } from './helpers/world';

describe('probes', () => {
  let t: TestApp;
  let admin: Client;

  beforeAll(async () => {
    t = await startTestApp();
    admin = new Client({ connectionString: process.env.TEST_ADMIN_DATABASE_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
    await t.close();
  });

  const databaseName = () => new URL(t.databaseUrl).pathname.slice(1);

  it('live and ready answer 200 when all is well', async () => {
    expect((await t.request('GET', '/health/live')).status).toBe(200);
    const ready = await t.request('GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ok');
  });

  it('ready answers 503 while the database refuses connections, requests get 503 (not 500), and both recover', async () => {
    const token = await rootToken(t.request);
    await admin.query(`alter database ${databaseName()} with allow_connections false`);
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [databaseName()]);

    const ready = await t.request('GET', '/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ statusCode: 503, code: 'NOT_READY' });
    expect(ready.headers.get('retry-after')).toBeTruthy();
    expect((await t.request('GET', '/health/live')).status).toBe(200);
    const during = await t.request('GET', '/api/v1/organizations', { token });
    expect(during.status).toBe(503);
    expect(during.body.code).toBe('DATABASE_UNAVAILABLE');

    await admin.query(`alter database ${databaseName()} with allow_connections true`);
    expect((await t.request('GET', '/health/ready')).status).toBe(200);
    expect((await t.request('GET', '/api/v1/organizations', { token })).status).toBe(200);
  });
});

describe('metrics', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ METRICS_TOKEN: 'scrape-secret' });
  });
  afterAll(() => t.close());

  it('requires the bearer METRICS_TOKEN when one is set', async () => {
    expect((await t.request('GET', '/metrics')).status).toBe(401);
    expect((await t.request('GET', '/metrics', { token: 'wrong' })).status).toBe(401);
    const ok = await t.request('GET', '/metrics', { token: 'scrape-secret' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toContain('text/plain');
  });

  it('exports the SPEC §7 series, labelled by operation, outcome and route template', async () => {
    const org = await createOrg(t.request, await rootToken(t.request));
    const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 10 });
    const reserve = (units: number) => t.request('POST', `/api/v1/authorizations/${auth.id}/reservations`, { token: org.tokens.PRACTITIONER, body: { units } });
    expect((await reserve(6)).status).toBe(201);
    expect((await reserve(6)).status).toBe(409);
    const text = (await t.request('GET', '/metrics', { token: 'scrape-secret' })).text;

    expect(metricValue(text, 'unit_transactions_total', { operation: 'reserve', outcome: 'committed' })).toBe(1);
    expect(metricValue(text, 'unit_transactions_total', { operation: 'reserve', outcome: 'rejected' })).toBe(1);
    expect(metricValue(text, 'unit_transactions_total', { operation: 'reserve', outcome: 'failed' })).toBe(0);
    expect(metricValue(text, 'unit_transaction_attempts_count', { operation: 'reserve' })).toBe(2);
    expect(metricValue(text, 'unit_transaction_duration_seconds_count', { operation: 'reserve', outcome: 'committed' })).toBe(1);
    for (const series of ['unit_transaction_retries_total', 'unit_transaction_failures_total']) {
      expect(text).toContain(`${series}{operation="reserve"} 0`);
    }
    expect(metricValue(text, 'http_request_duration_seconds_count', { method: 'POST', route: '/api/v1/authorizations/:id/reservations', status_code: '201' })).toBe(1);
    expect(metricValue(text, 'http_request_duration_seconds_count', { method: 'POST', route: '/api/v1/authorizations/:id/reservations', status_code: '409' })).toBe(1);
    expect(text).not.toContain(auth.id);
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toMatch(/# TYPE unit_transaction_attempts histogram/);
  });
});
