// The history checker: verifies a recorded client history against the database itself
// (read directly with `pg`, in one REPEATABLE READ snapshot), independently of the service's
// code. Every check returns its violations; a run passes only with zero everywhere.
//
// What ties a row to a request: every reserve sends `reference` = its Idempotency-Key, so each
// reservation row names the request that created it (and `created_by` its user); release and
// consume name their reservation in the path. The service's own idempotency table is only
// compared with, never relied on.
import pg from 'pg';

export const CHECKS = {
  'no-500': 'no request ever got a 5xx other than 503',
  'expected-answers': 'every answer is an expected one: 201/200, 409 of the operation, 503 with a known code; no 4xx of another kind; a hostile request (unstorable expiresAt) 400 VALIDATION_FAILED naming expiresAt',
  invariant: 'used + scheduled <= total, used >= 0, scheduled >= 0 for every authorization',
  'ledger-reconciles': 'counters = ledger sums = reservation sums; after-values chain; each reservation\u2019s ledger matches its status',
  'acknowledged-exactly-once': 'every 2xx operation is in the database exactly once and as answered; answer stored',
  'nothing-unexplained': 'every reservation row, status change and ledger entry was caused by a request that was not refused',
  'unknown-at-most-once': 'requests of unknown outcome (retried with their key or abandoned) applied at most once; one key, at most one reservation',
  'idempotent-replays': 'every repeat of a key got the first answer again, marked Idempotent-Replayed, equal to the stored answer',
  'expiry-exactly-once': 'every reservation past its expiresAt left SCHEDULED; each EXPIRED one has exactly one EXPIRE entry, not before expiresAt; exactly the SCHEDULED ones with an expiresAt are pending expiry (reservation_expiries)',
  'moves-and-scheduling': 'every move of a reservation (its RELEASE+RESERVE pairs) was asked by a move request not refused, each at most once; every acknowledged move applied once, in the order acknowledged, and the reservation kept its units/date unless a later move changed them; every scheduling by patient on an authorization of that patient, with a matching line',
  // SPEC §10, the SQL checks of test/helpers/ledger-check.ts (same names), each row a violation:
  lineInvariantViolations: 'every line: used + scheduled <= total, both >= 0',
  bucketInvariantViolations: 'every cap bucket: used + scheduled <= cap_units, both >= 0, cap_units/period/authorization those of its cap',
  rollUpMismatches: 'every authorization: counters and lines_total_units = sums over its lines; total = pool or lines total',
  lineLedgerMismatches: 'every line: counters = its reservations (SCHEDULED units, consumed units) = the ledger entries naming it',
  bucketMismatches: 'every cap bucket = the SCHEDULED and consumed units of its cap\u2019s reservations in its period (week start of the organization); no period holding units without a bucket',
  reservationLedgerMismatches: 'every reservation: its ledger entries are one RESERVE+RELEASE pair of the same units per move (revision), then RESERVE naming its current line and date, then what its status implies',
};

const EXPECTED_REJECTIONS = {
  reserve: new Set(['INSUFFICIENT_UNITS', 'PERIOD_CAP_EXCEEDED']),
  schedule: new Set(['NO_AUTHORIZATION_AVAILABLE']),
  move: new Set(['INSUFFICIENT_UNITS', 'PERIOD_CAP_EXCEEDED', 'RESERVATION_NOT_SCHEDULED']),
  release: new Set(['RESERVATION_NOT_SCHEDULED']),
  consume: new Set(['RESERVATION_NOT_SCHEDULED']),
};
const OK_STATUS = { reserve: 201, schedule: 201, move: 200, release: 200, consume: 200 };
/** Operations that create a reservation (reference = key). */
const CREATES = new Set(['reserve', 'schedule']);
const CODES_503 = new Set(['DATABASE_UNAVAILABLE', 'NOT_READY', 'CONTENTION_RETRY_EXHAUSTED']);

/** JSON with object keys sorted (jsonb reorders keys), for equality of answers. */
export function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Everything the checks need, read in one snapshot through `query(text, params)` → rows. */
export async function loadSnapshot(query) {
  const [{ now }] = await query(`select (extract(epoch from clock_timestamp()) * 1000)::float8 as now`);
  const authorizations = await query(`select id, total_units::int as total, used_units::int as used, scheduled_units::int as scheduled from authorizations`);
  const reservations = await query(
    `select id, authorization_id, units::int, status, consumed_units::int as consumed, reference, created_by,
            line_id, service_date::text as service_date, revision::int as revision,
            (extract(epoch from expires_at) * 1000)::float8 as expires_ms,
            (extract(epoch from updated_at) * 1000)::float8 as updated_ms
       from reservations`,
  );
  const ledger = await query(
    `select id::text as id, authorization_id, reservation_id, type, units::int, total_after::int as total_after,
            line_id, service_date::text as service_date,
            used_after::int as used_after, scheduled_after::int as scheduled_after,
            (extract(epoch from created_at) * 1000)::float8 as created_ms
       from ledger_entries order by ledger_entries.id`,
  );
  const answers = await query(`select user_id, key, status_code::int as status, response_body as body from idempotency_keys`);
  const pendingExpiries = await query(`select reservation_id, (extract(epoch from expires_at) * 1000)::float8 as expires_ms from reservation_expiries`);
  const lines = await query(`select id, authorization_id, service_code, modifiers from authorization_lines`);
  const [{ n: buckets }] = await query(`select count(*)::int as n from cap_buckets`);
  const integrity = {};
  for (const [name, sql] of Object.entries(INTEGRITY_SQL)) integrity[name] = await query(sql);
  return { now: Number(now), authorizations, reservations, ledger, answers, pendingExpiries, lines, buckets, integrity };
}

/**
 * SPEC §10: the checks of test/helpers/ledger-check.ts (same names and conditions), ported so that
 * each returns the offending rows instead of a count. Every row is a violation.
 */
// Each line with its counters: a sole line's are its authorization's (migration 20261206000000).
const LINES = `(select li.id, li.authorization_id, li.total_units, coalesce(li.used_units, a.used_units) as used_units,
    coalesce(li.scheduled_units, a.scheduled_units) as scheduled_units
  from authorization_lines li join authorizations a on a.id = li.authorization_id)`;

export const INTEGRITY_SQL = {
  lineInvariantViolations: `
    select id, authorization_id, total_units, used_units, scheduled_units from ${LINES} l
    where used_units + scheduled_units > total_units or used_units < 0 or scheduled_units < 0`,
  bucketInvariantViolations: `
    select b.cap_id, b.period_start::text as period_start, b.period, b.cap_units, b.used_units, b.scheduled_units, c.units as cap_of_cap
    from cap_buckets b left join authorization_caps c on c.id = b.cap_id
    where b.used_units + b.scheduled_units > b.cap_units or b.used_units < 0 or b.scheduled_units < 0
       or c.id is null or c.units <> b.cap_units or c.period <> b.period or c.authorization_id <> b.authorization_id`,
  rollUpMismatches: `
    select a.id, a.total_units, a.pool_units, a.lines_total_units, a.used_units, a.scheduled_units,
           l.total::int as lines_total, l.used::int as lines_used, l.scheduled::int as lines_scheduled
    from authorizations a
    left join (select authorization_id, sum(used_units) as used, sum(scheduled_units) as scheduled, sum(total_units) as total
               from ${LINES} li group by authorization_id) l on l.authorization_id = a.id
    where l.authorization_id is null or l.used <> a.used_units or l.scheduled <> a.scheduled_units or l.total <> a.lines_total_units
       or coalesce(a.pool_units, a.lines_total_units) <> a.total_units`,
  lineLedgerMismatches: `
    select li.id, li.authorization_id, li.used_units, li.scheduled_units,
           coalesce(r.scheduled, 0)::int as reservations_scheduled, coalesce(r.used, 0)::int as reservations_used,
           coalesce(l.scheduled, 0)::int as ledger_scheduled, coalesce(l.used, 0)::int as ledger_used
    from ${LINES} li
    left join (select line_id, sum(units) filter (where status = 'SCHEDULED') as scheduled, sum(consumed_units) filter (where status = 'CONSUMED') as used
               from reservations group by line_id) r on r.line_id = li.id
    left join (select line_id,
                 coalesce(sum(units) filter (where type = 'RESERVE'), 0) - coalesce(sum(units) filter (where type in ('RELEASE', 'EXPIRE', 'CONSUME')), 0) as scheduled,
                 coalesce(sum(units) filter (where type = 'CONSUME'), 0) as used
               from ledger_entries where line_id is not null group by line_id) l on l.line_id = li.id
    where coalesce(r.scheduled, 0) <> li.scheduled_units or coalesce(r.used, 0) <> li.used_units
       or coalesce(l.scheduled, 0) <> li.scheduled_units or coalesce(l.used, 0) <> li.used_units`,
  bucketMismatches: `
    with held as (
      select c.id as cap_id, unit_period_start(c.period, r.service_date, o.week_starts_on) as period_start,
        sum(case when r.status = 'SCHEDULED' then r.units else 0 end) as scheduled,
        sum(case when r.status = 'CONSUMED' then r.consumed_units else 0 end) as used
      from authorization_caps c
      join authorizations a on a.id = c.authorization_id
      join organizations o on o.id = a.organization_id
      join reservations r on r.authorization_id = c.authorization_id and (c.line_id is null or r.line_id = c.line_id)
      where r.status in ('SCHEDULED', 'CONSUMED')
      group by 1, 2)
    select coalesce(b.cap_id, h.cap_id) as cap_id, coalesce(b.period_start, h.period_start)::text as period_start,
           b.scheduled_units, b.used_units, coalesce(h.scheduled, 0)::int as reservations_scheduled, coalesce(h.used, 0)::int as reservations_used
    from cap_buckets b full join held h on h.cap_id = b.cap_id and h.period_start = b.period_start
    where coalesce(h.scheduled, 0) <> coalesce(b.scheduled_units, 0) or coalesce(h.used, 0) <> coalesce(b.used_units, 0)`,
  reservationLedgerMismatches: `
    with expected as (
      select r.id, r.authorization_id, 1 as k, 'RESERVE' as type, r.units from reservations r
      union all
      select r.id, r.authorization_id, 2, 'RELEASE', r.units from reservations r where r.status = 'RELEASED'
      union all
      select r.id, r.authorization_id, 2, 'EXPIRE', r.units from reservations r where r.status = 'EXPIRED'
      union all
      select r.id, r.authorization_id, 2, 'CONSUME', r.consumed_units from reservations r where r.status = 'CONSUMED' and r.consumed_units > 0
      union all
      select r.id, r.authorization_id, 3, 'RELEASE', r.units - r.consumed_units from reservations r where r.status = 'CONSUMED' and r.units > r.consumed_units),
    wanted as (
      select id, string_agg(authorization_id || ' ' || type || ' ' || units, ',' order by k) as shape from expected group by id),
    numbered as (
      select e.*, row_number() over (partition by e.reservation_id order by e.id) as n, coalesce(r.revision, 0) as revision
      from ledger_entries e left join reservations r on r.id = e.reservation_id where e.reservation_id is not null),
    got as (
      -- Each move (revision) left a RESERVE and a RELEASE before the hold the reservation has now (checked in moves below).
      select reservation_id as id, string_agg(authorization_id || ' ' || type || ' ' || units, ',' order by numbered.id) as shape
      from numbered where n > 2 * revision group by reservation_id),
    moves as (
      select m.reservation_id as id, 'entry ' || m.id || ' (' || m.type || ' ' || m.units || ', #' || m.n || ', revision ' || m.revision || ')' as shape
      from (select e.*, lag(e.units) over (partition by e.reservation_id order by e.id) as previous from numbered e) m
      join reservations r on r.id = m.reservation_id
      where (m.n <= 2 * m.revision and m.n % 2 = 1 and m.type <> 'RESERVE')
         or (m.n <= 2 * m.revision and m.n % 2 = 0 and (m.type <> 'RELEASE' or m.units <> m.previous))
         or (m.n = 2 * m.revision + 1 and (m.type <> 'RESERVE' or m.line_id is distinct from r.line_id or m.service_date is distinct from r.service_date)))
    select coalesce(wanted.id, got.id) as id, wanted.shape as wanted, got.shape as got from wanted full join got on got.id = wanted.id
    where wanted.shape is distinct from got.shape
    union all
    select id, 'move pairs, then the current hold', shape from moves`,
};

/** Opens its own connection and reads a consistent snapshot. */
export async function loadSnapshotFromUrl(databaseUrl) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('begin isolation level repeatable read read only');
    const snap = await loadSnapshot(async (text, params) => (await client.query(text, params)).rows);
    await client.query('commit');
    return snap;
  } finally {
    await client.end();
  }
}

function expectedShape(r) {
  const shape = [['RESERVE', r.units]];
  if (r.status === 'RELEASED') shape.push(['RELEASE', r.units]);
  if (r.status === 'EXPIRED') shape.push(['EXPIRE', r.units]);
  if (r.status === 'CONSUMED') {
    if (r.consumed > 0) shape.push(['CONSUME', r.consumed]);
    if (r.units - r.consumed > 0) shape.push(['RELEASE', r.units - r.consumed]);
  }
  return shape;
}

const shapeKey = (pairs) => pairs.map(([t, u]) => `${t}:${u}`).sort().join(',');

/** A reservation's ledger after its moves: each move (revision) left a RESERVE and a RELEASE before its current hold. */
const tailOf = (entries, r) => entries.slice(2 * (r.revision ?? 0));
/** The holds a reservation had, in order: each RESERVE entry's units and service date (the first is the one its request created). */
const holdsOf = (entries) => entries.filter((e) => e.type === 'RESERVE').map((e) => ({ units: e.units, serviceDate: e.service_date, entryId: e.id }));
const sameHold = (a, b) => !!a && !!b && a.units === b.units && a.serviceDate === b.serviceDate;
/** Where a move asks a reservation holding `from` to go. */
const moveTarget = (rec, from) => ({ units: rec.body?.units ?? from.units, serviceDate: rec.body?.serviceDate ?? from.serviceDate });
const canonicalModifiers = (m) => [...new Set(m ?? [])].sort().join(',');

/**
 * Runs every check. `records`: the history records; `seedAuthorizations`: [{id, totalUnits}]
 * (initial totals); `expiryGraceMs`: how long after expiresAt a sweep may still be pending at
 * snapshot time. Returns { checks: {name: {description, violations, info}}, violations }.
 */
export function checkHistory({ records, snapshot, seedAuthorizations, expiryGraceMs = 3000 }) {
  const seedById = new Map(seedAuthorizations.map((a) => [a.id, a]));
  const lineById = new Map((snapshot.lines ?? []).map((l) => [l.id, l]));
  const linesByAuth = new Map();
  for (const l of snapshot.lines ?? []) linesByAuth.set(l.authorization_id, [...(linesByAuth.get(l.authorization_id) ?? []), l]);
  /** Whether the line a reservation holds is the one its request named (code, and modifiers when given; the single line when none). */
  const lineMatches = (rec, lineId) => {
    const line = lineById.get(lineId);
    if (!line) return false;
    const code = rec.body?.serviceCode;
    if (code === undefined) return (linesByAuth.get(line.authorization_id) ?? []).length === 1;
    return line.service_code === code && (rec.body.modifiers === undefined || line.modifiers === canonicalModifiers(rec.body.modifiers));
  };
  /** The authorizations a scheduling by patient may land on: the seeded ones of that patient in the caller's organization. */
  const patientAuthorization = (rec, authorizationId) => {
    const a = seedById.get(authorizationId);
    return !!a && a.patientId === rec.body?.patientId;
  };
  const checks = Object.fromEntries(Object.entries(CHECKS).map(([name, description]) => [name, { description, violations: [], info: {} }]));
  const fail = (name, message, detail) => checks[name].violations.push({ message, ...(detail ? { detail } : {}) });

  const resById = new Map(snapshot.reservations.map((r) => [r.id, r]));
  const resByRef = new Map();
  for (const r of snapshot.reservations) {
    const list = resByRef.get(r.reference) ?? [];
    list.push(r);
    resByRef.set(r.reference, list);
  }
  const entriesByRes = new Map();
  const entriesByAuth = new Map();
  for (const e of snapshot.ledger) {
    if (e.reservation_id) {
      const l = entriesByRes.get(e.reservation_id) ?? [];
      l.push(e);
      entriesByRes.set(e.reservation_id, l);
    }
    const l = entriesByAuth.get(e.authorization_id) ?? [];
    l.push(e);
    entriesByAuth.set(e.authorization_id, l);
  }
  const answerByKey = new Map(snapshot.answers.map((a) => [`${a.user_id}|${a.key}`, a]));
  const originals = records.filter((r) => r.replayOf === undefined);
  const reserveByRef = new Map(); // key -> original reserve/schedule record
  const finishByRes = new Map(); // reservationId -> [original release/consume records]
  const movesByRes = new Map(); // reservationId -> [original move records]
  for (const rec of originals) {
    if (CREATES.has(rec.op)) reserveByRef.set(rec.key, rec);
    else if (rec.op === 'move') movesByRes.set(rec.reservationId, [...(movesByRes.get(rec.reservationId) ?? []), rec]);
    else {
      const l = finishByRes.get(rec.reservationId) ?? [];
      l.push(rec);
      finishByRes.set(rec.reservationId, l);
    }
  }
  const hadUnknownAttempt = (rec) => rec.attempts.some((a) => a.status === 0);
  const short = (rec) => ({ key: rec.key, op: rec.op, path: rec.path, body: rec.body, outcome: rec.outcome, attempts: rec.attempts.map((a) => `${a.instance}:${a.status}${a.code ? ` ${a.code}` : ''}${a.error ? ` (${a.error})` : ''}${a.replayed ? ' replayed' : ''}`) });
  const expectedConsumed = (rec, units) => (rec.body && rec.body.units !== undefined ? rec.body.units : units);

  // ---- answers: no 500, only expected answers --------------------------------------------
  const codes503 = {};
  for (const rec of records) {
    for (const a of rec.attempts) {
      if (a.status >= 500 && a.status !== 503) fail('no-500', `${rec.op} got ${a.status} ${a.code ?? ''}`.trim(), short(rec));
      if (a.status === 503) {
        codes503[a.code] = (codes503[a.code] ?? 0) + 1;
        if (!CODES_503.has(a.code)) fail('expected-answers', `503 with unknown code ${a.code}`, short(rec));
      }
    }
    const f = rec.final;
    if (rec.outcome === 'ack' && f.status !== OK_STATUS[rec.op]) fail('expected-answers', `${rec.op} answered ${f.status}`, short(rec));
    // A reserve whose expiresAt had passed when (re)sent is invalid then: 400, evaluated afresh
    // (whether something had been applied for its key is judged by nothing-unexplained).
    const expiredWhenSent = CREATES.has(rec.op) && f?.status === 400 && f.code === 'VALIDATION_FAILED' && rec.body?.expiresAt &&
      Date.parse(rec.body.expiresAt) <= rec.attempts.at(-1).t1 && JSON.stringify(f.body?.fields ?? '').includes('expiresAt');
    const refusedAsHostile = f?.status === 400 && f.code === 'VALIDATION_FAILED' && Array.isArray(f.body?.fields) && f.body.fields.map((x) => x.field).join() === 'expiresAt';
    if (rec.hostile) {
      // Refused by validation, before any transaction, on every attempt (unknown outcomes are retried).
      if (rec.outcome !== 'unknown' && !refusedAsHostile) fail('expected-answers', `hostile ${rec.op} answered ${f?.status} ${f?.code ?? ''}`.trim(), short(rec));
      continue;
    }
    if (rec.outcome === 'rejected' && !expiredWhenSent && !(f.status === 409 && EXPECTED_REJECTIONS[rec.op]?.has(f.code))) {
      fail('expected-answers', `${rec.op} answered ${f.status} ${f.code ?? ''}`.trim(), short(rec));
    }
    // NO_AUTHORIZATION_AVAILABLE lists the patient's eligible authorizations, each with the refusal it gave.
    if (rec.op === 'schedule' && f?.status === 409 && f.code === 'NO_AUTHORIZATION_AVAILABLE') {
      const cands = f.body?.candidates;
      const eligible = seedAuthorizations.filter((a) => a.patientId === rec.body.patientId && (a.lines ?? []).some((l) => l.serviceCode === rec.body.serviceCode && (rec.body.modifiers === undefined || canonicalModifiers(l.modifiers) === canonicalModifiers(rec.body.modifiers)))).length;
      if (!Array.isArray(cands) || cands.length !== eligible || cands.some((c) => !patientAuthorization(rec, c.authorizationId) || !['INSUFFICIENT_UNITS', 'PERIOD_CAP_EXCEEDED'].includes(c.code) || !(c.availableUnits < rec.body.units))) {
        fail('expected-answers', `schedule refused NO_AUTHORIZATION_AVAILABLE with candidates ${JSON.stringify(cands)}`, short(rec));
      }
    }
    // 503 CONTENTION_RETRY_EXHAUSTED promises that nothing was written: a later replay of the
    // same key (with only such 503s before it) proves the opposite.
    const firstReplay = rec.attempts.findIndex((a) => a.replayed);
    if (rec.replayOf === undefined && firstReplay > 0 && rec.attempts.slice(0, firstReplay).every((a) => a.status === 503 && a.code === 'CONTENTION_RETRY_EXHAUSTED')) {
      fail('expected-answers', 'answered 503 CONTENTION_RETRY_EXHAUSTED, yet the retry with the same key was a replay (it had been written)', short(rec));
    }
    // A first attempt can only be a replay when the key was sent before.
    if (rec.replayOf === undefined && rec.attempts[0]?.replayed) fail('expected-answers', 'first attempt of a new key answered as a replay', short(rec));
  }
  checks['expected-answers'].info.codes503 = codes503;

  // ---- invariant + reconciliation per authorization --------------------------------------
  const initial = new Map(seedAuthorizations.map((a) => [a.id, a.totalUnits]));
  const scheduledRes = new Map();
  const consumedRes = new Map();
  for (const r of snapshot.reservations) {
    if (r.status === 'SCHEDULED') scheduledRes.set(r.authorization_id, (scheduledRes.get(r.authorization_id) ?? 0) + r.units);
    if (r.status === 'CONSUMED') consumedRes.set(r.authorization_id, (consumedRes.get(r.authorization_id) ?? 0) + r.consumed);
  }
  for (const a of snapshot.authorizations) {
    if (a.used + a.scheduled > a.total || a.used < 0 || a.scheduled < 0) {
      fail('invariant', `authorization ${a.id}: used ${a.used} + scheduled ${a.scheduled} vs total ${a.total}`);
    }
    const init = initial.get(a.id);
    if (init === undefined) {
      fail('nothing-unexplained', `authorization ${a.id} was not created by the seed`);
      continue;
    }
    let total = init;
    let used = 0;
    let scheduled = 0;
    let chainBroken = false;
    for (const e of entriesByAuth.get(a.id) ?? []) {
      if (e.type === 'RESERVE') scheduled += e.units;
      else if (e.type === 'RELEASE' || e.type === 'EXPIRE') scheduled -= e.units;
      else if (e.type === 'CONSUME') (scheduled -= e.units), (used += e.units);
      else if (e.type === 'ADJUST') total += e.units;
      if (!chainBroken && (e.total_after !== total || e.used_after !== used || e.scheduled_after !== scheduled)) {
        chainBroken = true;
        fail('ledger-reconciles', `authorization ${a.id}: ledger entry ${e.id} (${e.type} ${e.units}) says after ${e.total_after}/${e.used_after}/${e.scheduled_after}, running sums give ${total}/${used}/${scheduled}`);
      }
      if (e.used_after + e.scheduled_after > e.total_after || e.used_after < 0 || e.scheduled_after < 0) {
        fail('invariant', `authorization ${a.id}: ledger entry ${e.id} records an overbooked state`);
      }
    }
    if (total !== a.total || used !== a.used || scheduled !== a.scheduled) {
      fail('ledger-reconciles', `authorization ${a.id}: counters ${a.total}/${a.used}/${a.scheduled} (total/used/scheduled) ≠ ledger ${total}/${used}/${scheduled}`);
    }
    if ((scheduledRes.get(a.id) ?? 0) !== a.scheduled) fail('ledger-reconciles', `authorization ${a.id}: scheduled ${a.scheduled} ≠ Σ SCHEDULED reservations ${scheduledRes.get(a.id) ?? 0}`);
    if ((consumedRes.get(a.id) ?? 0) !== a.used) fail('ledger-reconciles', `authorization ${a.id}: used ${a.used} ≠ Σ consumed units ${consumedRes.get(a.id) ?? 0}`);
  }
  for (const id of entriesByAuth.keys()) {
    if (!snapshot.authorizations.some((a) => a.id === id)) fail('nothing-unexplained', `ledger entries for unknown authorization ${id}`);
  }

  // ---- per reservation: ledger shape, cause --------------------------------------------
  for (const r of snapshot.reservations) {
    const entries = entriesByRes.get(r.id) ?? [];
    const revision = r.revision ?? 0;
    const tail = tailOf(entries, r);
    const got = tail.map((e) => [e.type, e.units]);
    if (shapeKey(got) !== shapeKey(expectedShape(r))) {
      fail('ledger-reconciles', `reservation ${r.id} (${r.status}, ${r.units} units, consumed ${r.consumed}, revision ${revision}): ledger after its moves ${shapeKey(got) || 'empty'}, expected ${shapeKey(expectedShape(r))}`);
    }
    for (let i = 0; i < 2 * revision; i++) {
      const e = entries[i];
      const want = i % 2 === 0 ? 'RESERVE' : 'RELEASE';
      if (!e || e.type !== want || (i % 2 === 1 && e.units !== entries[i - 1].units)) {
        fail('ledger-reconciles', `reservation ${r.id} (revision ${revision}): ledger entry #${i + 1} is ${e ? `${e.type} ${e.units}` : 'missing'}, a move leaves RESERVE u then RELEASE u`);
        break;
      }
    }
    if (tail.length && (tail[0].type !== 'RESERVE' || tail[0].line_id !== r.line_id || tail[0].service_date !== r.service_date)) {
      fail('ledger-reconciles', `reservation ${r.id}: its current hold's entry is ${tail[0].type} on line ${tail[0].line_id} for ${tail[0].service_date}, the reservation is on line ${r.line_id} for ${r.service_date}`);
    }
    if (entries.some((e) => e.authorization_id !== r.authorization_id)) fail('ledger-reconciles', `reservation ${r.id}: ledger entry on another authorization`);
    if (entries.some((e) => e.line_id !== r.line_id)) fail('ledger-reconciles', `reservation ${r.id}: ledger entry on another line`);
    if (entries.length && entries[0].type !== 'RESERVE') fail('ledger-reconciles', `reservation ${r.id}: first ledger entry is ${entries[0].type}`);
    const first = holdsOf(entries)[0] ?? { units: r.units, serviceDate: r.service_date };

    // Created by which request?
    const rec = reserveByRef.get(r.reference);
    if (!rec) {
      fail('nothing-unexplained', `reservation ${r.id} (reference ${r.reference}) matches no reserve request of the history`);
    } else {
      if (rec.userId !== r.created_by) fail('nothing-unexplained', `reservation ${r.id}: created by ${r.created_by}, the request was sent by ${rec.userId}`);
      const onRightAuthorization = rec.op === 'schedule' ? patientAuthorization(rec, r.authorization_id) : rec.authorizationId === r.authorization_id;
      if (!onRightAuthorization || rec.body.units !== first.units || (rec.body.serviceDate !== undefined && rec.body.serviceDate !== first.serviceDate)) {
        fail('nothing-unexplained', `reservation ${r.id} does not match its request (authorization/units/date: ${r.authorization_id}, ${first.units}, ${first.serviceDate})`, short(rec));
      }
      if (snapshot.lines && !lineMatches(rec, r.line_id)) fail('nothing-unexplained', `reservation ${r.id} holds line ${r.line_id}, not the one its request named`, short(rec));
      if (rec.outcome === 'rejected') fail('nothing-unexplained', `reservation ${r.id} exists although its request was refused (${rec.final.status} ${rec.final.code})`, short(rec));
      if (rec.outcome === 'error') fail('nothing-unexplained', `reservation ${r.id} exists although its request got ${rec.final.status}`, short(rec));
      if (rec.outcome === 'ack' && rec.final.body?.reservation?.id !== r.id) {
        fail('acknowledged-exactly-once', `key ${rec.key} acknowledged reservation ${rec.final.body?.reservation?.id} but created ${r.id} too`, short(rec));
      }
    }

    // Left SCHEDULED because of which request?
    const finishers = (finishByRes.get(r.id) ?? []).filter((x) => x.outcome === 'ack' || x.outcome === 'unknown');
    if (r.status === 'RELEASED' && !finishers.some((x) => x.op === 'release')) {
      fail('nothing-unexplained', `reservation ${r.id} is RELEASED but no release request for it was accepted or of unknown outcome`, (finishByRes.get(r.id) ?? []).map(short));
    }
    if (r.status === 'CONSUMED') {
      const explains = finishers.some(
        (x) => x.op === 'consume' && (x.outcome === 'ack' ? x.final.body?.reservation?.consumedUnits === r.consumed : expectedConsumed(x, r.units) === r.consumed),
      );
      if (!explains) fail('nothing-unexplained', `reservation ${r.id} is CONSUMED (${r.consumed}) but no consume request for it explains that`, (finishByRes.get(r.id) ?? []).map(short));
    }
  }
  for (const e of snapshot.ledger) {
    if (!e.reservation_id && e.type !== 'ADJUST') fail('nothing-unexplained', `ledger entry ${e.id} (${e.type}) has no reservation`);
    if (e.type === 'ADJUST') fail('nothing-unexplained', `ledger entry ${e.id}: ADJUST, but no client adjusted anything`);
    if (e.reservation_id && !resById.has(e.reservation_id)) fail('nothing-unexplained', `ledger entry ${e.id} (${e.type}) names reservation ${e.reservation_id}, which does not exist`);
  }
  for (const [ref, rows] of resByRef) {
    if (rows.length > 1) {
      const rec = reserveByRef.get(ref);
      const name = rec && (hadUnknownAttempt(rec) || rec.outcome === 'unknown') ? 'unknown-at-most-once' : 'acknowledged-exactly-once';
      fail(name, `key ${ref}: ${rows.length} reservations (${rows.map((r) => r.id).join(', ')})`, rec ? short(rec) : undefined);
    }
  }

  // ---- every acknowledged operation, exactly once and as answered -----------------------
  const ackedFinishers = new Map();
  for (const rec of originals) {
    if (rec.outcome !== 'ack') continue;
    const body = rec.final.body;
    const answered = body?.reservation;
    if (!answered?.id) {
      fail('acknowledged-exactly-once', `${rec.op} acknowledged without a reservation in the body`, short(rec));
      continue;
    }
    const row = resById.get(answered.id);
    if (!row) {
      fail('acknowledged-exactly-once', `${rec.op} acknowledged reservation ${answered.id}, which is not in the database`, short(rec));
      continue;
    }
    const allEntries = entriesByRes.get(row.id) ?? [];
    const revision = row.revision ?? 0;
    const entries = tailOf(allEntries, row);
    const count = (type) => entries.filter((e) => e.type === type).length;
    if (CREATES.has(rec.op)) {
      const first = holdsOf(allEntries)[0];
      const authorizationId = rec.op === 'schedule' ? body.authorization?.id : rec.authorizationId;
      if (row.reference !== rec.key || row.authorization_id !== authorizationId || first?.units !== rec.body.units || answered.authorizationId !== authorizationId) {
        fail('acknowledged-exactly-once', `${rec.op} ${answered.id}: row differs from the request or the answer (authorization ${row.authorization_id}, first hold ${first?.units})`, short(rec));
      }
      if (rec.op === 'schedule' && !patientAuthorization(rec, authorizationId)) fail('moves-and-scheduling', `schedule ${answered.id} answered on authorization ${authorizationId}, not one of patient ${rec.body.patientId}`, short(rec));
      if (rec.op === 'schedule' && !lineMatches(rec, row.line_id)) fail('moves-and-scheduling', `schedule ${answered.id}: line ${row.line_id} is not ${rec.body.serviceCode} ${rec.body.modifiers ?? ''}`, short(rec));
      if (answered.status !== 'SCHEDULED' || answered.units !== rec.body.units || (rec.body.serviceDate !== undefined && (answered.serviceDate !== rec.body.serviceDate || first?.serviceDate !== rec.body.serviceDate))) {
        fail('acknowledged-exactly-once', `${rec.op} answered ${answered.status} ${answered.units} for ${answered.serviceDate}`, short(rec));
      }
      if (allEntries.filter((e) => e.type === 'RESERVE').length !== 1 + revision) fail('acknowledged-exactly-once', `${rec.op} ${answered.id}: ${allEntries.filter((e) => e.type === 'RESERVE').length} RESERVE entries with ${revision} move(s)`, short(rec));
    } else if (rec.op === 'move') {
      // Judged with the reservation's whole sequence of holds (moves-and-scheduling below).
      if (answered.id !== rec.reservationId) fail('acknowledged-exactly-once', `move of ${rec.reservationId} answered about ${answered.id}`, short(rec));
      const t = moveTarget(rec, answered);
      if (answered.status !== 'SCHEDULED' || answered.units !== t.units || answered.serviceDate !== t.serviceDate) {
        fail('acknowledged-exactly-once', `move of ${answered.id} to ${JSON.stringify(rec.body)} answered ${answered.status} ${answered.units} for ${answered.serviceDate}`, short(rec));
      }
    } else {
      if (answered.id !== rec.reservationId) fail('acknowledged-exactly-once', `${rec.op} of ${rec.reservationId} answered about ${answered.id}`, short(rec));
      const l = ackedFinishers.get(row.id) ?? [];
      l.push(rec);
      ackedFinishers.set(row.id, l);
      if (rec.op === 'release') {
        if (row.status !== 'RELEASED' || answered.status !== 'RELEASED') fail('acknowledged-exactly-once', `release of ${row.id} acknowledged, reservation is ${row.status} (answer said ${answered.status})`, short(rec));
        else if (count('RELEASE') !== 1 || count('CONSUME') || count('EXPIRE')) fail('acknowledged-exactly-once', `release of ${row.id}: ledger ${shapeKey(entries.map((e) => [e.type, e.units]))}`, short(rec));
      } else {
        const want = expectedConsumed(rec, row.units);
        if (row.status !== 'CONSUMED' || answered.status !== 'CONSUMED') fail('acknowledged-exactly-once', `consume of ${row.id} acknowledged, reservation is ${row.status} (answer said ${answered.status})`, short(rec));
        else if (row.consumed !== want || answered.consumedUnits !== want) fail('acknowledged-exactly-once', `consume of ${row.id}: asked ${want}, answered ${answered.consumedUnits}, stored ${row.consumed}`, short(rec));
        else if (count('CONSUME') !== (want > 0 ? 1 : 0) || count('RELEASE') !== (row.units - want > 0 ? 1 : 0) || count('EXPIRE')) {
          fail('acknowledged-exactly-once', `consume of ${row.id}: ledger ${shapeKey(entries.map((e) => [e.type, e.units]))}`, short(rec));
        }
      }
    }
    const stored = answerByKey.get(`${rec.userId}|${rec.key}`);
    if (!stored) fail('acknowledged-exactly-once', `${rec.op} acknowledged but no answer stored for key ${rec.key} (a retry would apply it again)`, short(rec));
    else if (stored.status !== rec.final.status || canonical(stored.body) !== canonical(body)) {
      const [a, b] = [canonical(body), canonical(stored.body)];
      let i = 0;
      while (i < a.length && a[i] === b[i]) i++;
      fail('idempotent-replays', `key ${rec.key}: answer received ≠ answer stored (${rec.final.status} vs ${stored.status}; from character ${i}: received …${a.slice(Math.max(0, i - 60), i + 60)}… stored …${b.slice(Math.max(0, i - 60), i + 60)}…)`, short(rec));
    }
  }
  for (const [id, recs] of ackedFinishers) {
    if (recs.length > 1) fail('acknowledged-exactly-once', `reservation ${id} left SCHEDULED for ${recs.length} acknowledged requests (${recs.map((r) => `${r.op} ${r.key}`).join(', ')})`);
  }

  // ---- moves (SPEC §10): each transition between two holds explained by one move request ----
  // A reservation's holds are its RESERVE entries in ledger order; hold i+1 must be the target of a
  // move request on it (acknowledged or of unknown outcome, never one refused), computed from hold i,
  // each request used at most once. An acknowledged move must be one of them (unless it changed
  // nothing: then its answer equals a hold its target leaves as it is), in the order of the answers,
  // and after the last acknowledged move only moves of unknown outcome may have changed the hold.
  const appliedMove = new Map(); // move record id -> index of the hold it produced
  const mv = { moves: 0, acknowledged: 0, refused: {}, unknown: 0, applied: 0, reservationsMoved: 0, maxRevision: 0, scheduled: 0, scheduledAck: 0, scheduledRefused: 0 };
  for (const rec of originals) {
    if (rec.op === 'schedule') {
      mv.scheduled++;
      if (rec.outcome === 'ack') mv.scheduledAck++;
      if (rec.outcome === 'rejected') mv.scheduledRefused++;
    }
    if (rec.op !== 'move') continue;
    mv.moves++;
    if (rec.outcome === 'ack') mv.acknowledged++;
    else if (rec.outcome === 'rejected') mv.refused[rec.final.code] = (mv.refused[rec.final.code] ?? 0) + 1;
    else mv.unknown++;
  }
  for (const r of snapshot.reservations) {
    const requests = movesByRes.get(r.id) ?? [];
    const revision = r.revision ?? 0;
    if (!requests.length && !revision) continue;
    const holds = holdsOf(entriesByRes.get(r.id) ?? []);
    if (revision > 0) mv.reservationsMoved++;
    mv.maxRevision = Math.max(mv.maxRevision, revision);
    const candidates = requests.filter((x) => x.outcome === 'ack' || x.outcome === 'unknown');
    const used = new Set();
    for (let i = 1; i < holds.length; i++) {
      const fits = candidates.filter((x) => !used.has(x.id) && sameHold(moveTarget(x, holds[i - 1]), holds[i]));
      const chosen = fits.find((x) => x.outcome === 'ack' && sameHold(x.final.body?.reservation, holds[i])) ?? fits.find((x) => x.outcome === 'unknown');
      if (!chosen) {
        fail('moves-and-scheduling', `reservation ${r.id} moved from ${holds[i - 1].units} units on ${holds[i - 1].serviceDate} to ${holds[i].units} on ${holds[i].serviceDate} (ledger entry ${holds[i].entryId}), which no move request (acknowledged or of unknown outcome) asked`, requests.map(short));
        continue;
      }
      used.add(chosen.id);
      appliedMove.set(chosen.id, i);
    }
    const acked = candidates.filter((x) => x.outcome === 'ack').sort((a, b) => a.endedAt - b.endedAt);
    for (const x of acked) {
      if (appliedMove.has(x.id)) continue;
      const answered = x.final.body?.reservation;
      const noop = holds.some((h) => sameHold(h, answered) && sameHold(moveTarget(x, h), h));
      if (!noop) fail('moves-and-scheduling', `acknowledged move of ${r.id} to ${JSON.stringify(x.body)} (answered ${answered?.units} units on ${answered?.serviceDate}) is not in the ledger`, short(x));
    }
    // Acknowledged moves took effect in the order they were answered (one answered before another was sent comes first).
    const placed = acked.filter((x) => appliedMove.has(x.id));
    for (let a = 0; a < placed.length; a++) {
      for (let b = 0; b < placed.length; b++) {
        if (placed[a].endedAt < placed[b].startedAt && appliedMove.get(placed[a].id) > appliedMove.get(placed[b].id)) {
          fail('moves-and-scheduling', `reservation ${r.id}: move ${placed[a].key} was answered before ${placed[b].key} was sent, yet took effect after it`, [short(placed[a]), short(placed[b])]);
        }
      }
    }
    // The reservation ends with the last acknowledged move's units and date, unless a later move (of unknown outcome) changed them.
    // (The last in commit order: acknowledged moves that overlapped in time may commit in either order.)
    const last = [...placed].sort((a, b) => appliedMove.get(a.id) - appliedMove.get(b.id)).at(-1);
    if (last) {
      const k = appliedMove.get(last.id);
      const later = [...appliedMove.entries()].filter(([id, i]) => i > k && requests.some((x) => x.id === id));
      if (!later.length && !sameHold({ units: r.units, serviceDate: r.service_date }, last.final.body.reservation)) {
        fail('moves-and-scheduling', `reservation ${r.id} holds ${r.units} units on ${r.service_date}, its last acknowledged move (${last.key}) answered ${last.final.body.reservation.units} on ${last.final.body.reservation.serviceDate}`, short(last));
      }
    }
    if (holds.length && !sameHold({ units: r.units, serviceDate: r.service_date }, holds.at(-1))) {
      fail('moves-and-scheduling', `reservation ${r.id} holds ${r.units} units on ${r.service_date}, its last RESERVE says ${holds.at(-1).units} on ${holds.at(-1).serviceDate}`);
    }
    if (holds.length !== revision + 1) fail('moves-and-scheduling', `reservation ${r.id}: revision ${revision} but ${holds.length} RESERVE entries`);
    // A move is only applied while SCHEDULED: never after an acknowledged release/consume of it.
    const endAck = (finishByRes.get(r.id) ?? []).filter((x) => x.outcome === 'ack').map((x) => x.endedAt);
    for (const x of acked) if (appliedMove.has(x.id) && endAck.some((t) => t < x.startedAt)) fail('moves-and-scheduling', `reservation ${r.id}: move ${x.key} acknowledged after the reservation was finished`, short(x));
  }
  mv.applied = appliedMove.size;
  checks['moves-and-scheduling'].info = mv;

  // ---- SPEC §10 integrity, straight from the tables (test/helpers/ledger-check.ts) ----------
  for (const [name, rows] of Object.entries(snapshot.integrity ?? {})) {
    for (const row of rows) fail(name, `${name}: ${JSON.stringify(row)}`);
    checks[name].info.rows = rows.length;
  }

  // ---- unknown outcomes --------------------------------------------------------------
  const info = { requests: 0, retried: 0, resolvedAck: 0, resolvedReplayed: 0, resolvedRejected: 0, unresolved: 0, unresolvedApplied: 0, unresolvedNotApplied: 0, abandoned: 0 };
  for (const rec of originals) {
    if (!(hadUnknownAttempt(rec) || rec.outcome === 'unknown')) continue;
    info.requests++;
    if (rec.attempts.length > 1) info.retried++;
    if (rec.abandoned) info.abandoned++;
    if (rec.outcome === 'ack') {
      info.resolvedAck++;
      if (rec.final.replayed) info.resolvedReplayed++;
    } else if (rec.outcome === 'rejected') info.resolvedRejected++;
    else if (rec.outcome === 'unknown') {
      info.unresolved++;
      let applied;
      if (CREATES.has(rec.op)) applied = (resByRef.get(rec.key) ?? []).length > 0;
      else if (rec.op === 'move') applied = appliedMove.has(rec.id);
      else {
        const r = resById.get(rec.reservationId);
        applied = !!r && (rec.op === 'release' ? r.status === 'RELEASED' : r.status === 'CONSUMED');
      }
      info[applied ? 'unresolvedApplied' : 'unresolvedNotApplied']++;
    }
    if (rec.op === 'move') {
      // At most once: the matching above uses each request for at most one transition.
    } else if (!CREATES.has(rec.op)) {
      const r = resById.get(rec.reservationId);
      const entries = r ? tailOf(entriesByRes.get(rec.reservationId) ?? [], r) : entriesByRes.get(rec.reservationId) ?? [];
      const terminal = entries.filter((e) => e.type !== 'RESERVE');
      if (terminal.filter((e) => e.type === 'CONSUME').length > 1 || terminal.filter((e) => e.type === 'RELEASE').length > 1 || terminal.length > 2) {
        fail('unknown-at-most-once', `${rec.op} ${rec.key} on ${rec.reservationId}: ledger ${shapeKey(entries.map((e) => [e.type, e.units]))}`, short(rec));
      }
    } else if ((resByRef.get(rec.key) ?? []).length === 1) {
      const row = resByRef.get(rec.key)[0];
      const n = (entriesByRes.get(row.id) ?? []).filter((e) => e.type === 'RESERVE').length;
      if (n !== 1 + (row.revision ?? 0)) fail('unknown-at-most-once', `${rec.op} ${rec.key}: ${n} RESERVE entries for ${row.id} with ${row.revision ?? 0} move(s)`, short(rec));
    }
  }
  // Requests answered 503 and retried with their key: how many had been applied anyway (the
  // retry was a replay) — allowed for DATABASE_UNAVAILABLE (the commit's fate is unknown to the
  // service too), not for CONTENTION_RETRY_EXHAUSTED (checked above).
  info.retriedAfter503 = 0;
  info.after503Replayed = {};
  for (const rec of originals) {
    const i = rec.attempts.findIndex((a) => a.status === 503);
    if (i < 0 || i === rec.attempts.length - 1) continue;
    info.retriedAfter503++;
    if (rec.outcome === 'ack' && rec.final.replayed && !rec.attempts.slice(0, -1).some((a) => a.status === 0)) {
      const code = rec.attempts[i].code;
      info.after503Replayed[code] = (info.after503Replayed[code] ?? 0) + 1;
    }
  }
  checks['unknown-at-most-once'].info = info;

  // ---- deliberate replays ------------------------------------------------------------------
  const byId = new Map(records.map((r) => [r.id, r]));
  let replays = 0;
  for (const rec of records) {
    if (rec.replayOf === undefined) continue;
    replays++;
    const orig = byId.get(rec.replayOf);
    if (rec.outcome === 'unknown') continue; // never answered: nothing to compare
    if (!orig || orig.outcome !== 'ack') {
      fail('idempotent-replays', `replay of a request that was not acknowledged`, short(rec));
      continue;
    }
    if (rec.final.status !== orig.final.status || canonical(rec.final.body) !== canonical(orig.final.body)) {
      fail('idempotent-replays', `replay of ${orig.key} answered ${rec.final.status} with another body than the first answer`, { replay: short(rec), first: short(orig) });
    } else if (!rec.final.replayed) fail('idempotent-replays', `replay of ${orig.key} not marked Idempotent-Replayed`, short(rec));
  }
  checks['idempotent-replays'].info.replays = replays;

  // ---- expiry ---------------------------------------------------------------------------
  let expired = 0;
  let withExpiry = 0;
  for (const r of snapshot.reservations) {
    if (r.expires_ms !== null && r.expires_ms !== undefined) withExpiry++;
    const entries = entriesByRes.get(r.id) ?? [];
    const expires = entries.filter((e) => e.type === 'EXPIRE');
    if (r.status === 'EXPIRED') {
      expired++;
      if (expires.length !== 1) fail('expiry-exactly-once', `reservation ${r.id}: EXPIRED with ${expires.length} EXPIRE entries`);
      if (r.expires_ms == null) fail('expiry-exactly-once', `reservation ${r.id}: EXPIRED without expiresAt`);
      else if (r.updated_ms < r.expires_ms) fail('expiry-exactly-once', `reservation ${r.id}: expired at ${new Date(r.updated_ms).toISOString()}, before its expiresAt ${new Date(r.expires_ms).toISOString()}`);
    } else if (expires.length) fail('expiry-exactly-once', `reservation ${r.id}: ${r.status} but ${expires.length} EXPIRE entries`);
    if (r.status === 'SCHEDULED' && r.expires_ms != null && r.expires_ms <= snapshot.now - expiryGraceMs) {
      fail('expiry-exactly-once', `reservation ${r.id}: still SCHEDULED ${Math.round(snapshot.now - r.expires_ms)} ms after its expiresAt`);
    }
    // Released or consumed after its expiry instant: the service must refuse that (SPEC §4).
    if ((r.status === 'RELEASED' || r.status === 'CONSUMED') && r.expires_ms != null && r.updated_ms >= r.expires_ms) {
      fail('nothing-unexplained', `reservation ${r.id}: ${r.status} at ${new Date(r.updated_ms).toISOString()}, after its expiresAt ${new Date(r.expires_ms).toISOString()}`);
    }
  }
  // What the sweeper reads: one row per SCHEDULED reservation with an expiresAt, nothing else.
  const pendingById = new Map();
  for (const p of snapshot.pendingExpiries) pendingById.set(p.reservation_id, [...(pendingById.get(p.reservation_id) ?? []), p]);
  for (const r of snapshot.reservations) {
    const pending = pendingById.get(r.id) ?? [];
    pendingById.delete(r.id);
    const due = r.status === 'SCHEDULED' && r.expires_ms != null;
    if (due && (pending.length !== 1 || pending[0].expires_ms !== r.expires_ms)) {
      fail('expiry-exactly-once', `reservation ${r.id}: SCHEDULED with expiresAt, but ${pending.length} pending expiry row(s)${pending.length ? ` for ${pending.map((p) => new Date(p.expires_ms).toISOString())}` : ''}`);
    } else if (!due && pending.length) {
      fail('expiry-exactly-once', `reservation ${r.id}: ${r.status}${r.expires_ms == null ? ' without expiresAt' : ''}, yet still pending expiry`);
    }
  }
  for (const id of pendingById.keys()) fail('expiry-exactly-once', `pending expiry row for reservation ${id}, which does not exist`);
  checks['expiry-exactly-once'].info = { withExpiresAt: withExpiry, expired, pendingExpiries: snapshot.pendingExpiries.length };

  const violations = Object.values(checks).reduce((s, c) => s + c.violations.length, 0);
  return {
    checks,
    violations,
    counts: { authorizations: snapshot.authorizations.length, lines: snapshot.lines?.length ?? 0, capBuckets: snapshot.buckets ?? 0, reservations: snapshot.reservations.length, ledgerEntries: snapshot.ledger.length, storedAnswers: snapshot.answers.length },
  };
}

/** Reads the database at `databaseUrl` and checks the history against it. */
export async function runChecker({ databaseUrl, records, seedAuthorizations, expiryGraceMs }) {
  const snapshot = await loadSnapshotFromUrl(databaseUrl);
  return checkHistory({ records, snapshot, seedAuthorizations, expiryGraceMs });
}
