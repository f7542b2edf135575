// SPEC §11 "Webhooks" registration (issue 15 points 3 and 4): POST/GET/PATCH/DELETE
// /api/v1/webhooks, ADMIN only, own organization; the signing secret shown once; the URL checked
// against SSRF at registration and when changed. Receivers are http://127.0.0.1 URLs with
// WEBHOOK_ALLOW_HTTP_LOOPBACK=true; refusals use names answered by a stubbed resolver (the
// WEBHOOK_RESOLVER provider): no test here makes a DNS query or a request outside 127.0.0.0/8.
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expectError, expectStatus, unique } from './helpers/routes';
import { startTestApp, TestApp } from './helpers/test-app';
import { createOrg, OrgWorld, rootToken } from './helpers/world';
import { WEBHOOK_RESOLVER, WebhookResolution } from '../src/webhooks/webhook-url.policy';
import { ResolvedAddress } from '../src/webhooks/webhook-url';
import { WEBHOOK_EVENT_TYPES } from '../src/webhooks/webhook-event-types';
import { MAX_WEBHOOK_ENDPOINTS } from '../src/webhooks/webhooks.service';
import { signatureHeader, verifySignature } from '../src/webhooks/webhook-signature';

const PUBLIC_V4 = '93.184.215.14';
/** The stub's answers; a name it does not know is ENOTFOUND. */
const DNS: Record<string, ResolvedAddress[]> = {
  'hooks.example.com': [{ address: PUBLIC_V4, family: 4 }],
  'internal.example.com': [{ address: '10.0.0.5', family: 4 }],
  'half-private.example.com': [
    { address: PUBLIC_V4, family: 4 },
    { address: 'fd00::7', family: 6 },
  ],
  'metadata.example.com': [{ address: '169.254.169.254', family: 4 }],
  'mapped.example.com': [{ address: '::ffff:192.168.0.1', family: 6 }],
  'receiver.example.test': [{ address: '127.0.0.1', family: 4 }],
};

let t: TestApp;
let root: string;
let org: OrgWorld;
let other: OrgWorld;
let receiver: Server;
let hookUrl: string;
const lookups: string[] = [];

const asAdmin = (method: string, path: string, body?: unknown) => t.request(method, path, { token: org.tokens.ADMIN, body });
const register = (body: Record<string, unknown>, world = org) => t.request('POST', '/api/v1/webhooks', { token: world.tokens.ADMIN, body });
const row = async (id: string) => (await t.sql.query('select * from webhook_endpoints where id = $1', [id])).rows[0];
const ISO = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

function expectUrlRefused(res: { status: number; body: any }, reason: string) {
  expectError(res as never, 400, 'VALIDATION_FAILED');
  expect(res.body.fields).toEqual([{ field: 'url', message: expect.any(String), reason }]);
}

beforeAll(async () => {
  receiver = createServer((_req, res) => res.writeHead(204).end());
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  t = await startTestApp({ WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true' });
  // Before any request: the resolver answers from DNS above, never from real DNS.
  const resolution = t.app.get<WebhookResolution>(WEBHOOK_RESOLVER);
  resolution.resolve = async (hostname) => {
    lookups.push(hostname);
    const answer = DNS[hostname];
    if (!answer) throw Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return answer;
  };
  root = await rootToken(t.request);
  org = await createOrg(t.request, root);
  other = await createOrg(t.request, root);
});
afterAll(async () => {
  await t?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

describe('POST /webhooks', () => {
  it('201: the endpoint and its secret, shown this once; the events in the list\'s order', async () => {
    const res = await register({ url: hookUrl, events: ['authorization.low_units', 'reservation.created'], description: 'billing' });
    expectStatus(res, 201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      organizationId: org.id,
      url: hookUrl,
      events: ['reservation.created', 'authorization.low_units'],
      description: 'billing',
      enabled: true,
      failingSince: null,
      disabledReason: null,
      createdAt: ISO,
      updatedAt: ISO,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/),
    });
    const stored = await row(res.body.id);
    expect(stored).toMatchObject({ organization_id: org.id, url: hookUrl, event_types: ['reservation.created', 'authorization.low_units'], secret: res.body.secret, enabled: true });

    // Never again: neither the one endpoint nor the list shows it.
    const one = await asAdmin('GET', `/api/v1/webhooks/${res.body.id}`);
    expectStatus(one, 200);
    const { secret, ...withoutSecret } = res.body;
    expect(one.body).toEqual(withoutSecret);
    const list = await asAdmin('GET', '/api/v1/webhooks');
    expect(list.body.items).toContainEqual(withoutSecret);
    expect(list.text).not.toContain(secret);
    expect(one.text).not.toContain(secret);
    expect(list.text).not.toContain('whsec_');

    // The secret signs: a receiver holding it verifies what the service would send.
    const body = JSON.stringify({ id: 'evt', type: 'reservation.created' });
    expect(verifySignature(signatureHeader(secret, 1_800_000_000, body), secret, body, { now: 1_800_000_000 })).toEqual({ ok: true, timestamp: 1_800_000_000 });
  });

  it('each endpoint gets a secret of its own; description is optional', async () => {
    const a = await register({ url: hookUrl, events: ['reservation.released'] });
    const b = await register({ url: hookUrl, events: ['reservation.released'] });
    expectStatus(a, 201);
    expectStatus(b, 201);
    expect(a.body.description).toBeNull();
    expect(a.body.secret).not.toBe(b.body.secret);
  });

  it('every event type of SPEC §11 may be subscribed to, together', async () => {
    const res = await register({ url: hookUrl, events: [...WEBHOOK_EVENT_TYPES].reverse() });
    expectStatus(res, 201);
    expect(res.body.events).toEqual([...WEBHOOK_EVENT_TYPES]);
  });

  it('a host name is resolved and every address checked (stubbed resolver); the URL stored normalized', async () => {
    const before = lookups.length;
    const res = await register({ url: 'https://HOOKS.example.com:8443/a/../unit-ledger', events: ['authorization.expired'] });
    expectStatus(res, 201);
    expect(res.body.url).toBe('https://hooks.example.com:8443/unit-ledger');
    expect(lookups.slice(before)).toEqual(['hooks.example.com']);
    // (A public address: removed at once, so that no later delivery could ever be made to it.)
    expectStatus(await asAdmin('DELETE', `/api/v1/webhooks/${res.body.id}`), 204);
  });

  it.each([
    ['https://internal.example.com/hook', 'ADDRESS_NOT_ALLOWED'],
    ['https://half-private.example.com/hook', 'ADDRESS_NOT_ALLOWED'],
    ['https://metadata.example.com/latest', 'ADDRESS_NOT_ALLOWED'],
    ['https://mapped.example.com/', 'ADDRESS_NOT_ALLOWED'],
    ['https://169.254.169.254/latest/meta-data/', 'ADDRESS_NOT_ALLOWED'],
    ['https://10.1.2.3/', 'ADDRESS_NOT_ALLOWED'],
    ['https://[::ffff:10.0.0.1]/', 'ADDRESS_NOT_ALLOWED'],
    ['https://[fd00:ec2::254]/', 'ADDRESS_NOT_ALLOWED'],
    ['https://0.0.0.0/', 'ADDRESS_NOT_ALLOWED'],
    ['http://0.0.0.0:8080/', 'ADDRESS_NOT_ALLOWED'],
    ['http://hooks.example.com/', 'HTTP_NOT_LOOPBACK'],
    ['https://metadata.google.internal/computeMetadata/v1/', 'HOST_NOT_ALLOWED'],
    ['https://nowhere.example.com/', 'UNRESOLVABLE'],
    ['ftp://hooks.example.com/', 'SCHEME_NOT_ALLOWED'],
    ['file:///etc/passwd', 'SCHEME_NOT_ALLOWED'],
    ['https://user:pass@hooks.example.com/', 'CREDENTIALS_IN_URL'],
    ['https://hooks.example.com:0/', 'PORT_NOT_ALLOWED'],
    ['not a url', 'INVALID_URL'],
  ])('%s → 400 VALIDATION_FAILED, url refused as %s; nothing stored', async (url, reason) => {
    const before = (await t.sql.query('select count(*)::int as n from webhook_endpoints')).rows[0].n;
    expectUrlRefused(await register({ url, events: ['reservation.created'] }), reason);
    expect((await t.sql.query('select count(*)::int as n from webhook_endpoints')).rows[0].n).toBe(before);
  });

  it.each([
    ['no url', 'url', { events: ['reservation.created'] }],
    ['url not a string', 'url', { url: 42, events: ['reservation.created'] }],
    ['url over 2048 characters', 'url', { url: `https://hooks.example.com/${'a'.repeat(2030)}`, events: ['reservation.created'] }],
    ['no events', 'events', { url: 'https://hooks.example.com/' }],
    ['empty events', 'events', { url: 'https://hooks.example.com/', events: [] }],
    ['an unknown event type', 'events', { url: 'https://hooks.example.com/', events: ['reservation.created', 'reservation.deleted'] }],
    ['a repeated event type', 'events', { url: 'https://hooks.example.com/', events: ['reservation.created', 'reservation.created'] }],
    ['events not an array', 'events', { url: 'https://hooks.example.com/', events: 'reservation.created' }],
    ['an array inside events', 'events', { url: 'https://hooks.example.com/', events: [['reservation.created']] }],
    ['empty description', 'description', { url: 'https://hooks.example.com/', events: ['reservation.created'], description: '' }],
    ['description over 500', 'description', { url: 'https://hooks.example.com/', events: ['reservation.created'], description: 'x'.repeat(501) }],
    ['null description', 'description', { url: 'https://hooks.example.com/', events: ['reservation.created'], description: null }],
    ['a secret of one\'s own', 'secret', { url: 'https://hooks.example.com/', events: ['reservation.created'], secret: 'whsec_mine' }],
    ['an unknown field', 'enabled', { url: 'https://hooks.example.com/', events: ['reservation.created'], enabled: false }],
  ])('%s → 400 VALIDATION_FAILED naming %s, no DNS lookup', async (_label, field, body) => {
    const before = lookups.length;
    const res = await register(body);
    expectError(res, 400, 'VALIDATION_FAILED');
    expect(res.body.fields.map((f: { field: string }) => f.field)).toContain(field);
    expect(lookups.length).toBe(before);
  });

  it(`an organization has at most ${MAX_WEBHOOK_ENDPOINTS} endpoints: then 409 WEBHOOK_LIMIT_REACHED; another organization is not affected`, async () => {
    const world = await createOrg(t.request, root);
    for (let i = 0; i < MAX_WEBHOOK_ENDPOINTS; i++) expectStatus(await register({ url: hookUrl, events: ['reservation.created'] }, world), 201);
    const refused = await register({ url: hookUrl, events: ['reservation.created'] }, world);
    expectError(refused, 409, 'WEBHOOK_LIMIT_REACHED');
    expect(refused.body.limit).toBe(MAX_WEBHOOK_ENDPOINTS);
    expect((await t.sql.query('select count(*)::int as n from webhook_endpoints where organization_id = $1', [world.id])).rows[0].n).toBe(MAX_WEBHOOK_ENDPOINTS);
    // after a DELETE there is room again
    const first = (await t.request('GET', '/api/v1/webhooks', { token: world.tokens.ADMIN })).body.items[0];
    expectStatus(await t.request('DELETE', `/api/v1/webhooks/${first.id}`, { token: world.tokens.ADMIN }), 204);
    expectStatus(await register({ url: hookUrl, events: ['reservation.created'] }, world), 201);
  });

  it('concurrent registrations never pass the limit', async () => {
    const world = await createOrg(t.request, root);
    const results = await Promise.all(Array.from({ length: MAX_WEBHOOK_ENDPOINTS + 5 }, () => register({ url: hookUrl, events: ['reservation.created'] }, world)));
    expect(results.map((r) => `${r.status} ${r.body.code ?? ''}`).sort()).toEqual([
      ...new Array(MAX_WEBHOOK_ENDPOINTS).fill('201 '),
      ...new Array(5).fill('409 WEBHOOK_LIMIT_REACHED'),
    ]);
    expect((await t.sql.query('select count(*)::int as n from webhook_endpoints where organization_id = $1', [world.id])).rows[0].n).toBe(MAX_WEBHOOK_ENDPOINTS);
  });
});

describe('GET, PATCH, DELETE /webhooks/:id', () => {
  const fresh = async (events = ['reservation.created']) => {
    const res = await register({ url: hookUrl, events, description: 'desk' });
    expectStatus(res, 201);
    return res.body as { id: string; secret: string; updatedAt: string };
  };

  it('GET /webhooks lists the organization\'s endpoints only, in id order', async () => {
    const mine = await fresh();
    const theirs = await register({ url: hookUrl, events: ['reservation.created'] }, other);
    const list = await asAdmin('GET', '/api/v1/webhooks');
    expectStatus(list, 200);
    const ids = list.body.items.map((e: { id: string }) => e.id);
    expect(ids).toContain(mine.id);
    expect(ids).not.toContain(theirs.body.id);
    expect(list.body.items.every((e: { organizationId: string }) => e.organizationId === org.id)).toBe(true);
    expect(ids).toEqual([...ids].sort());
    expect(Object.keys(list.body)).toEqual(['items']);
  });

  it('PATCH events, description, enabled: 200 with the endpoint; the secret never changes nor shows', async () => {
    const endpoint = await fresh();
    const res = await asAdmin('PATCH', `/api/v1/webhooks/${endpoint.id}`, { events: ['reservation.expired', 'reservation.consumed'], description: null, enabled: false });
    expectStatus(res, 200);
    expect(res.body).toMatchObject({ id: endpoint.id, events: ['reservation.consumed', 'reservation.expired'], description: null, enabled: false, url: hookUrl });
    expect(res.body).not.toHaveProperty('secret');
    expect(res.body.updatedAt >= endpoint.updatedAt).toBe(true);
    expect(await row(endpoint.id)).toMatchObject({ event_types: ['reservation.consumed', 'reservation.expired'], description: null, enabled: false, secret: endpoint.secret });
  });

  it('PATCH enabled: true re-enables an endpoint the service disabled, and clears its failure record', async () => {
    const endpoint = await fresh();
    await t.sql.query(`update webhook_endpoints set enabled = false, failing_since = now() - interval '25 hours', disabled_reason = 'failing for 24 h' where id = $1`, [endpoint.id]);
    const disabled = await asAdmin('GET', `/api/v1/webhooks/${endpoint.id}`);
    expect(disabled.body).toMatchObject({ enabled: false, failingSince: ISO, disabledReason: 'failing for 24 h' });
    const res = await asAdmin('PATCH', `/api/v1/webhooks/${endpoint.id}`, { enabled: true });
    expectStatus(res, 200);
    expect(res.body).toMatchObject({ enabled: true, failingSince: null, disabledReason: null });
  });

  it('PATCH url: checked again like at registration; a refused URL changes nothing', async () => {
    const endpoint = await fresh();
    const before = await row(endpoint.id);
    for (const [url, reason] of [
      ['https://internal.example.com/', 'ADDRESS_NOT_ALLOWED'],
      ['http://hooks.example.com/', 'HTTP_NOT_LOOPBACK'],
      ['https://0x7f000001.example.com/', 'UNRESOLVABLE'],
      ['https://[::ffff:169.254.169.254]/', 'ADDRESS_NOT_ALLOWED'],
    ]) {
      expectUrlRefused(await asAdmin('PATCH', `/api/v1/webhooks/${endpoint.id}`, { url, enabled: false }), reason);
    }
    expect(await row(endpoint.id)).toEqual(before);
    // A new URL starts the endpoint's failure record afresh.
    await t.sql.query(`update webhook_endpoints set failing_since = now() - interval '3 hours' where id = $1`, [endpoint.id]);
    const moved = `http://receiver.example.test:${new URL(hookUrl).port}/moved`;
    const res = await asAdmin('PATCH', `/api/v1/webhooks/${endpoint.id}`, { url: moved });
    expectStatus(res, 200);
    expect(res.body).toMatchObject({ url: moved, failingSince: null, enabled: true });
  });

  it('PATCH with no field: 200, nothing but updatedAt changes; PATCH with a bad field: 400', async () => {
    const endpoint = await fresh();
    const before = await row(endpoint.id);
    expectStatus(await asAdmin('PATCH', `/api/v1/webhooks/${endpoint.id}`, {}), 200);
    const after = await row(endpoint.id);
    expect({ ...after, updated_at: null }).toEqual({ ...before, updated_at: null });
    for (const body of [{ enabled: 'yes' }, { events: [] }, { events: ['nope'] }, { url: null }, { secret: 'whsec_x' }, { organizationId: other.id }, { description: '' }]) {
      const res = await asAdmin('PATCH', `/api/v1/webhooks/${endpoint.id}`, body);
      expectError(res, 400, 'VALIDATION_FAILED');
    }
    expect({ ...(await row(endpoint.id)), updated_at: null }).toEqual({ ...before, updated_at: null });
  });

  it('DELETE: 204, then it is gone (GET, PATCH, DELETE → 404)', async () => {
    const endpoint = await fresh();
    const res = await asAdmin('DELETE', `/api/v1/webhooks/${endpoint.id}`);
    expectStatus(res, 204);
    expect(await row(endpoint.id)).toBeUndefined();
    expectError(await asAdmin('GET', `/api/v1/webhooks/${endpoint.id}`), 404, 'NOT_FOUND');
    expectError(await asAdmin('PATCH', `/api/v1/webhooks/${endpoint.id}`, { enabled: true }), 404, 'NOT_FOUND');
    expectError(await asAdmin('DELETE', `/api/v1/webhooks/${endpoint.id}`), 404, 'NOT_FOUND');
  });

  it('an id that is not a UUID, or unknown: 404 NOT_FOUND', async () => {
    for (const id of ['nope', '123', '00000000-0000-7000-8000-000000000000']) {
      expectError(await asAdmin('GET', `/api/v1/webhooks/${id}`), 404, 'NOT_FOUND');
      expectError(await asAdmin('DELETE', `/api/v1/webhooks/${id}`), 404, 'NOT_FOUND');
    }
  });

  it('another organization\'s endpoint is 404 on GET, PATCH and DELETE, unchanged, and its new URL is never looked up', async () => {
    const theirs = (await register({ url: hookUrl, events: ['reservation.created'] }, other)).body;
    const before = await row(theirs.id);
    const lookupsBefore = lookups.length;
    expectError(await asAdmin('GET', `/api/v1/webhooks/${theirs.id}`), 404, 'NOT_FOUND');
    expectError(await asAdmin('PATCH', `/api/v1/webhooks/${theirs.id}`, { enabled: false }), 404, 'NOT_FOUND');
    expectError(await asAdmin('PATCH', `/api/v1/webhooks/${theirs.id}`, { url: 'https://hooks.example.com/mine' }), 404, 'NOT_FOUND');
    expectError(await asAdmin('DELETE', `/api/v1/webhooks/${theirs.id}`), 404, 'NOT_FOUND');
    expect(await row(theirs.id)).toEqual(before);
    expect(lookups.length).toBe(lookupsBefore);
  });
});

describe('who may', () => {
  let endpointId: string;
  beforeAll(async () => {
    endpointId = (await register({ url: hookUrl, events: ['reservation.created'] })).body.id;
  });

  const calls = () => [
    { method: 'POST', path: '/api/v1/webhooks', body: { url: hookUrl, events: ['reservation.created'] } },
    { method: 'GET', path: '/api/v1/webhooks' },
    { method: 'GET', path: `/api/v1/webhooks/${endpointId}` },
    { method: 'PATCH', path: `/api/v1/webhooks/${endpointId}`, body: { enabled: false } },
    { method: 'DELETE', path: `/api/v1/webhooks/${endpointId}` },
  ];

  it('PRACTITIONER, VIEWER and SUPER_ADMIN: 403 FORBIDDEN on every route; no token: 401; nothing changed', async () => {
    const before = await row(endpointId);
    const count = (await t.sql.query('select count(*)::int as n from webhook_endpoints')).rows[0].n;
    for (const call of calls()) {
      for (const token of [org.tokens.PRACTITIONER, org.tokens.VIEWER, root]) {
        expectError(await t.request(call.method, call.path, { token, body: call.body }), 403, 'FORBIDDEN');
      }
      expectError(await t.request(call.method, call.path, { body: call.body }), 401, 'UNAUTHORIZED');
    }
    expect(await row(endpointId)).toEqual(before);
    expect((await t.sql.query('select count(*)::int as n from webhook_endpoints')).rows[0].n).toBe(count);
  });
});

describe('the event types', () => {
  it('are SPEC §11\'s list plus webhook_endpoint.disabled (the outbox\'s own list)', () => {
    expect(WEBHOOK_EVENT_TYPES).toEqual([
      'reservation.created',
      'reservation.modified',
      'reservation.released',
      'reservation.consumed',
      'reservation.expired',
      'authorization.created',
      'authorization.updated',
      'authorization.low_units',
      'authorization.exhausted',
      'authorization.expiring',
      'authorization.expired',
      'webhook_endpoint.disabled',
    ]);
  });
});

describe('without WEBHOOK_ALLOW_HTTP_LOOPBACK', () => {
  let strict: TestApp;
  let admin: string;
  beforeAll(async () => {
    strict = await startTestApp();
    const rootOfStrict = await rootToken(strict.request);
    admin = (await createOrg(strict.request, rootOfStrict, unique('Strict'))).tokens.ADMIN;
  });
  afterAll(() => strict?.close());

  it('http: is refused even to loopback, and https: to loopback too; with NODE_ENV=test no name resolves (no real DNS)', async () => {
    const post = (url: string) => strict.request('POST', '/api/v1/webhooks', { token: admin, body: { url, events: ['reservation.created'] } });
    expectUrlRefused(await post(hookUrl), 'SCHEME_NOT_ALLOWED');
    expectUrlRefused(await post('https://127.0.0.1/hook'), 'ADDRESS_NOT_ALLOWED');
    expectUrlRefused(await post('https://2130706433/hook'), 'ADDRESS_NOT_ALLOWED');
    expectUrlRefused(await post('https://[::1]/hook'), 'ADDRESS_NOT_ALLOWED');
    expectUrlRefused(await post('https://localhost/hook'), 'UNRESOLVABLE');
    expect((await strict.sql.query('select count(*)::int as n from webhook_endpoints')).rows[0].n).toBe(0);
  });
});
