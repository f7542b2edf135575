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
};

const EXPECTED_REJECTIONS = {
  reserve: new Set(['INSUFFICIENT_UNITS']),
  release: new Set(['RESERVATION_NOT_SCHEDULED']),
  consume: new Set(['RESERVATION_NOT_SCHEDULED']),
};
const OK_STATUS = { reserve: 201, release: 200, consume: 200 };
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
            (extract(epoch from expires_at) * 1000)::float8 as expires_ms,
            (extract(epoch from updated_at) * 1000)::float8 as updated_ms
       from reservations`,
  );
  const ledger = await query(
    `select id::text as id, authorization_id, reservation_id, type, units::int, total_after::int as total_after,
            used_after::int as used_after, scheduled_after::int as scheduled_after,
            (extract(epoch from created_at) * 1000)::float8 as created_ms
       from ledger_entries order by ledger_entries.id`,
  );
  const answers = await query(`select user_id, key, status_code::int as status, response_body as body from idempotency_keys`);
  const pendingExpiries = await query(`select reservation_id, (extract(epoch from expires_at) * 1000)::float8 as expires_ms from reservation_expiries`);
  return { now: Number(now), authorizations, reservations, ledger, answers, pendingExpiries };
}

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

/**
 * Runs every check. `records`: the history records; `seedAuthorizations`: [{id, totalUnits}]
 * (initial totals); `expiryGraceMs`: how long after expiresAt a sweep may still be pending at
 * snapshot time. Returns { checks: {name: {description, violations, info}}, violations }.
 */
export function checkHistory({ records, snapshot, seedAuthorizations, expiryGraceMs = 3000 }) {
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
  const reserveByRef = new Map(); // key -> original reserve record
  const finishByRes = new Map(); // reservationId -> [original release/consume records]
  for (const rec of originals) {
    if (rec.op === 'reserve') reserveByRef.set(rec.key, rec);
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
    const expiredWhenSent = rec.op === 'reserve' && f?.status === 400 && f.code === 'VALIDATION_FAILED' && rec.body?.expiresAt &&
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
    const got = entries.map((e) => [e.type, e.units]);
    if (shapeKey(got) !== shapeKey(expectedShape(r))) {
      fail('ledger-reconciles', `reservation ${r.id} (${r.status}, ${r.units} units, consumed ${r.consumed}): ledger ${shapeKey(got) || 'empty'}, expected ${shapeKey(expectedShape(r))}`);
    }
    if (entries.some((e) => e.authorization_id !== r.authorization_id)) fail('ledger-reconciles', `reservation ${r.id}: ledger entry on another authorization`);
    if (entries.length && entries[0].type !== 'RESERVE') fail('ledger-reconciles', `reservation ${r.id}: first ledger entry is ${entries[0].type}`);

    // Created by which request?
    const rec = reserveByRef.get(r.reference);
    if (!rec) {
      fail('nothing-unexplained', `reservation ${r.id} (reference ${r.reference}) matches no reserve request of the history`);
    } else {
      if (rec.userId !== r.created_by) fail('nothing-unexplained', `reservation ${r.id}: created by ${r.created_by}, the request was sent by ${rec.userId}`);
      if (rec.authorizationId !== r.authorization_id || rec.body.units !== r.units) {
        fail('nothing-unexplained', `reservation ${r.id} does not match its request (authorization/units)`, short(rec));
      }
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
    const entries = entriesByRes.get(row.id) ?? [];
    const count = (type) => entries.filter((e) => e.type === type).length;
    if (rec.op === 'reserve') {
      if (row.reference !== rec.key || row.authorization_id !== rec.authorizationId || row.units !== rec.body.units) {
        fail('acknowledged-exactly-once', `reserve ${answered.id}: row differs from the request`, short(rec));
      }
      if (answered.status !== 'SCHEDULED' || answered.units !== rec.body.units) fail('acknowledged-exactly-once', `reserve answered ${answered.status} ${answered.units}`, short(rec));
      if (count('RESERVE') !== 1) fail('acknowledged-exactly-once', `reserve ${answered.id}: ${count('RESERVE')} RESERVE entries`, short(rec));
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
      fail('idempotent-replays', `key ${rec.key}: answer received ≠ answer stored`, short(rec));
    }
  }
  for (const [id, recs] of ackedFinishers) {
    if (recs.length > 1) fail('acknowledged-exactly-once', `reservation ${id} left SCHEDULED for ${recs.length} acknowledged requests (${recs.map((r) => `${r.op} ${r.key}`).join(', ')})`);
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
      if (rec.op === 'reserve') applied = (resByRef.get(rec.key) ?? []).length > 0;
      else {
        const r = resById.get(rec.reservationId);
        applied = !!r && (rec.op === 'release' ? r.status === 'RELEASED' : r.status === 'CONSUMED');
      }
      info[applied ? 'unresolvedApplied' : 'unresolvedNotApplied']++;
    }
    if (rec.op !== 'reserve') {
      const entries = entriesByRes.get(rec.reservationId) ?? [];
      const terminal = entries.filter((e) => e.type !== 'RESERVE');
      if (terminal.filter((e) => e.type === 'CONSUME').length > 1 || terminal.filter((e) => e.type === 'RELEASE').length > 1 || terminal.length > 2) {
        fail('unknown-at-most-once', `${rec.op} ${rec.key} on ${rec.reservationId}: ledger ${shapeKey(entries.map((e) => [e.type, e.units]))}`, short(rec));
      }
    } else if ((resByRef.get(rec.key) ?? []).length === 1) {
      const row = resByRef.get(rec.key)[0];
      const n = (entriesByRes.get(row.id) ?? []).filter((e) => e.type === 'RESERVE').length;
      if (n !== 1) fail('unknown-at-most-once', `reserve ${rec.key}: ${n} RESERVE entries for ${row.id}`, short(rec));
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
    counts: { authorizations: snapshot.authorizations.length, reservations: snapshot.reservations.length, ledgerEntries: snapshot.ledger.length, storedAnswers: snapshot.answers.length },
  };
}

/** Reads the database at `databaseUrl` and checks the history against it. */
export async function runChecker({ databaseUrl, records, seedAuthorizations, expiryGraceMs }) {
  const snapshot = await loadSnapshotFromUrl(databaseUrl);
  return checkHistory({ records, snapshot, seedAuthorizations, expiryGraceMs });
}
