// Seeding through the API and the closed-loop clients that generate the history.
import crypto from 'node:crypto';
import { createHttpClient } from '../../loadtest/lib/http-client.mjs';
import { createApi, mapLimit } from '../../loadtest/lib/api.mjs';
import { authorizationPeriod } from '../../loadtest/lib/seed.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Small seeded PRNG, so that a run's choices can be reproduced with --seed. */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Two organizations; one PRACTITIONER per client (so no user comes near the per-user rate
 * limit, and Idempotency-Keys are scoped per client as well); per organization `hot`
 * authorizations of `hotUnits` (they run out: 409 INSUFFICIENT_UNITS is part of the mix) and
 * `large` ones of 100,000 units.
 */
export async function seed({ baseUrl, adminEmail, adminPassword, tag, clients, hot = 2, hotUnits = 40, large = 4, payer = true }) {
  const http = createHttpClient(baseUrl, { timeoutMs: 30000 });
  const api = createApi(http);
  try {
    const adminToken = await api.login(adminEmail, adminPassword);
    const orgs = [];
    for (const short of ['OrgA', 'OrgB']) {
      const org = await api.createOrganization(adminToken, `${short} (resilience ${tag})`);
      orgs.push({ id: org.id, short });
    }
    const users = await mapLimit(
      Array.from({ length: clients }, (_, i) => i),
      4,
      async (i) => {
        const org = orgs[i % orgs.length];
        const email = `res-practitioner${i}-${tag}@resilience.example.com`;
        const password = crypto.randomBytes(18).toString('base64url');
        const user = await api.createUser(adminToken, { email, password, role: 'PRACTITIONER', organizationId: org.id });
        const token = await api.login(email, password);
        return { index: i, id: user.id, email, token, orgId: org.id };
      },
    );
    const specs = [];
    for (const org of orgs) {
      for (let k = 0; k < hot; k++) specs.push({ org, totalUnits: hotUnits });
      for (let k = 0; k < large; k++) specs.push({ org, totalUnits: 100000 });
    }
    const authorizations = await mapLimit(specs, 4, async (spec, i) => {
      const created = await api.createAuthorization(adminToken, {
        organizationId: spec.org.id,
        patientId: `PAT-RES-${tag}-${i}`,
        authNumber: `RES-${spec.org.short}-${spec.totalUnits}-${tag}-${i}`.slice(0, 64),
        serviceCode: '97153',
        totalUnits: spec.totalUnits,
        ...authorizationPeriod(),
      });
      return { id: created.id, orgId: spec.org.id, totalUnits: spec.totalUnits };
    });
    // SPEC §10: per organization one patient with two payer-shaped authorizations (two lines each,
    // a WEEK cap on 97153; the one ending first with a pool, the other with a MONTH cap on the
    // whole authorization), for reservations naming a line and for scheduling by patient.
    if (payer) {
      for (const org of orgs) {
        const patientId = `PAT-RES-${tag}-${org.short}-P`;
        for (const shape of payerShapes()) {
          const created = await api.createAuthorization(adminToken, {
            organizationId: org.id,
            patientId,
            authNumber: `RES-${org.short}-${shape.name}-${tag}`.slice(0, 64),
            lines: shape.lines,
            ...(shape.poolUnits ? { poolUnits: shape.poolUnits } : {}),
            ...(shape.caps ? { caps: shape.caps } : {}),
            startDate: dayFromToday(-7),
            endDate: dayFromToday(shape.endsInDays),
          });
          authorizations.push({ id: created.id, orgId: org.id, totalUnits: created.totalUnits, patientId, payer: true, name: shape.name, lines: shape.lines.map((l) => ({ serviceCode: l.serviceCode, modifiers: l.modifiers ?? [] })) });
        }
      }
    }
    return { orgs, users, authorizations, adminToken };
  } finally {
    http.close();
  }
}

/** The two payer-shaped authorizations of each organization's patient (SPEC §10). */
export function payerShapes() {
  return [
    {
      name: 'P1', endsInDays: 60, poolUnits: 160,
      lines: [{ serviceCode: '97153', totalUnits: 400, caps: [{ period: 'WEEK', units: 24 }] }, { serviceCode: '97155', modifiers: ['HO'], totalUnits: 60 }],
    },
    {
      name: 'P2', endsInDays: 120, caps: [{ period: 'MONTH', units: 600 }],
      lines: [{ serviceCode: '97153', totalUnits: 100000, caps: [{ period: 'WEEK', units: 40 }] }, { serviceCode: '97155', modifiers: ['HO'], totalUnits: 100000 }],
    },
  ];
}

/** YYYY-MM-DD, `days` from today (UTC: the organizations' time zone). */
export function dayFromToday(days) {
  const d = new Date();
  d.setUTCHours(0, 0, 0, 0);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function pick(rng, arr) {
  return arr[Math.floor(rng() * arr.length)];
}

/**
 * Closed-loop clients. Each client sends its next request when the previous one is settled
 * (answered, or given up). The mix:
 *   reserve 1–4 units on an authorization of the client's organization (reference = key;
 *     a fraction with expiresAt in the near future);
 *   release or consume (0…units, or the default) of one of its own SCHEDULED reservations;
 *   sometimes both at once with two keys on one reservation (exactly one may win);
 *   a stale release/consume of a finished reservation (must be 409, change nothing);
 *   a deliberate replay of an acknowledged request with its key (same answer, replay header) —
 *     also of reservations with an expiresAt, after it passed, unless replayExpiring is false;
 *   hostile (issue 11): clients of the second organization send, as `hostileFraction` of their
 *     requests, a reservation with an expiresAt PostgreSQL cannot store (year 10000 in UTC). It
 *     must get 400 VALIDATION_FAILED, and nobody else may notice it (no-500 for everyone).
 */
export const UNSTORABLE_EXPIRES_AT = '9999-12-31T23:59:59-23:59';

export function startClients({ seedData, client, history, tag, durationMs, rng, expiringFraction = 0.1, expiresInMs = [1000, 4000], replayExpiring = true, hostileFraction = 0.05, spreadDays = 21, moveFraction = 0.12 }) {
  const stopAt = Date.now() + durationMs;
  let inflight = 0;
  // Service dates over a few weeks (today … today + spreadDays − 1), so that WEEK caps bind.
  const serviceDate = () => dayFromToday(Math.floor(rng() * spreadDays));

  const loop = async (user) => {
    const own = seedData.authorizations.filter((a) => a.orgId === user.orgId && !a.payer);
    const payerAuths = seedData.authorizations.filter((a) => a.orgId === user.orgId && a.payer);
    const patients = [...new Set(payerAuths.map((a) => a.patientId))];
    const scheduled = new Map(); // reservationId -> { units, expiresAt, serviceDate }
    const finished = [];
    const acked = [];
    let seq = 0;
    const key = () => `${tag}-c${user.index}-${++seq}`;
    const preferred = user.index;

    const send = async (fields) => {
      const rec = history.begin({ clientId: user.index, userId: user.id, ...fields });
      inflight++;
      try {
        await client.send(rec, user.token, preferred);
      } finally {
        inflight--;
      }
      if (rec.outcome === 'ack' && rec.replayOf === undefined && (replayExpiring || !rec.body?.expiresAt)) acked.push(rec);
      return rec;
    };

    const remember = (rec) => {
      if (rec.outcome === 'ack') {
        const r = rec.final.body.reservation;
        scheduled.set(r.id, { units: r.units, expiresAt: r.expiresAt, serviceDate: r.serviceDate });
      }
      return rec;
    };
    const maybeExpiring = (body) => {
      if (rng() < expiringFraction) {
        body.expiresAt = new Date(Date.now() + expiresInMs[0] + rng() * (expiresInMs[1] - expiresInMs[0])).toISOString();
      }
      return body;
    };
    // A line of a payer-shaped authorization: 97153 (WEEK cap) or 97155-HO, modifiers sometimes left out.
    const lineChoice = () => {
      const line = rng() < 0.7 ? { serviceCode: '97153' } : { serviceCode: '97155', modifiers: ['HO'] };
      if (line.modifiers && rng() < 0.5) delete line.modifiers;
      return line;
    };

    const reserve = () => {
      const k = key();
      const units = 1 + Math.floor(rng() * 4);
      const x = rng();
      if (payerAuths.length && x < 0.25) {
        // Scheduling by patient: the service picks the authorization (SPEC §10).
        const patientId = pick(rng, patients);
        const body = maybeExpiring({ patientId, ...lineChoice(), units, serviceDate: serviceDate(), reference: k });
        return send({ op: 'schedule', key: k, method: 'POST', path: '/api/v1/reservations', body, patientId }).then(remember);
      }
      if (payerAuths.length && x < 0.45) {
        // A reservation naming its line on a two-line authorization.
        const auth = pick(rng, payerAuths);
        const body = maybeExpiring({ ...lineChoice(), units, serviceDate: serviceDate(), reference: k });
        return send({ op: 'reserve', key: k, method: 'POST', path: `/api/v1/authorizations/${auth.id}/reservations`, body, authorizationId: auth.id }).then(remember);
      }
      const auth = pick(rng, own);
      const body = maybeExpiring({ units, reference: k });
      return send({ op: 'reserve', key: k, method: 'POST', path: `/api/v1/authorizations/${auth.id}/reservations`, body, authorizationId: auth.id }).then(remember);
    };

    // Moving a session: new units and/or date of one of its own SCHEDULED reservations, always
    // different from what the client knows it holds (a move of unknown outcome takes the
    // reservation out of the client's hands: what it holds is unknown then).
    const move = async (id) => {
      const cur = scheduled.get(id);
      const body = {};
      const kind = rng();
      if (kind < 0.75) {
        let d = serviceDate();
        if (d === cur.serviceDate) d = dayFromToday(spreadDays);
        body.serviceDate = d;
      }
      if (kind >= 0.5) {
        let u = 1 + Math.floor(rng() * 4);
        if (u === cur.units) u = (u % 4) + 1;
        body.units = u;
      }
      const k = key();
      const rec = await send({ op: 'move', key: k, method: 'PATCH', path: `/api/v1/reservations/${id}`, body, reservationId: id, from: { units: cur.units, serviceDate: cur.serviceDate } });
      if (rec.outcome === 'ack') {
        const r = rec.final.body.reservation;
        scheduled.set(id, { ...cur, units: r.units, serviceDate: r.serviceDate });
      } else if (rec.outcome === 'unknown') scheduled.delete(id);
      else if (rec.final?.code === 'RESERVATION_NOT_SCHEDULED') {
        scheduled.delete(id);
        finished.push(id);
      }
      return rec;
    };

    const finish = (op, reservationId, units) => {
      const k = key();
      const body = op === 'consume' && units !== undefined ? { units } : op === 'consume' ? {} : undefined;
      return send({ op, key: k, method: 'POST', path: `/api/v1/reservations/${reservationId}/${op}`, body, reservationId });
    };

    const consumeUnits = (units) => {
      const r = rng();
      return r < 0.3 ? undefined : r < 0.4 ? 0 : Math.floor(rng() * (units + 1));
    };

    const hostile = seedData.orgs.length > 1 && user.orgId === seedData.orgs[1].id;
    while (Date.now() < stopAt) {
      if (hostile && rng() < hostileFraction) {
        const auth = pick(rng, own);
        const k = key();
        await send({ op: 'reserve', key: k, method: 'POST', path: `/api/v1/authorizations/${auth.id}/reservations`, body: { units: 1, reference: k, expiresAt: UNSTORABLE_EXPIRES_AT }, authorizationId: auth.id, hostile: true });
        continue;
      }
      const r = rng();
      if (scheduled.size > 0 && r < moveFraction) {
        await move(pick(rng, [...scheduled.keys()]));
      } else if (scheduled.size > 0 && r < 0.42) {
        const ids = [...scheduled.keys()];
        const id = pick(rng, ids);
        const { units } = scheduled.get(id);
        scheduled.delete(id);
        if (rng() < 0.1) {
          // Two keys, one reservation, at the same time: one 200, one 409.
          const recs = await Promise.all([finish('release', id), finish('consume', id, consumeUnits(units))]);
          if (recs.every((x) => x.outcome !== 'unknown')) finished.push(id);
        } else {
          const rec = await finish(rng() < 0.5 ? 'release' : 'consume', id, consumeUnits(units));
          if (rec.outcome !== 'unknown') finished.push(id);
        }
      } else if (finished.length > 0 && r < 0.47) {
        await finish(rng() < 0.5 ? 'release' : 'consume', pick(rng, finished), undefined);
      } else if (acked.length > 0 && r < 0.52) {
        const orig = pick(rng, acked);
        await send({ op: orig.op, key: orig.key, method: orig.method, path: orig.path, body: orig.body, authorizationId: orig.authorizationId, reservationId: orig.reservationId, patientId: orig.patientId, replayOf: orig.id });
      } else {
        await reserve();
      }
    }
  };

  const done = Promise.all(seedData.users.map((u) => loop(u)));
  return { done, inflight: () => inflight, stopAt };
}

/**
 * Fault (d): many reservations sharing a few near expiry instants, created at once over both
 * instances; then, right around the expiry instant, clients try to release or consume some of
 * them (racing the sweepers: either the client wins with 200 or the sweep does and the
 * client gets 409).
 */
export async function expiryBurst({ seedData, client, history, tag, count, expireInMs = 3000, rng }) {
  const expiresAt = Date.now() + expireInMs;
  const instants = [expiresAt, expiresAt + 700].map((t) => new Date(t).toISOString());
  const items = Array.from({ length: count }, (_, i) => i);
  const created = [];
  await mapLimit(items, 24, async (i) => {
    const user = seedData.users[i % seedData.users.length];
    const auth = seedData.authorizations.filter((a) => a.orgId === user.orgId && !a.payer && a.totalUnits > 1000)[i % 4] ??
      seedData.authorizations.find((a) => a.orgId === user.orgId && !a.payer);
    // Never send a reservation whose expiry is (almost) here: it would be invalid (400).
    if (Date.parse(instants[i % 2]) - Date.now() < 400) return;
    const key = `${tag}-burst-${i}`;
    const rec = history.begin({
      clientId: `burst`, userId: user.id, op: 'reserve', key, method: 'POST',
      path: `/api/v1/authorizations/${auth.id}/reservations`, body: { units: 1 + (i % 3), reference: key, expiresAt: instants[i % 2] }, authorizationId: auth.id,
    });
    await client.send(rec, user.token, i);
    if (rec.outcome === 'ack') created.push({ user, id: rec.final.body.reservation.id, units: rec.final.body.reservation.units, expiresAt: Date.parse(instants[i % 2]) });
  });
  // Races at the expiry instant.
  const racers = created.filter(() => rng() < 0.25);
  await mapLimit(racers, 16, async (r, i) => {
    const wait = r.expiresAt - 60 + rng() * 120 - Date.now();
    if (wait > 0) await sleep(wait);
    const op = i % 2 ? 'release' : 'consume';
    const key = `${tag}-burst-race-${i}`;
    const rec = history.begin({
      clientId: 'burst', userId: r.user.id, op, key, method: 'POST', path: `/api/v1/reservations/${r.id}/${op}`,
      body: op === 'consume' ? {} : undefined, reservationId: r.id,
    });
    await client.send(rec, r.user.token, i);
  });
  return { created: created.length, racers: racers.length, lastExpiry: Date.parse(instants[1]) };
}
