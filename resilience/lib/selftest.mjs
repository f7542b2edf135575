// Is the checker trustworthy? Feed it doctored databases and histories and see that it
// reports each one. Every database change is made inside a transaction that is rolled back
// (triggers switched off with session_replication_role = replica, a CHECK dropped where the
// case needs it — DDL is transactional in PostgreSQL), so the real data are never touched.
import crypto from 'node:crypto';
import pg from 'pg';
import { checkHistory, loadSnapshot } from './checker.mjs';

const clone = (x) => structuredClone(x);

function pickAcked(records, op, pred = () => true) {
  return records.find((r) => r.op === op && r.replayOf === undefined && r.outcome === 'ack' && pred(r));
}

/** An acknowledged reserve on an authorization with room to spare (forged rows must pass the CHECKs). */
function pickRoomy(records) {
  const rec = pickAcked(records, 'reserve', (r) => r.final.body.authorization.totalUnits >= 1000 && r.body.serviceCode === undefined);
  if (!rec) throw new Error('no acknowledged reserve on a large authorization');
  return rec;
}

/** Inserts a reservation and its RESERVE entry by hand, counters and after-values consistent. */
async function forgeReservation(q, { authorizationId, reference, createdBy, units = 1 }) {
  const id = crypto.randomUUID();
  const [a] = await q(`update authorizations set scheduled_units = scheduled_units + $2 where id = $1
                       returning total_units, used_units, scheduled_units, organization_id`, [authorizationId, units]);
  const [line] = await q(`update authorization_lines set scheduled_units = scheduled_units + $2
                          where id = (select id from authorization_lines where authorization_id = $1 order by id limit 1) returning id`, [authorizationId, units]);
  await q(`insert into reservations (id, authorization_id, organization_id, line_id, units, service_date, reference, status, consumed_units, created_by)
           values ($1, $2, $3, $7, $4, current_date, $5, 'SCHEDULED', 0, $6)`, [id, authorizationId, a.organization_id, units, reference, createdBy, line.id]);
  await q(`insert into ledger_entries (authorization_id, reservation_id, line_id, service_date, type, units, total_after, used_after, scheduled_after, actor_id)
           values ($1, $2, $8, current_date, 'RESERVE', $3, $4, $5, $6, $7)`, [authorizationId, id, units, a.total_units, a.used_units, a.scheduled_units, createdBy, line.id]);
  return id;
}

/** The cases: each doctors the database (sql) and/or the history (history) and names the checks that must fire. */
export function selfTestCases() {
  return [
    {
      name: 'duplicate RESERVE ledger row inserted by hand',
      expect: ['acknowledged-exactly-once', 'ledger-reconciles'],
      async sql(q, records) {
        const rec = pickAcked(records, 'reserve');
        const id = rec.final.body.reservation.id;
        await q(`insert into ledger_entries (authorization_id, reservation_id, line_id, service_date, type, units, total_after, used_after, scheduled_after, actor_id)
                 select authorization_id, reservation_id, line_id, service_date, type, units, total_after, used_after, scheduled_after, actor_id
                   from ledger_entries where reservation_id = $1 and type = 'RESERVE'`, [id]);
      },
    },
    {
      name: '2xx reserve whose reservation is not in the database',
      expect: ['acknowledged-exactly-once'],
      history(records) {
        const rec = clone(pickAcked(records, 'reserve'));
        rec.id = records.length;
        rec.key = `${rec.key}-forged`;
        rec.body = { ...rec.body, reference: rec.key };
        rec.final.body.reservation.id = crypto.randomUUID();
        records.push(rec);
      },
    },
    {
      name: 'reservation (row, ledger, counters) inserted by hand, no request',
      expect: ['nothing-unexplained'],
      async sql(q, records) {
        const rec = pickRoomy(records);
        await forgeReservation(q, { authorizationId: rec.authorizationId, reference: 'forged-by-hand', createdBy: rec.userId });
      },
    },
    {
      name: 'request of unknown outcome applied twice (one key, two reservations)',
      expect: ['unknown-at-most-once'],
      history(records) {
        const rec = pickRoomy(records);
        rec.attempts = [{ instance: 'A', t0: rec.startedAt, t1: rec.startedAt, status: 0, error: 'socket hang up (doctored)' }];
        rec.outcome = 'unknown';
        rec.final = null;
        this.key = rec.key;
        this.rec = rec;
      },
      async sql(q) {
        await forgeReservation(q, { authorizationId: this.rec.authorizationId, reference: this.key, createdBy: this.rec.userId, units: this.rec.body.units });
      },
    },
    {
      name: 'acknowledged reserve applied a second time (one key, two reservations)',
      expect: ['acknowledged-exactly-once'],
      async sql(q, records) {
        const rec = pickRoomy(records);
        await forgeReservation(q, { authorizationId: rec.authorizationId, reference: rec.key, createdBy: rec.userId, units: rec.body.units });
      },
    },
    {
      name: 'counter drift (scheduled_units + 1, ledger unchanged)',
      expect: ['ledger-reconciles'],
      async sql(q, records) {
        const rec = pickRoomy(records);
        await q(`update authorizations set scheduled_units = scheduled_units + 1 where id = $1`, [rec.authorizationId]);
      },
    },
    {
      name: 'overbooked authorization (CHECK constraint dropped)',
      expect: ['invariant'],
      async sql(q) {
        await q(`alter table authorizations drop constraint authorizations_no_overbooking`);
        await q(`update authorizations set used_units = total_units - scheduled_units + 1 where id = (select id from authorizations order by total_units limit 1)`);
      },
    },
    {
      name: '2xx release whose reservation is not RELEASED',
      expect: ['acknowledged-exactly-once'],
      async history(records) {
        const rec = clone(pickAcked(records, 'reserve'));
        const reservationId = rec.final.body.reservation.id;
        rec.id = records.length;
        rec.op = 'release';
        rec.key = `${rec.key}-forged-release`;
        rec.path = `/api/v1/reservations/${reservationId}/release`;
        rec.body = undefined;
        rec.reservationId = reservationId;
        rec.final.status = 200;
        rec.final.body.reservation.status = 'RELEASED';
        this.reservationId = reservationId;
        records.push(rec);
      },
      async sql(q) {
        // Make sure the database says something else than RELEASED.
        await q(`update reservations set status = 'SCHEDULED' where id = $1 and status = 'RELEASED'`, [this.reservationId]);
      },
    },
    {
      name: 'a 500 answer in the history',
      expect: ['no-500'],
      history(records) {
        const rec = clone(records.find((r) => r.attempts.length > 0));
        rec.id = records.length;
        rec.key = `${rec.key}-500`;
        rec.attempts.push({ instance: 'A', t0: 0, t1: 0, status: 500, code: 'INTERNAL_ERROR' });
        records.push(rec);
      },
    },
    {
      name: 'hostile reserve (unstorable expiresAt) that was not refused by validation',
      expect: ['expected-answers'],
      history(records) {
        pickAcked(records, 'reserve').hostile = true;
      },
    },
    {
      name: 'release applied with no request (status, ledger, counters by hand)',
      expect: ['nothing-unexplained'],
      async sql(q, records) {
        const finished = new Set(records.filter((r) => r.op !== 'reserve').map((r) => r.reservationId));
        const rows = await q(`select id, authorization_id, units, line_id, service_date from reservations where status = 'SCHEDULED' and expires_at is null`);
        const row = rows.find((r) => !finished.has(r.id));
        if (!row) throw new Error('no SCHEDULED reservation without requests to doctor');
        await q(`update reservations set status = 'RELEASED' where id = $1`, [row.id]);
        const [a] = await q(`update authorizations set scheduled_units = scheduled_units - $2 where id = $1 returning total_units, used_units, scheduled_units`, [row.authorization_id, row.units]);
        await q(`update authorization_lines set scheduled_units = scheduled_units - $2 where id = $1`, [row.line_id, row.units]);
        await q(`insert into ledger_entries (authorization_id, reservation_id, line_id, service_date, type, units, total_after, used_after, scheduled_after)
                 values ($1, $2, $7, $8, 'RELEASE', $3, $4, $5, $6)`, [row.authorization_id, row.id, row.units, a.total_units, a.used_units, a.scheduled_units, row.line_id, row.service_date]);
      },
    },
    {
      name: 'refused reserve (409) that is in the database',
      expect: ['nothing-unexplained'],
      history(records) {
        const rec = pickAcked(records, 'reserve');
        rec.final = { status: 409, code: 'INSUFFICIENT_UNITS', body: { statusCode: 409, code: 'INSUFFICIENT_UNITS' } };
        rec.attempts.at(-1).status = 409;
        rec.attempts.at(-1).code = 'INSUFFICIENT_UNITS';
        rec.outcome = 'rejected';
      },
    },
    {
      name: 'replay answered with another body',
      expect: ['idempotent-replays'],
      history(records) {
        const orig = pickAcked(records, 'reserve');
        const rec = clone(orig);
        rec.id = records.length;
        rec.replayOf = orig.id;
        rec.final.replayed = true;
        rec.final.body.authorization.scheduledUnits += 1;
        records.push(rec);
      },
    },
    {
      name: 'second EXPIRE entry for an expired reservation',
      expect: ['expiry-exactly-once'],
      async sql(q) {
        const [e] = await q(`select l.* from ledger_entries l join reservations r on r.id = l.reservation_id where l.type = 'EXPIRE' limit 1`);
        if (!e) throw new Error('no EXPIRE entry to duplicate');
        await q(`insert into ledger_entries (authorization_id, reservation_id, line_id, service_date, type, units, total_after, used_after, scheduled_after)
                 values ($1, $2, $7, $8, 'EXPIRE', $3, $4, $5, $6)`, [e.authorization_id, e.reservation_id, e.units, e.total_after, e.used_after, e.scheduled_after, e.line_id, e.service_date]);
      },
    },
    {
      name: 'pending expiry left behind for a finished reservation, and one for no reservation',
      expect: ['expiry-exactly-once'],
      async sql(q) {
        const [r] = await q(`select id from reservations where status <> 'SCHEDULED' limit 1`);
        if (!r) throw new Error('no finished reservation');
        await q(`insert into reservation_expiries (reservation_id, expires_at) values ($1, now()), ($2, now())`, [r.id, crypto.randomUUID()]);
      },
    },
    {
      name: 'stored idempotent answer missing for a 2xx',
      expect: ['acknowledged-exactly-once'],
      async sql(q, records) {
        const rec = pickAcked(records, 'consume') ?? pickAcked(records, 'reserve');
        await q(`delete from idempotency_keys where user_id = $1 and key = $2`, [rec.userId, rec.key]);
      },
    },
    // ---- SPEC §10: lines, buckets, moves, scheduling by patient ----
    {
      name: 'line counter corrupted (scheduled_units + 1 on a line, by hand)',
      expect: ['lineLedgerMismatches', 'rollUpMismatches'],
      async sql(q) {
        const [l] = await q(`select l.id from authorization_lines l join authorizations a on a.id = l.authorization_id where a.service_code is null and l.total_units > l.used_units + l.scheduled_units order by l.id limit 1`);
        if (!l) throw new Error('no line of a two-line authorization with room');
        await q(`update authorization_lines set scheduled_units = scheduled_units + 1 where id = $1`, [l.id]);
      },
    },
    {
      name: 'overbooked line (its CHECK constraint dropped)',
      expect: ['lineInvariantViolations'],
      async sql(q) {
        await q(`alter table authorization_lines drop constraint authorization_lines_no_overbooking`);
        await q(`update authorization_lines set used_units = total_units - scheduled_units + 1 where id = (select id from authorization_lines where sole_of is null order by total_units limit 1)`);
      },
    },
    {
      name: 'cap bucket counter corrupted (scheduled_units + 1, by hand)',
      expect: ['bucketMismatches'],
      async sql(q) {
        const [b] = await q(`select cap_id, period_start from cap_buckets where used_units + scheduled_units < cap_units order by cap_id, period_start limit 1`);
        if (!b) throw new Error('no cap bucket with room');
        await q(`update cap_buckets set scheduled_units = scheduled_units + 1 where cap_id = $1 and period_start = $2`, [b.cap_id, b.period_start]);
      },
    },
    {
      name: 'overbooked cap bucket (its CHECK constraint dropped)',
      expect: ['bucketInvariantViolations', 'bucketMismatches'],
      async sql(q) {
        await q(`alter table cap_buckets drop constraint cap_buckets_within_cap`);
        const [b] = await q(`select cap_id, period_start from cap_buckets order by cap_id, period_start limit 1`);
        if (!b) throw new Error('no cap bucket');
        await q(`update cap_buckets set used_units = cap_units - scheduled_units + 1 where cap_id = $1 and period_start = $2`, [b.cap_id, b.period_start]);
      },
    },
    {
      name: 'cap bucket counting against other units than its cap (cap_units + 5, by hand)',
      expect: ['bucketInvariantViolations'],
      async sql(q) {
        await q(`update cap_buckets set cap_units = cap_units + 5 where (cap_id, period_start) = (select cap_id, period_start from cap_buckets order by cap_id, period_start limit 1)`);
      },
    },
    {
      name: 'units held for a period with no bucket (a bucket deleted by hand)',
      expect: ['bucketMismatches'],
      async sql(q) {
        const [b] = await q(`select cap_id, period_start from cap_buckets where scheduled_units + used_units > 0 order by cap_id, period_start limit 1`);
        if (!b) throw new Error('no cap bucket holding units');
        await q(`delete from cap_buckets where cap_id = $1 and period_start = $2`, [b.cap_id, b.period_start]);
      },
    },
    {
      name: 'move applied with no request (revision + 1, date + 1 day, RELEASE + RESERVE by hand)',
      expect: ['moves-and-scheduling'],
      async sql(q, records) {
        const touched = new Set(records.filter((r) => r.reservationId).map((r) => r.reservationId));
        const rows = await q(`select r.id, r.authorization_id, r.line_id, r.units, r.service_date::text as service_date from reservations r
                              join authorizations a on a.id = r.authorization_id
                              where r.status = 'SCHEDULED' and r.expires_at is null and a.service_code is not null`);
        const row = rows.find((r) => !touched.has(r.id));
        if (!row) throw new Error('no SCHEDULED reservation without requests to move');
        const [a] = await q(`select total_units, used_units, scheduled_units from authorizations where id = $1`, [row.authorization_id]);
        await q(`update reservations set revision = revision + 1, service_date = service_date + 1 where id = $1`, [row.id]);
        await q(`insert into ledger_entries (authorization_id, reservation_id, line_id, service_date, type, units, total_after, used_after, scheduled_after)
                 values ($1, $2, $3, $4::date, 'RELEASE', $5::int, $6::int, $7::int, $8::int - $5::int), ($1, $2, $3, $4::date + 1, 'RESERVE', $5::int, $6::int, $7::int, $8::int)`,
        [row.authorization_id, row.id, row.line_id, row.service_date, row.units, a.total_units, a.used_units, a.scheduled_units]);
      },
    },
    {
      name: 'reservation marked moved (revision + 1 by hand) without the RELEASE + RESERVE entries of a move',
      expect: ['reservationLedgerMismatches', 'ledger-reconciles'],
      async sql(q) {
        const [r] = await q(`select id from reservations where status = 'SCHEDULED' and revision = 0 order by id limit 1`);
        if (!r) throw new Error('no SCHEDULED reservation');
        await q(`update reservations set revision = revision + 1 where id = $1`, [r.id]);
      },
    },
    {
      name: 'acknowledged move that is not in the database',
      expect: ['moves-and-scheduling'],
      history(records) {
        const orig = pickAcked(records, 'move');
        if (!orig) throw new Error('no acknowledged move');
        const rec = clone(orig);
        rec.id = records.length;
        rec.key = `${rec.key}-forged-move`;
        rec.startedAt = rec.endedAt = Math.max(...records.map((r) => r.endedAt ?? 0)) + 1;
        rec.body = { serviceDate: '2099-01-01' };
        rec.final.body.reservation.serviceDate = '2099-01-01';
        records.push(rec);
      },
    },
    {
      name: 'acknowledged scheduling by patient landed on another patient\u2019s authorization',
      expect: ['moves-and-scheduling', 'nothing-unexplained'],
      history(records) {
        const rec = pickAcked(records, 'schedule');
        if (!rec) throw new Error('no acknowledged scheduling by patient');
        rec.body = { ...rec.body, patientId: `${rec.body.patientId}-someone-else` };
      },
    },
    {
      name: 'consumed units differ from the acknowledged consume',
      expect: ['acknowledged-exactly-once'],
      async sql(q, records) {
        const rec = pickAcked(records, 'consume', (r) => r.final.body.reservation.consumedUnits > 0);
        if (!rec) throw new Error('no acknowledged consume of at least 1 unit');
        await q(`update reservations set consumed_units = consumed_units - 1 where id = $1`, [rec.reservationId]);
      },
    },
  ];
}

/**
 * Runs the baseline (no doctoring: must be clean or at least stable) and every case; a case
 * passes when each check it names reports more violations than in the baseline.
 */
export async function runSelfTest({ databaseUrl, records, seedAuthorizations, log = () => {} }) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const q = async (text, params) => (await client.query(text, params)).rows;
  const evaluate = async (doctor) => {
    const recs = clone(records);
    await client.query('begin');
    try {
      await client.query(`set local session_replication_role = replica`);
      await doctor?.(recs);
      const snapshot = await loadSnapshot(q);
      return checkHistory({ records: recs, snapshot, seedAuthorizations, expiryGraceMs: 1e12 });
    } finally {
      await client.query('rollback');
    }
  };
  try {
    const baseline = await evaluate();
    const base = Object.fromEntries(Object.entries(baseline.checks).map(([n, c]) => [n, c.violations.length]));
    const results = [];
    for (const c of selfTestCases()) {
      const ctx = {};
      let res;
      let error = null;
      try {
        res = await evaluate(async (recs) => {
          if (c.history) await c.history.call(ctx, recs);
          if (c.sql) await c.sql.call(ctx, q, recs);
        });
      } catch (e) {
        error = e.message;
      }
      const fired = res ? Object.entries(res.checks).filter(([n, ch]) => ch.violations.length > base[n]).map(([n]) => n) : [];
      const detected = !error && c.expect.every((n) => fired.includes(n));
      const example = res ? c.expect.map((n) => res.checks[n].violations.at(-1)?.message).filter(Boolean)[0] : undefined;
      results.push({ name: c.name, expect: c.expect, fired, detected, error, example });
      log(`  self-test ${detected ? 'detected' : 'MISSED  '}: ${c.name}${error ? ` (error: ${error})` : ''} → ${fired.join(', ') || 'nothing'}`);
    }
    return { baselineViolations: baseline.violations, results, passed: results.every((r) => r.detected) };
  } finally {
    await client.end();
  }
}
