import { Client } from 'pg';
import { httpClient } from '../helpers/http';
import { checkIntegrity, INTACT } from '../helpers/ledger-check';
import { createAuthorization, createOrg, rootToken } from '../helpers/world';
import { startService, systemDatabase } from './service-process';

const ROUNDS = 10;
const CLIENTS = 8;
const EVERY_MS = 10;
const GRACE_MS = 1500;

interface Outcome {
  sentAt: number;
  status?: number;
  code?: string;
  connection?: string | null;
  retryAfter?: string | null;
  error?: string;
}

/** undici (Node's fetch) reports the socket-level reason as the cause of its TypeError. */
const reasonOf = (error: unknown) => {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? String(error);
};

/**
 * Clients that keep their connections alive, as real clients and load balancers do. A socket the
 * server closes while a request is on its way breaks that request, and for a POST the client
 * cannot know whether it was applied. Over ten rollouts no request may break: every request is
 * answered (201 during the grace period, with Connection: close; then 503 NOT_READY, nothing
 * done) or its connection is refused once the listener is closed.
 */
describe(`graceful shutdown with ${CLIENTS} keep-alive clients, one request every ${EVERY_MS} ms each`, () => {
  it(`breaks no request over ${ROUNDS} SIGTERMs`, async () => {
    const databaseUrl = await systemDatabase();
    const broken: string[] = [];
    const unexpectedAnswers: string[] = [];
    let created = 0;
    let servedDuringGrace = 0;
    let clientsTurnedAway = 0;

    for (let round = 1; round <= ROUNDS; round++) {
      const service = await startService({ DATABASE_URL: databaseUrl, SHUTDOWN_GRACE_MS: String(GRACE_MS), LOG_LEVEL: 'warn' });
      const request = httpClient(service.base);
      const org = await createOrg(request, await rootToken(request));
      const auth = await createAuthorization(request, org.tokens.ADMIN, { totalUnits: 1_000_000 });
      const url = `${service.base}/api/v1/authorizations/${auth.id}/reservations`;
      const init = { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${org.tokens.PRACTITIONER}` }, body: '{"units":1}' };

      const outcomes: Outcome[] = [];
      const client = async () => {
        for (;;) {
          const sentAt = Date.now();
          const outcome: Outcome = await fetch(url, init).then(
            async (res) => ({
              sentAt,
              status: res.status,
              code: ((await res.json()) as { code?: string }).code,
              connection: res.headers.get('connection'),
              retryAfter: res.headers.get('retry-after'),
            }),
            (error: unknown) => ({ sentAt, error: reasonOf(error) }),
          );
          outcomes.push(outcome);
          // Turned away or refused: a client goes elsewhere.
          if (outcome.error || outcome.status === 503) return;
          await new Promise((r) => setTimeout(r, EVERY_MS));
        }
      };
      const clients = Array.from({ length: CLIENTS }, client);
      while (outcomes.length < 100) await new Promise((r) => setTimeout(r, EVERY_MS));
      service.child.kill('SIGTERM');
      const signalledAt = Date.now();
      await Promise.all(clients);
      const exitCode = await service.exited;
      if (exitCode !== 0) broken.push(`round ${round}: exit code ${exitCode}`);

      for (const o of outcomes) {
        const after = o.sentAt - signalledAt;
        const where = `round ${round}, ${after} ms after SIGTERM`;
        if (o.error === 'ECONNREFUSED') clientsTurnedAway++;
        else if (o.error) broken.push(`${where}: ${o.error}`);
        else if (o.status === 201) {
          created++;
          // Well inside the grace period (the signal takes moments to arrive), no socket is kept.
          if (after > 200) {
            servedDuringGrace++;
            if (o.connection !== 'close') unexpectedAnswers.push(`${where}: 201 with Connection: ${o.connection}`);
          }
        } else if (o.status === 503 && o.code === 'NOT_READY' && o.retryAfter === '1' && o.connection === 'close' && after >= GRACE_MS - 50) clientsTurnedAway++;
        else unexpectedAnswers.push(`${where}: ${o.status} ${o.code} Retry-After ${o.retryAfter} Connection ${o.connection}`);
      }
    }

    expect({ broken, unexpectedAnswers }).toEqual({ broken: [], unexpectedAnswers: [] });
    expect(servedDuringGrace).toBeGreaterThan(ROUNDS * CLIENTS);
    // Every client ended on exactly one 503 or refusal, in every round.
    expect(clientsTurnedAway).toBe(ROUNDS * CLIENTS);
    const sql = new Client({ connectionString: databaseUrl });
    await sql.connect();
    try {
      const { rows } = await sql.query('select count(*)::int as n from reservations');
      expect(rows[0].n).toBe(created);
      expect(await checkIntegrity(sql)).toEqual(INTACT);
    } finally {
      await sql.end();
    }
  }, 300_000);
});
