import { request as httpRequest } from 'node:http';
import { Client } from 'pg';
import { httpClient } from '../helpers/http';
import { checkIntegrity, INTACT } from '../helpers/ledger-check';
import { createAuthorization, createOrg, rootToken } from '../helpers/world';
import { startService, systemDatabase } from './service-process';

interface Sent {
  status?: number;
  error?: string;
  sentAt: number;
}

/** One request on its own connection (Connection: close). */
function reserve(base: string, path: string, token: string): Promise<Sent> {
  const sentAt = Date.now();
  return new Promise((done) => {
    const body = JSON.stringify({ units: 1 });
    const req = httpRequest(`${base}${path}`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}`, connection: 'close' },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => done({ status: res.statusCode, sentAt }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => done({ error: error.code ?? error.message, sentAt }));
    req.end(body);
  });
}

describe('graceful shutdown on SIGTERM under load', () => {
  it('answers 503 on readiness at once, serves through the grace period, then turns requests away; nothing in flight fails; exit 0', async () => {
    const databaseUrl = await systemDatabase();
    const graceMs = 1500;
    const service = await startService({ DATABASE_URL: databaseUrl, SHUTDOWN_GRACE_MS: String(graceMs), LOG_LEVEL: 'warn' });
    const request = httpClient(service.base);
    const org = await createOrg(request, await rootToken(request));
    const auth = await createAuthorization(request, org.tokens.ADMIN, { totalUnits: 1_000_000 });
    const path = `/api/v1/authorizations/${auth.id}/reservations`;

    // 8 clients in a closed loop until the service turns them away.
    const results: Sent[] = [];
    let signalledAt = Infinity;
    const clients = Array.from({ length: 8 }, async () => {
      for (;;) {
        const sent = await reserve(service.base, path, org.tokens.PRACTITIONER);
        results.push(sent);
        if (sent.error || sent.status === 503) return;
      }
    });
    while (results.length < 200) await new Promise((r) => setTimeout(r, 10));

    service.child.kill('SIGTERM');
    signalledAt = Date.now();
    // The signal arrives asynchronously: readiness must flip within moments, long before the grace ends.
    let readyDuringGrace = await request('GET', '/health/ready');
    while (readyDuringGrace.status === 200 && Date.now() - signalledAt < graceMs) readyDuringGrace = await request('GET', '/health/ready');
    const notReadyAfterMs = Date.now() - signalledAt;
    const liveDuringGrace = await request('GET', '/health/live');
    await Promise.all(clients);
    const exitCode = await service.exited;

    expect(readyDuringGrace.status).toBe(503);
    expect(notReadyAfterMs).toBeLessThan(250);
    expect(readyDuringGrace.body.code).toBe('NOT_READY');
    expect(liveDuringGrace.status).toBe(200);
    expect(exitCode).toBe(0);

    const created = results.filter((r) => r.status === 201);
    const turnedAway = results.filter((r) => r.status === 503);
    // Every answer was a success until the grace period ended; then each client got one 503 (or,
    // on a machine stalled for longer than the drain's quiet period, a refused connection).
    expect(results.filter((r) => r.status !== 201 && r.status !== 503 && r.error !== 'ECONNREFUSED')).toEqual([]);
    expect(turnedAway.length + results.filter((r) => r.error).length).toBe(8);
    // Served while not ready any more, during the grace period.
    expect(created.filter((r) => r.sentAt >= signalledAt + notReadyAfterMs).length).toBeGreaterThan(0);
    // Turned away after the grace period, give or take the few milliseconds between the client's
    // clock reading and the request reaching the server.
    expect(Math.min(...turnedAway.map((r) => r.sentAt - signalledAt))).toBeGreaterThanOrEqual(graceMs - 50);

    // Every 201 the clients saw is in the database, and nothing else.
    const sql = new Client({ connectionString: databaseUrl });
    await sql.connect();
    const { rows } = await sql.query('select count(*)::int as n from reservations where authorization_id = $1', [auth.id]);
    expect(rows[0].n).toBe(created.length);
    expect(await checkIntegrity(sql)).toEqual(INTACT);
    await sql.end();
  });
});
