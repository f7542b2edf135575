import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { Client } from 'pg';
import { laneOf } from '../../src/shared/transactions/authorization-lanes';
import { httpClient } from '../helpers/http';
import { checkIntegrity, INTACT } from '../helpers/ledger-check';
import { blockedBy, backendPid, closeLockClients, holdAuthorizationRow, lockClient, lockWaiters, waitUntil } from '../helpers/lock-gates';
import { expectAgreeing, unitAccounts } from '../helpers/unit-accounts';
import { createAuthorization, createOrg, rootToken } from '../helpers/world';
import { ServiceProcess, startService, systemDatabase } from './service-process';

interface Answer {
  status?: number;
  body?: any;
  replayed?: string;
  error?: string;
  /** Whether the service process had already exited when the answer arrived. */
  exitedBefore: boolean;
}

/** One reservation on its own connection; answered, or the socket's error. */
function reserve(base: string, authorizationId: string, token: string, exited: () => boolean, key?: string): Promise<Answer> {
  return new Promise((done) => {
    const body = JSON.stringify({ units: 2 });
    const req = httpRequest(`${base}/api/v1/authorizations/${authorizationId}/reservations`, {
      method: 'POST',
      agent: false,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        authorization: `Bearer ${token}`,
        ...(key ? { 'idempotency-key': key } : {}),
      },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => done({ status: res.statusCode, body: JSON.parse(text), replayed: res.headers['idempotent-replayed'] as string | undefined, exitedBefore: exited() }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => done({ error: error.code ?? error.message, exitedBefore: exited() }));
    req.end(body);
  });
}

/** Whether anything listens on `port` (read from /proc, so that looking opens no connection: the drain waits for connections to stop arriving). */
function listening(port: number): boolean {
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state === '0A' && local && parseInt(local.split(':').pop()!, 16) === port) return true;
    }
  }
  return false;
}

/**
 * SIGTERM with work in flight (main.ts: grace period, then 503s until connections stop arriving,
 * the listener closes, requests in flight finish, the pool closes, exit 0). Reservations — some
 * with an Idempotency-Key — are held *inside their transaction* by a row lock taken on a separate
 * connection, across the end of the grace period and the closing of the listener; the lock is let
 * go only then. Every 201 must reach its client and be in the database, the process must exit 0
 * only after that, and a keyed retry sent to another instance must replay the stored answer —
 * both one sent while the first attempt was still in flight and ones sent after.
 */
describe('graceful shutdown with reservations inside their transactions', () => {
  const services: ServiceProcess[] = [];
  const clients: Client[] = [];
  // Also when an expectation failed half-way: no lock left held, no instance left running.
  afterEach(async () => {
    await closeLockClients();
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await Promise.all(services.map((s) => s.stop('SIGKILL')));
  });

  it('answers every reservation in flight after the listener has closed, exits 0 only then; keyed retries on another instance replay', async () => {
    const databaseUrl = await systemDatabase();
    const graceMs = 1000;
    const a = await startService({ DATABASE_URL: databaseUrl, SHUTDOWN_GRACE_MS: String(graceMs), LOG_LEVEL: 'warn' });
    services.push(a);
    const b = await startService({ DATABASE_URL: databaseUrl, SHUTDOWN_GRACE_MS: '0', LOG_LEVEL: 'warn' });
    services.push(b);
    let aExited = false;
    void a.exited.then(() => (aExited = true));
    const exited = () => aExited;
    const request = httpClient(a.base);
    const org = await createOrg(request, await rootToken(request));
    const token = org.tokens.PRACTITIONER;
    // x: the reservations under test. y: in the same lane of the instance, to keep that lane busy.
    const x = await createAuthorization(request, org.tokens.ADMIN, { totalUnits: 100 });
    let y = await createAuthorization(request, org.tokens.ADMIN, { totalUnits: 100 });
    while (laneOf(y.id) !== laneOf(x.id)) y = await createAuthorization(request, org.tokens.ADMIN, { totalUnits: 100 });

    const sql = new Client({ connectionString: databaseUrl });
    clients.push(sql);
    await sql.connect();
    const holdX = await lockClient(databaseUrl);
    const holdY = await lockClient(databaseUrl);
    const xPid = await backendPid(holdX);
    const releaseX = await holdAuthorizationRow(holdX, x.id);
    const releaseY = await holdAuthorizationRow(holdY, y.id);

    // The lane is busy: a reservation on y waits inside its transaction.
    const plug = reserve(a.base, y.id, token, exited);
    await waitUntil('the reservation on y waits at its row lock', async () => (await lockWaiters(sql)).length === 1);
    // Six reservations on x queue up behind it in the lane, three of them keyed.
    const keys = ['in-flight-1', undefined, 'in-flight-3', undefined, 'in-flight-5', undefined];
    const inFlight = keys.map((key) => reserve(a.base, x.id, token, exited, key));

    a.child.kill('SIGTERM');
    await waitUntil('readiness says 503', async () => (await request('GET', '/health/ready')).status === 503, 5_000);
    // The reservation on y commits (answered during the grace period); the lane moves on to the
    // reservations on x, which now wait inside their transaction for x's row.
    await releaseY();
    const plugged = await plug;
    await waitUntil("the reservations on x wait inside their transaction for x's row", async () => (await blockedBy(sql, xPid)).length === 1);
    // A client that gave up on its first attempt retries with the same key on the other instance:
    // that transaction waits for the advisory lock of the one still in flight.
    const early = reserve(b.base, x.id, token, () => false, 'in-flight-1');
    await waitUntil('the retry on the other instance waits for the advisory lock', async () => (await lockWaiters(sql)).length === 2);

    // The grace period ends and the listener closes while they wait.
    const port = Number(new URL(a.base).port);
    await waitUntil('the listener is closed', () => !listening(port), graceMs + 10_000);
    const stillWaiting = (await lockWaiters(sql)).length;
    const exitCodeWhileHeld = a.child.exitCode;
    const settled = await Promise.race([Promise.all(inFlight).then(() => 'answered'), new Promise((r) => setImmediate(() => r('pending')))]);
    await releaseX();
    const answers = await Promise.all(inFlight);
    const exitCode = await a.exited;
    const earlyRetry = await early;

    expect(plugged).toMatchObject({ status: 201, exitedBefore: false });
    // Every reservation in flight was answered 201 on its connection, before the process exited; then exit 0.
    expect(answers.map((r) => [r.status ?? r.error, r.exitedBefore])).toEqual(keys.map(() => [201, false]));
    expect(exitCode).toBe(0);
    // …and they were still in flight, the process still running, when the listener had closed.
    expect(stillWaiting).toBe(2);
    expect(settled).toBe('pending');
    expect(exitCodeWhileHeld).toBeNull();

    // Keyed retries on the other instance replay the stored answer: the one in flight meanwhile, and later ones.
    expect(earlyRetry).toMatchObject({ status: 201, replayed: 'true', body: answers[0].body });
    for (const i of [0, 2, 4]) {
      const retry = await reserve(b.base, x.id, token, () => false, keys[i]);
      expect(retry).toMatchObject({ status: 201, replayed: 'true', body: answers[i].body });
    }

    // Every 201 is in the database, and nothing else.
    const { rows } = await sql.query('select id, created_at from reservations where authorization_id = $1 order by id', [x.id]);
    expect(rows.map((r) => r.id)).toEqual(answers.map((r) => r.body.reservation.id).sort());
    // Several of them were inside one transaction when the listener closed (one batch: one creation instant).
    const batches = new Set(rows.map((r) => r.created_at.toISOString())).size;
    expect(batches).toBeLessThan(keys.length);
    expectAgreeing(await unitAccounts(sql, x.id), { used: 0, scheduled: 12 });
    expectAgreeing(await unitAccounts(sql, y.id), { used: 0, scheduled: 2 });
    expect(await checkIntegrity(sql)).toEqual(INTACT);

    expect(await b.stop()).toBe(0);
  });
});
