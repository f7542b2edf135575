// SPEC §11 "Webhooks", delivery (issue 15 point 3, and the metrics of point 7): the dispatcher fans
// each event out to one delivery per enabled subscribed endpoint, the worker POSTs it signed to a
// REAL receiver on 127.0.0.1 (WEBHOOK_ALLOW_HTTP_LOOPBACK=true; no other address is ever used),
// retries with the backoff, gives up, disables an endpoint after 24 h of failure. The engine is
// driven by runOnce() (the apps poll only once a day here) and its time is the WebhookClock
// provider, moved by the tests: nothing sleeps.
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { expectStatus, factories } from './helpers/routes';
import { startTestApp, TestApp } from './helpers/test-app';
import { waitUntil } from './helpers/lock-gates';
import { createOrg, metrics, metricValue, OrgWorld, rootToken } from './helpers/world';
import { WebhookClock } from '../src/webhooks/webhook-clock';
import { WebhookDeliveryLoop } from '../src/webhooks/webhook-delivery-loop.service';
import { WebhookDispatcher } from '../src/webhooks/webhook-dispatcher.service';
import { AttemptOutcome, LEASE_MS, WebhookWorker } from '../src/webhooks/webhook-worker.service';
import { verifySignature } from '../src/webhooks/webhook-signature';
import { WEBHOOK_DISABLE_AFTER_MS } from '../src/webhooks/webhook-backoff';

const MAX_ATTEMPTS = 4;
const ENV = { WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true', WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS), WEBHOOK_POLL_INTERVAL_MS: '86400000' };
/** The jitter source of every app here: the wait after attempt n is then exactly 0.75 × 2^(n-1) s. */
const RANDOM = 0.5;
const waitAfter = (attempt: number) => Math.round(0.75 * Math.min(3_600_000, 1000 * 2 ** (attempt - 1)));

// ---- The receiver: one server on 127.0.0.1; each endpoint has its own path and behaviour. ----

interface Hit {
  path: string;
  eventId: string;
  eventType: string;
  attempt: number;
  verdict: string;
  body: any;
}
/** What the receiver does with a request: answer a status, or hold it (the test answers later, or never). */
type Plan = (hit: Hit) => number | 'hold';
interface Held {
  hit: Hit;
  res: ServerResponse;
}

let receiver: Server;
let receiverBase: string;
const hits: Hit[] = [];
const plans = new Map<string, Plan>();
const secrets = new Map<string, string>();
const held: Held[] = [];
let onHold: ((h: Held) => void) | undefined;

function receive(req: IncomingMessage, res: ServerResponse) {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks);
    const path = req.url ?? '';
    const verdict = verifySignature(req.headers['unit-ledger-signature'] as string | undefined, secrets.get(path) ?? 'unknown', raw);
    let body: any;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      body = undefined;
    }
    const hit: Hit = {
      path,
      eventId: String(req.headers['unit-ledger-event-id']),
      eventType: String(req.headers['unit-ledger-event-type']),
      attempt: Number(req.headers['unit-ledger-delivery-attempt']),
      verdict: verdict.ok ? 'ok' : verdict.reason,
      body,
    };
    hits.push(hit);
    const answer = (plans.get(path) ?? (() => 204))(hit);
    if (answer === 'hold') {
      const h = { hit, res };
      held.push(h);
      onHold?.(h);
      return;
    }
    res.writeHead(answer, { 'content-type': 'text/plain' }).end('ok');
  });
}

/** The next request the receiver holds. */
const nextHold = () => new Promise<Held>((resolve) => (onHold = (h) => ((onHold = undefined), resolve(h))));
const hitsOf = (path: string) => hits.filter((h) => h.path === path);
/** Receiver hits per (event, attempt): every value must be 1. */
function hitsPerAttempt(path: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const h of hitsOf(path)) counts.set(`${h.eventId}#${h.attempt}`, (counts.get(`${h.eventId}#${h.attempt}`) ?? 0) + 1);
  return counts;
}

// ---- Apps, clocks ----

let t: TestApp;
let root: string;
let clockMs = Date.parse('2030-01-01T00:00:00.000Z');
const apps: TestApp[] = [];

/** Every app's WebhookClock answers the test's clock and jitter. */
function pinClock(app: TestApp) {
  const clock = app.app.get(WebhookClock);
  jest.spyOn(clock, 'now').mockImplementation(() => new Date(clockMs));
  jest.spyOn(clock, 'random').mockImplementation(() => RANDOM);
}
async function startApp(databaseUrl?: string, env: Record<string, string> = {}): Promise<TestApp> {
  const app = await startTestApp({ ...ENV, ...env }, databaseUrl);
  pinClock(app);
  apps.push(app);
  return app;
}
const loopOf = (app: TestApp) => app.app.get(WebhookDeliveryLoop);
const dispatch = (app = t) => app.app.get(WebhookDispatcher).runOnce();
const work = (app = t): Promise<AttemptOutcome[]> => app.app.get(WebhookWorker).runOnce();
/** Dispatcher then worker passes until a worker pass has nothing to do (at most 20). */
async function drain(app = t): Promise<AttemptOutcome[]> {
  const all: AttemptOutcome[] = [];
  for (let i = 0; i < 20; i++) {
    await dispatch(app);
    const outcomes = await work(app);
    if (outcomes.length === 0) return all;
    all.push(...outcomes);
  }
  throw new Error('the engine did not settle in 20 passes');
}

let n = 0;
/** An endpoint of `org` on its own receiver path, with its plan. */
async function endpoint(org: OrgWorld, events: string[], plan: Plan = () => 204) {
  const path = `/hook/${++n}`;
  plans.set(path, plan);
  const res = await t.request('POST', '/api/v1/webhooks', { token: org.tokens.ADMIN, body: { url: `${receiverBase}${path}`, events } });
  expectStatus(res, 201);
  secrets.set(path, res.body.secret);
  return { id: res.body.id as string, path, secret: res.body.secret as string };
}

const deliveryRows = async (endpointId: string) =>
  (await t.sql.query('select d.*, d.event_id::text as event_id from webhook_deliveries d where endpoint_id = $1 order by id', [endpointId])).rows;
const endpointRow = async (id: string) => (await t.sql.query('select * from webhook_endpoints where id = $1', [id])).rows[0];
const eventsOf = async (organizationId: string) =>
  (
    await t.sql.query(
      `select id, type, organization_id as "organizationId", to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "occurredAt", data
       from events where organization_id = $1 order by xid, seq`,
      [organizationId],
    )
  ).rows;

beforeAll(async () => {
  receiver = createServer(receive);
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverBase = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  t = await startApp();
  root = await rootToken(t.request);
});

afterAll(async () => {
  for (const h of held) h.res.destroy();
  for (const app of apps.slice(1).reverse()) await app.close({ integrity: false }).catch(() => undefined);
  await t?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

describe('Fan-out and delivery', () => {
  it('every subscribed event is POSTed once, signed, with its headers and body; other types and other organizations get nothing', async () => {
    const org = await createOrg(t.request, root);
    const other = await createOrg(t.request, root);
    const hook = await endpoint(org, ['reservation.created', 'authorization.created']);
    const released = await endpoint(org, ['reservation.released']);
    const make = factories(t.request, org);
    await make.reservation(4);
    await make.reservation(3);
    await factories(t.request, other).reservation(2);
    const before = await metrics(t.request);

    const outcomes = await drain();

    const subscribed = (await eventsOf(org.id)).filter((e) => ['reservation.created', 'authorization.created'].includes(e.type));
    expect(subscribed.map((e) => e.type).sort()).toEqual(['authorization.created', 'authorization.created', 'reservation.created', 'reservation.created']);
    expect(outcomes).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
    const got = hitsOf(hook.path);
    expect(got).toHaveLength(4);
    expect(got.map((h) => h.eventId).sort()).toEqual(subscribed.map((e) => e.id).sort());
    for (const h of got) {
      const event = subscribed.find((e) => e.id === h.eventId)!;
      expect(h).toEqual({ path: hook.path, eventId: event.id, eventType: event.type, attempt: 1, verdict: 'ok', body: event });
    }
    expect(hitsOf(released.path)).toEqual([]);
    expect(await deliveryRows(released.id)).toEqual([]);

    // The delivery log (ADMIN of the organization), oldest first, paged.
    const page1 = await t.request('GET', `/api/v1/webhooks/${hook.id}/deliveries?limit=3`, { token: org.tokens.ADMIN });
    expectStatus(page1, 200);
    expect(page1.body.items).toHaveLength(3);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await t.request('GET', `/api/v1/webhooks/${hook.id}/deliveries?limit=3&cursor=${page1.body.nextCursor}`, { token: org.tokens.ADMIN });
    expectStatus(page2, 200);
    expect(page2.body.nextCursor).toBeNull();
    const log = [...page1.body.items, ...page2.body.items];
    expect(log.map((d: any) => d.eventId).sort()).toEqual(subscribed.map((e) => e.id).sort());
    for (const d of log) {
      expect(d).toEqual({
        id: expect.any(Number),
        eventId: expect.any(String),
        eventType: subscribed.find((e) => e.id === d.eventId)!.type,
        status: 'DELIVERED',
        attempts: 1,
        lastAttemptAt: new Date(clockMs).toISOString(),
        lastStatusCode: 204,
        lastError: null,
        nextAttemptAt: null,
        deliveredAt: new Date(clockMs).toISOString(),
        createdAt: expect.any(String),
      });
    }
    // Another organization's ADMIN: 404, and nothing about the endpoint.
    const foreign = await t.request('GET', `/api/v1/webhooks/${hook.id}/deliveries`, { token: other.tokens.ADMIN });
    expectStatus(foreign, 404);
    expect((await t.request('GET', `/api/v1/webhooks/${hook.id}/deliveries`, { token: org.tokens.VIEWER })).status).toBe(403);
    expect((await t.request('GET', `/api/v1/webhooks/${hook.id}/deliveries?cursor=@@`, { token: org.tokens.ADMIN })).status).toBe(400);

    const after = await metrics(t.request);
    expect(metricValue(after, 'webhook_deliveries_total', { outcome: 'delivered' }) - metricValue(before, 'webhook_deliveries_total', { outcome: 'delivered' })).toBe(4);
    expect(metricValue(after, 'webhook_delivery_lag_seconds_count') - metricValue(before, 'webhook_delivery_lag_seconds_count')).toBe(4);
    expect(metricValue(after, 'outbox_pending_events')).toBe(0);

    // Nothing more to do: another pass delivers nothing again.
    expect(await drain()).toEqual([]);
    expect(hitsOf(hook.path)).toHaveLength(4);
  });

  it('retries follow the backoff (1 s doubling, the fixed jitter): each attempt only once due; failingSince set on the first failure, cleared by the success', async () => {
    const org = await createOrg(t.request, root);
    const hook = await endpoint(org, ['authorization.created'], (hit) => (hit.attempt < 3 ? 500 : 200));
    await factories(t.request, org).authorization();
    const t0 = clockMs;

    expect(await drain()).toEqual(['failed']);
    let [row] = await deliveryRows(hook.id);
    expect(row).toMatchObject({ status: 'PENDING', attempts: 1, last_status_code: 500, last_error: 'HTTP 500', lease_until: null });
    expect(row.next_attempt_at.getTime()).toBe(t0 + waitAfter(1));
    expect((await endpointRow(hook.id)).failing_since.getTime()).toBe(t0);

    // Not due a millisecond early.
    clockMs = t0 + waitAfter(1) - 1;
    expect(await drain()).toEqual([]);
    clockMs = t0 + waitAfter(1);
    expect(await drain()).toEqual(['failed']);
    [row] = await deliveryRows(hook.id);
    expect(row).toMatchObject({ status: 'PENDING', attempts: 2 });
    expect(row.next_attempt_at.getTime()).toBe(clockMs + waitAfter(2));

    clockMs += waitAfter(2);
    expect(await drain()).toEqual(['delivered']);
    [row] = await deliveryRows(hook.id);
    expect(row).toMatchObject({ status: 'DELIVERED', attempts: 3, last_status_code: 200, last_error: null });
    expect(row.delivered_at.getTime()).toBe(clockMs);
    expect((await endpointRow(hook.id)).failing_since).toBeNull();
    expect([...hitsPerAttempt(hook.path).entries()]).toEqual([1, 2, 3].map((a) => [`${row.event_id}#${a}`, 1]));
    expect(hitsOf(hook.path).every((h) => h.verdict === 'ok')).toBe(true);
  });

  it(`gives up after WEBHOOK_MAX_ATTEMPTS (${MAX_ATTEMPTS}): FAILED, no more attempts, the endpoint stays enabled`, async () => {
    const org = await createOrg(t.request, root);
    const hook = await endpoint(org, ['authorization.created'], () => 503);
    await factories(t.request, org).authorization();
    const before = await metrics(t.request);
    const outcomes: AttemptOutcome[] = [];
    outcomes.push(...(await drain()));
    for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
      const [row] = await deliveryRows(hook.id);
      expect(row.next_attempt_at.getTime()).toBe(row.last_attempt_at.getTime() + waitAfter(attempt));
      clockMs = row.next_attempt_at.getTime();
      outcomes.push(...(await drain()));
    }
    expect(outcomes).toEqual(['failed', 'failed', 'failed', 'gave_up']);
    const [row] = await deliveryRows(hook.id);
    expect(row).toMatchObject({ status: 'FAILED', attempts: MAX_ATTEMPTS, last_status_code: 503 });
    const log = await t.request('GET', `/api/v1/webhooks/${hook.id}/deliveries`, { token: org.tokens.ADMIN });
    expect(log.body.items).toEqual([expect.objectContaining({ status: 'FAILED', attempts: MAX_ATTEMPTS, lastStatusCode: 503, lastError: 'HTTP 503', nextAttemptAt: null, deliveredAt: null })]);
    clockMs += 10 * 3_600_000;
    expect(await drain()).toEqual([]);
    expect(hitsOf(hook.path)).toHaveLength(MAX_ATTEMPTS);
    expect(await endpointRow(hook.id)).toMatchObject({ enabled: true, disabled_reason: null });
    const after = await metrics(t.request);
    const delta = (outcome: string) => metricValue(after, 'webhook_deliveries_total', { outcome }) - metricValue(before, 'webhook_deliveries_total', { outcome });
    expect([delta('failed'), delta('gave_up'), delta('delivered')]).toEqual([MAX_ATTEMPTS - 1, 1, 0]);
  });

  it('an endpoint failing for 24 h is disabled, with a webhook_endpoint.disabled event in the feed (delivered to a subscriber); its pending deliveries stop', async () => {
    const org = await createOrg(t.request, root);
    const failing = await endpoint(org, ['authorization.created'], () => 500);
    const watcher = await endpoint(org, ['webhook_endpoint.disabled']);
    const make = factories(t.request, org);
    await make.authorization();
    const t0 = clockMs;
    expect(await drain()).toEqual(['failed']);
    expect((await endpointRow(failing.id)).failing_since.getTime()).toBe(t0);

    // 24 h later (a millisecond short: still only a failure), a new event, and it fails too.
    clockMs = t0 + WEBHOOK_DISABLE_AFTER_MS - 1;
    await make.authorization();
    expect(await drain()).toEqual(['failed', 'failed']);
    expect((await endpointRow(failing.id)).enabled).toBe(true);
    clockMs = t0 + WEBHOOK_DISABLE_AFTER_MS;
    await make.authorization();
    const outcomes = await drain();
    // The first attempt to fail from now on disables the endpoint; the watcher then hears of it.
    expect(outcomes).toEqual(['disabled', 'delivered']);
    const endpointNow = await endpointRow(failing.id);
    expect(endpointNow).toMatchObject({ enabled: false, disabled_reason: expect.stringContaining('24 h') });
    expect((await deliveryRows(failing.id)).map((d) => d.status)).toEqual(['FAILED', 'FAILED', 'FAILED']);

    const feed = await t.request('GET', '/api/v1/events?limit=100', { token: org.tokens.ADMIN });
    expectStatus(feed, 200);
    const disabledEvents = feed.body.items.filter((e: any) => e.type === 'webhook_endpoint.disabled');
    expect(disabledEvents).toEqual([
      expect.objectContaining({ type: 'webhook_endpoint.disabled', organizationId: org.id, data: expect.objectContaining({ id: failing.id, enabled: false, url: `${receiverBase}${failing.path}` }) }),
    ]);
    const [notice] = hitsOf(watcher.path);
    expect(notice).toMatchObject({ eventType: 'webhook_endpoint.disabled', eventId: disabledEvents[0].id, verdict: 'ok', attempt: 1 });
    expect(notice.body.data.id).toBe(failing.id);
    expect(notice.body.data).not.toHaveProperty('secret');

    // A disabled endpoint gets nothing: neither new events nor attempts.
    const before = hitsOf(failing.path).length;
    await make.authorization();
    clockMs += 2 * 3_600_000;
    expect(await drain()).toEqual([]);
    expect(hitsOf(failing.path)).toHaveLength(before);
    expect(await deliveryRows(failing.id)).toHaveLength(3);
  });

  it('a disabled endpoint gets nothing: no delivery for events while it is disabled, no attempt for one made before', async () => {
    const org = await createOrg(t.request, root);
    const hook = await endpoint(org, ['authorization.created']);
    const make = factories(t.request, org);
    await make.authorization();
    await dispatch();
    expect(await deliveryRows(hook.id)).toHaveLength(1);
    expectStatus(await t.request('PATCH', `/api/v1/webhooks/${hook.id}`, { token: org.tokens.ADMIN, body: { enabled: false } }), 200);
    await make.authorization();
    expect(await drain()).toEqual([]);
    expect(hitsOf(hook.path)).toEqual([]);
    expect((await deliveryRows(hook.id)).map((d) => [d.status, d.attempts])).toEqual([['PENDING', 0]]);
    // Enabled again: the delivery made before is delivered; the event of the disabled time is not.
    expectStatus(await t.request('PATCH', `/api/v1/webhooks/${hook.id}`, { token: org.tokens.ADMIN, body: { enabled: true } }), 200);
    expect(await drain()).toEqual(['delivered']);
    expect(hitsOf(hook.path)).toHaveLength(1);
  });

  it('the URL is checked again before each attempt: one that no longer passes is refused (no request made), and retried like a failure', async () => {
    const org = await createOrg(t.request, root);
    const hook = await endpoint(org, ['authorization.created']);
    await factories(t.request, org).authorization();
    // As if its name now resolved to a private address: the stored URL is one the policy refuses.
    await t.sql.query(`update webhook_endpoints set url = 'http://10.1.2.3/hook' where id = $1`, [hook.id]);
    const before = await metrics(t.request);
    expect(await drain()).toEqual(['refused']);
    const [row] = await deliveryRows(hook.id);
    expect(row).toMatchObject({ status: 'PENDING', attempts: 1, last_status_code: null, last_error: expect.stringMatching(/^URL refused \(/) });
    expect(row.next_attempt_at.getTime()).toBe(clockMs + waitAfter(1));
    expect(hitsOf(hook.path)).toEqual([]);
    const after = await metrics(t.request);
    expect(metricValue(after, 'webhook_deliveries_total', { outcome: 'refused' }) - metricValue(before, 'webhook_deliveries_total', { outcome: 'refused' })).toBe(1);
    await t.sql.query('update webhook_endpoints set url = $2 where id = $1', [hook.id, `${receiverBase}${hook.path}`]);
    clockMs = row.next_attempt_at.getTime();
    expect(await drain()).toEqual(['delivered']);
    expect(hitsOf(hook.path).map((h) => [h.attempt, h.verdict])).toEqual([[2, 'ok']]);
  });

  it('events nobody subscribes to cause no dispatch write (the cursor stays, no transaction id taken); an endpoint registered later does not get them', async () => {
    const org = await createOrg(t.request, root);
    await drain();
    const cursor = async () => (await t.sql.query('select xid::text, seq, updated_at from webhook_dispatch_cursor')).rows;
    const before = await cursor();
    await factories(t.request, org).reservation(2);
    expect(await dispatch()).toEqual({ events: 0, deliveries: 0 });
    expect(await cursor()).toEqual(before);
    const late = await endpoint(org, ['authorization.created', 'reservation.created']);
    expect(await drain()).toEqual([]);
    expect(await deliveryRows(late.id)).toEqual([]);
    // Its next event moves the cursor past the earlier ones too, and only the new event is delivered.
    await factories(t.request, org).authorization();
    expect(await drain()).toEqual(['delivered']);
    expect(await cursor()).not.toEqual(before);
    expect(hitsOf(late.path).map((h) => h.eventType)).toEqual(['authorization.created']);
  });

  it('an answer later than 10 s is a failure (ETIMEDOUT); the retry is delivered', async () => {
    const org = await createOrg(t.request, root);
    const hook = await endpoint(org, ['authorization.created'], (hit) => (hit.attempt === 1 ? 'hold' : 200));
    await factories(t.request, org).authorization();
    expect(await drain()).toEqual(['failed']);
    const [row] = await deliveryRows(hook.id);
    expect(row).toMatchObject({ status: 'PENDING', attempts: 1, last_status_code: null, last_error: 'ETIMEDOUT' });
    held.find((h) => h.hit.path === hook.path)!.res.destroy();
    clockMs = row.next_attempt_at.getTime();
    expect(await drain()).toEqual(['delivered']);
    expect([...hitsPerAttempt(hook.path).values()]).toEqual([1, 1]);
  }, 30_000);

  it('an event written by a transaction still open is not dispatched until it ends (outbox_pending_events counts the committed one held back behind it), and none after it is skipped', async () => {
    const org = await createOrg(t.request, root);
    const hook = await endpoint(org, ['authorization.created']);
    const open = new Client({ connectionString: t.databaseUrl });
    await open.connect();
    try {
      await open.query('begin');
      await open.query(
        `insert into events (id, type, organization_id, data) values (gen_random_uuid(), 'authorization.created', $1, '{"held": true}'::jsonb)`,
        [org.id],
      );
      await factories(t.request, org).authorization();
      await dispatch();
      const text = await metrics(t.request);
      expect(metricValue(text, 'outbox_pending_events')).toBe(1);
      expect(await deliveryRows(hook.id)).toEqual([]);
      await open.query('commit');
    } finally {
      await open.end();
    }
    expect(await drain()).toEqual(['delivered', 'delivered']);
    expect(hitsOf(hook.path).map((h) => h.body.data.held ?? false)).toEqual([true, false]);
    expect(metricValue(await metrics(t.request), 'outbox_pending_events')).toBe(0);
  });
});

describe('Several instances, restarts, connection cuts', () => {
  it('two instances on one database running concurrently never make the same attempt twice; every event is delivered', async () => {
    const second = await startApp(t.databaseUrl);
    const org = await createOrg(t.request, root);
    // Every other event's first attempt is refused.
    const hook = await endpoint(org, ['authorization.created', 'reservation.created'], (hit) => (hit.attempt === 1 && hit.eventId.charCodeAt(hit.eventId.length - 1) % 2 === 0 ? 500 : 200));
    const make = factories(t.request, org);
    await Promise.all(Array.from({ length: 15 }, () => make.reservation(1)));
    const events = (await eventsOf(org.id)).filter((e) => ['authorization.created', 'reservation.created'].includes(e.type));
    expect(events).toHaveLength(30);

    for (let round = 0; round < 10; round++) {
      await Promise.all([loopOf(t).runOnce(), loopOf(second).runOnce(), loopOf(t).runOnce(), loopOf(second).runOnce()]);
      clockMs += 60_000;
    }
    const rows = await deliveryRows(hook.id);
    expect(rows).toHaveLength(30);
    expect(rows.every((r) => r.status === 'DELIVERED')).toBe(true);
    const counts = hitsPerAttempt(hook.path);
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
    const refusedFirst = events.filter((e) => e.id.charCodeAt(e.id.length - 1) % 2 === 0).length;
    expect(hitsOf(hook.path)).toHaveLength(30 + refusedFirst);
    for (const r of rows) expect(r.attempts).toBe(events.find((e) => e.id === r.event_id)!.id.charCodeAt(35) % 2 === 0 ? 2 : 1);
    expect(new Set(hitsOf(hook.path).filter((h) => h.verdict === 'ok').map((h) => h.eventId))).toEqual(new Set(events.map((e) => e.id)));
  });

  it('an instance that stops mid-delivery: its lease runs out, a newly started instance delivers, the late answer to the old one changes nothing', async () => {
    const org = await createOrg(t.request, root);
    const hook = await endpoint(org, ['authorization.created'], (hit) => (hit.attempt === 1 ? 'hold' : 200));
    const old = await startApp(t.databaseUrl);
    await factories(t.request, org).authorization();
    await dispatch(old);
    const arrived = nextHold();
    const oldAttempt = work(old);
    const first = await arrived;
    // The old instance is stuck in its attempt (as if it had died); a new instance starts.
    const fresh = await startApp(t.databaseUrl);
    expect(await work(fresh)).toEqual([]); // the lease still holds
    clockMs += LEASE_MS + 1;
    expect(await work(fresh)).toEqual(['delivered']);
    let [row] = await deliveryRows(hook.id);
    expect(row).toMatchObject({ status: 'DELIVERED', attempts: 2, last_status_code: 200 });
    // The old attempt's answer arrives at last (a 500): it was superseded, nothing changes.
    first.res.writeHead(500).end();
    expect(await oldAttempt).toEqual(['superseded']);
    await old.close({ integrity: false });
    [row] = await deliveryRows(hook.id);
    expect(row).toMatchObject({ status: 'DELIVERED', attempts: 2, last_status_code: 200, last_error: null });
    expect([...hitsPerAttempt(hook.path).entries()]).toEqual([
      [`${row.event_id}#1`, 1],
      [`${row.event_id}#2`, 1],
    ]);
    expect((await endpointRow(hook.id)).failing_since).toBeNull();
  });

  it('the app closed while an attempt is under way: the attempt finishes first, and a new app delivers what is left', async () => {
    const org = await createOrg(t.request, root);
    const hook = await endpoint(org, ['authorization.created'], (hit) => (hit.attempt === 1 ? 'hold' : 200));
    const app = await startApp(t.databaseUrl);
    await factories(t.request, org).authorization();
    await dispatch(app);
    const arrived = nextHold();
    const pass = loopOf(app).runOnce();
    const first = await arrived;
    const closing = app.close({ integrity: false });
    // Closing waits for the attempt under way: the receiver answers 502, the result is written.
    first.res.writeHead(502).end();
    await pass;
    await closing;
    let [row] = await deliveryRows(hook.id);
    expect(row).toMatchObject({ status: 'PENDING', attempts: 1, last_status_code: 502, lease_until: null });
    const next = await startApp(t.databaseUrl);
    clockMs = row.next_attempt_at.getTime();
    expect(await drain(next)).toEqual(['delivered']);
    [row] = await deliveryRows(hook.id);
    expect(row).toMatchObject({ status: 'DELIVERED', attempts: 2 });
  });

  it("deliveries survive a cut of every PostgreSQL connection of the app (pg_terminate_backend): the engine recovers and delivers", async () => {
    const org = await createOrg(t.request, root);
    const hook = await endpoint(org, ['authorization.created'], (hit) => (hit.attempt === 1 ? 'hold' : 200));
    await factories(t.request, org).authorization();
    await dispatch();
    const arrived = nextHold();
    const pass = work();
    const first = await arrived;
    // While the POST is under way, every connection of the app is cut.
    const testPid = (await t.sql.query('select pg_backend_pid() as pid')).rows[0].pid;
    const cut = await t.sql.query(
      'select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = current_database() and pid not in (pg_backend_pid(), $1)',
      [testPid],
    );
    expect(cut.rows[0].n).toBeGreaterThan(0);
    first.res.writeHead(200).end();
    await pass; // its result may or may not have been written, depending on the pool's next connection
    // The engine recovers: further passes (after the lease) deliver, whatever the cut broke.
    let delivered = false;
    for (let i = 0; i < 5 && !delivered; i++) {
      clockMs += LEASE_MS + 1;
      await loopOf(t).runOnce().catch(() => undefined);
      delivered = (await deliveryRows(hook.id).catch(() => []))[0]?.status === 'DELIVERED';
    }
    expect(delivered).toBe(true);
    expect(hitsOf(hook.path).every((h) => h.verdict === 'ok')).toBe(true);
    expect([...hitsPerAttempt(hook.path).values()].every((c) => c === 1)).toBe(true);
  });

  it('on its own, every WEBHOOK_POLL_INTERVAL_MS, an instance dispatches and delivers (no runOnce call), and closes cleanly', async () => {
    const org = await createOrg(t.request, root);
    let heard!: () => void;
    const arrived = new Promise<void>((resolve) => (heard = resolve));
    const hook = await endpoint(org, ['authorization.created'], () => (heard(), 200));
    const polling = await startApp(t.databaseUrl, { WEBHOOK_POLL_INTERVAL_MS: '50' });
    await factories(t.request, org).authorization();
    await arrived;
    await waitUntil('the delivery is recorded', async () => (await deliveryRows(hook.id))[0]?.status === 'DELIVERED');
    await polling.close({ integrity: false });
    expect(hitsOf(hook.path)).toHaveLength(1);
    expect((await deliveryRows(hook.id))[0]).toMatchObject({ status: 'DELIVERED', attempts: 1 });
  });
});
