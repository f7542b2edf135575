import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateWebhookSecret, signatureHeader } from '../src/webhooks/webhook-signature';
import { startTestApp, TestApp } from './helpers/test-app';
import { createAuthorization, createOrg, login, OrgWorld, PASSWORD, rootToken } from './helpers/world';
import { freePort, stopChild } from './support/processes.cjs';

/**
 * The runnable examples of SPEC §11 (docs/examples/follow-feed.mjs and webhook-receiver.mjs), run
 * as a client runs them against the real service: what the docs show is what the service does. The
 * receiver is tested alone (signed with the service's own signatureHeader) and as a registered
 * webhook that the delivery engine POSTs to (WEBHOOK_ALLOW_HTTP_LOOPBACK=true, 127.0.0.1 only).
 * Waits are on the examples' own output or exit, never on a timer.
 */
const EXAMPLES = join(__dirname, '..', 'docs', 'examples');

let t: TestApp;
let org: OrgWorld;
let admin: { email: string; token: string };
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  t = await startTestApp({ WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true', WEBHOOK_POLL_INTERVAL_MS: '100' });
  const root = await rootToken(t.request);
  org = await createOrg(t.request, root);
  // An ADMIN whose email and password the example is given (createOrg's users are logged in already).
  const email = `feed-admin-${randomBytes(4).toString('hex')}@example.com`;
  const user = await t.request('POST', '/api/v1/users', { token: root, body: { email, password: PASSWORD, role: 'ADMIN', organizationId: org.id } });
  expect(user.status).toBe(201);
  admin = { email, token: await login(t.request, email, PASSWORD) };
  dir = mkdtempSync(join(tmpdir(), 'unit-ledger-docs-events-'));
});

afterAll(async () => {
  for (const child of children) await stopChild(child, 5000);
  rmSync(dir, { recursive: true, force: true });
  await t.close();
});

interface Item {
  id: string;
  type: string;
  occurredAt: string;
}

/** The organization's whole feed, read directly (pages of 100 until a short one). */
async function feed(after?: string): Promise<Item[]> {
  const items: Item[] = [];
  for (let cursor = after; ; ) {
    const res = await t.request('GET', `/api/v1/events?limit=100${cursor ? `&after=${encodeURIComponent(cursor)}` : ''}`, { token: org.tokens.VIEWER });
    expect(res.status).toBe(200);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
    if (res.body.items.length < 100) return items;
  }
}
const lines = (items: Item[]) => items.map((e) => `${e.occurredAt} ${e.type} ${e.id}\n`).join('');

function runFollowFeed(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(EXAMPLES, 'follow-feed.mjs'), '--until-caught-up'], { env: { ...process.env, BASE: t.base, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts webhook-receiver.mjs; `waitFor(text)` resolves once its stdout contains text (or rejects if it exits first). */
async function startReceiver(secret: string, port: number) {
  const child = spawn(process.execPath, [join(EXAMPLES, 'webhook-receiver.mjs')], { env: { ...process.env, WEBHOOK_SECRET: secret, PORT: String(port) } });
  children.push(child);
  let stdout = '';
  let stderr = '';
  let exited = false;
  const waiters: Array<() => void> = [];
  child.stdout!.on('data', (chunk) => {
    stdout += chunk;
    waiters.splice(0).forEach((wake) => wake());
  });
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  child.on('exit', () => {
    exited = true;
    waiters.splice(0).forEach((wake) => wake());
  });
  const waitFor = async (text: string) => {
    while (!stdout.includes(text)) {
      if (exited) throw new Error(`webhook-receiver.mjs exited; stdout: ${stdout} stderr: ${stderr}`);
      await new Promise<void>((wake) => waiters.push(wake));
    }
  };
  await waitFor(`listening on http://127.0.0.1:${port}\n`);
  return { child, waitFor, output: () => ({ stdout, stderr }) };
}

describe('docs/examples/follow-feed.mjs', () => {
  it('prints every event of the organization once, oldest first, stores the cursor, and resumes from it', async () => {
    // Events: two authorizations (authorization.created) and a reservation (reservation.created).
    const first = await createAuthorization(t.request, admin.token, { totalUnits: 40 });
    await createAuthorization(t.request, admin.token, { totalUnits: 10 });
    const reserve = await t.request('POST', `/api/v1/authorizations/${first.id}/reservations`, { token: org.tokens.PRACTITIONER, body: { units: 4 } });
    expect(reserve.status).toBe(201);
    const before = await feed();
    expect(before.map((e) => e.type)).toEqual(['authorization.created', 'authorization.created', 'reservation.created']);

    // Logged in with email and password, 2 events a page: pages of 2 and 1 (short: caught up).
    const cursorFile = join(dir, 'a.cursor');
    const env = { EMAIL: admin.email, PASSWORD, CURSOR_FILE: cursorFile, LIMIT: '2' };
    let run = await runFollowFeed(env);
    expect(run).toEqual({ code: 0, stdout: lines(before), stderr: '' });
    const stored = readFileSync(cursorFile, 'utf8');
    expect(await feed(stored)).toEqual([]); // the stored cursor is past every event printed

    // New events: only they are printed on the next run; a run with nothing new prints nothing.
    const consume = await t.request('POST', `/api/v1/reservations/${reserve.body.reservation.id}/consume`, { token: org.tokens.PRACTITIONER, body: { units: 4 } });
    expect(consume.status).toBe(200);
    await createAuthorization(t.request, admin.token, { totalUnits: 5 });
    const added = await feed(stored);
    expect(added.map((e) => e.type)).toEqual(['reservation.consumed', 'authorization.created']);
    run = await runFollowFeed(env);
    expect(run).toEqual({ code: 0, stdout: lines(added), stderr: '' });
    run = await runFollowFeed(env);
    expect(run).toEqual({ code: 0, stdout: '', stderr: '' });

    // With an API key (machine client) and a page size the events fill exactly (5 = 1 page + an empty one).
    const key = await t.request('POST', '/api/v1/api-keys', { token: admin.token, body: { name: 'feed follower', role: 'VIEWER' } });
    expect(key.status).toBe(201);
    run = await runFollowFeed({ API_KEY: key.body.key, CURSOR_FILE: join(dir, 'b.cursor'), LIMIT: '5' });
    expect(run).toEqual({ code: 0, stdout: lines([...before, ...added]), stderr: '' });
    expect(readFileSync(join(dir, 'b.cursor'), 'utf8')).toBe(readFileSync(cursorFile, 'utf8'));
  });

  it('a refused call (PRACTITIONER: 403) stops it with the answer, printing no event', async () => {
    const email = `feed-practitioner-${randomBytes(4).toString('hex')}@example.com`;
    const root = await rootToken(t.request);
    expect((await t.request('POST', '/api/v1/users', { token: root, body: { email, password: PASSWORD, role: 'PRACTITIONER', organizationId: org.id } })).status).toBe(201);
    const run = await runFollowFeed({ EMAIL: email, PASSWORD, CURSOR_FILE: join(dir, 'c.cursor') });
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 1, stdout: '' });
    expect(run.stderr).toContain('GET /events: 403');
  });
});

describe('docs/examples/webhook-receiver.mjs', () => {
  it('answers 204 to a correctly signed delivery (once per event id), 400 to a tampered, stale, unsigned or wrongly signed one', async () => {
    const secret = generateWebhookSecret();
    const port = await freePort();
    const receiver = await startReceiver(secret, port);
    const now = () => Math.floor(Date.now() / 1000);
    const body = (id: string) => JSON.stringify({ id, type: 'reservation.created', organizationId: org.id, occurredAt: new Date().toISOString(), data: { units: 4 } });
    const post = async (raw: string, signature?: string, method = 'POST') => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (signature !== undefined) headers['unit-ledger-signature'] = signature;
      return (await fetch(`http://127.0.0.1:${port}/hook`, { method, headers, body: method === 'POST' ? raw : undefined })).status;
    };

    const one = body('evt-1');
    expect(await post(one, signatureHeader(secret, now(), one))).toBe(204);
    expect(await post(one, signatureHeader(secret, now(), one))).toBe(204); // a redelivery: accepted, handled once
    const tampered = one.replace('"units":4', '"units":40');
    const refused = {
      tampered: await post(tampered, signatureHeader(secret, now(), one)),
      'other secret': await post(one, signatureHeader(generateWebhookSecret(), now(), one)),
      'stale (301 s old)': await post(one, signatureHeader(secret, now() - 301, one)),
      'from the future (301 s)': await post(one, signatureHeader(secret, now() + 301, one)),
      unsigned: await post(one),
      'empty header': await post(one, ''),
      'no v1': await post(one, `t=${now()}`),
      'v1 not hex': await post(one, `t=${now()},v1=${'z'.repeat(64)}`),
      'short v1': await post(one, signatureHeader(secret, now(), one).slice(0, -2)),
      GET: await post('', signatureHeader(secret, now(), ''), 'GET'),
    };
    expect(refused).toEqual(Object.fromEntries(Object.keys(refused).map((k) => [k, 400])));
    // A rotated secret: several v1 values, one of them right.
    const two = body('evt-2');
    const right = signatureHeader(secret, now(), two);
    expect(await post(two, `${right.split(',')[0]},v1=${'0'.repeat(64)},${right.split(',')[1]}`)).toBe(204);

    await receiver.waitFor('verified reservation.created evt-2\n');
    expect(receiver.output()).toEqual({
      stdout: `listening on http://127.0.0.1:${port}\nverified reservation.created evt-1\nverified reservation.created evt-2\n`,
      stderr: '',
    });
  });

  it('receives, verifies and prints the event the service delivers to it as a registered webhook', async () => {
    const port = await freePort();
    const registered = await t.request('POST', '/api/v1/webhooks', {
      token: org.tokens.ADMIN,
      body: { url: `http://127.0.0.1:${port}/unit-ledger`, events: ['authorization.created'], description: 'docs example receiver' },
    });
    expect(registered.status).toBe(201);
    const receiver = await startReceiver(registered.body.secret, port);
    const created = await createAuthorization(t.request, admin.token, { totalUnits: 7 });
    const event = (await feed()).find((e) => e.type === 'authorization.created' && (e as Item & { data: { id: string } }).data.id === created.id)!;
    expect(event).toBeDefined();

    await receiver.waitFor(`verified authorization.created ${event.id}\n`);
    expect(receiver.output()).toEqual({ stdout: `listening on http://127.0.0.1:${port}\nverified authorization.created ${event.id}\n`, stderr: '' });
  });
});
