import { startTestApp, TestApp } from './helpers/test-app';

/** Issue 11, point 8: in production the API docs are served only with API_DOCS=true, and /metrics needs its token. */
describe('production defaults', () => {
  const production = { NODE_ENV: 'production', JWT_SECRET: 'production-test-secret-0123456789abcdef', METRICS_TOKEN: 'metrics-token-for-test' };
  const apps: TestApp[] = [];
  afterAll(() => Promise.all(apps.map((app) => app.close())));
  const start = async (env: Record<string, string>) => {
    const t = await startTestApp(env);
    apps.push(t);
    return t;
  };
  const docs = async (t: TestApp) => Promise.all(['/api/docs', '/api/docs-json'].map(async (path) => `${path} ${(await t.request('GET', path)).status}`));

  it('NODE_ENV=production without API_DOCS: /api/docs and /api/docs-json are 404; /metrics needs METRICS_TOKEN', async () => {
    const t = await start(production);
    expect(await docs(t)).toEqual(['/api/docs 404', '/api/docs-json 404']);
    expect((await t.request('GET', '/api/docs')).body.code).toBe('NOT_FOUND');
    expect((await t.request('GET', '/metrics')).status).toBe(401);
    expect((await t.request('GET', '/metrics', { headers: { authorization: `Bearer ${production.METRICS_TOKEN}` } })).status).toBe(200);
  });

  it('NODE_ENV=production with API_DOCS=true: the docs are served', async () => {
    const t = await start({ ...production, API_DOCS: 'true' });
    expect(await docs(t)).toEqual(['/api/docs 200', '/api/docs-json 200']);
    expect((await t.request('GET', '/api/docs-json')).body.info.title).toBe('Unit Ledger');
  });

  it('outside production the docs are served unless API_DOCS=false', async () => {
    expect(await docs(await start({}))).toEqual(['/api/docs 200', '/api/docs-json 200']);
    expect(await docs(await start({ API_DOCS: 'false' }))).toEqual(['/api/docs 404', '/api/docs-json 404']);
  });
});
