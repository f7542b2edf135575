import { randomBytes } from 'node:crypto';
import { HttpResult } from './helpers/http';
import { checkIntegrity, INTACT } from './helpers/ledger-check';
import { startTestApp, TestApp } from './helpers/test-app';
import { createAuthorization, createOrg, dayOffset, OrgWorld, PASSWORD, rootToken } from './helpers/world';

// SPEC §4 Idempotency: every state-changing POST accepts an Idempotency-Key (1–255 printable
// ASCII), scoped to the calling user; the first 2xx answer is stored with the change and replayed
// (same status, same body, `Idempotent-Replayed: true`); another method, path or body → 422
// IDEMPOTENCY_KEY_MISMATCH; concurrent repeats apply once, and (README "Idempotency") the second
// waits for the first and replays it — SPEC's alternative, 409 IDEMPOTENCY_KEY_IN_PROGRESS, is
// never produced by this service, so it is not accepted here; rejected requests store nothing.

const newKey = (label = 'k') => `${label}-${randomBytes(8).toString('hex')}`;

describe('idempotency: Idempotency-Key on every state-changing POST', () => {
  let t: TestApp;
  let root: string;
  let org: OrgWorld;
  const statuses: number[] = [];

  const post = async (path: string, token: string, body: unknown, key?: string): Promise<HttpResult> => {
    const res = await t.request('POST', path, { token, body, headers: key === undefined ? {} : { 'idempotency-key': key } });
    statuses.push(res.status);
    return res;
  };
  const reserve = (authId: string, body: unknown, key?: string, token = org.tokens.PRACTITIONER) =>
    post(`/api/v1/authorizations/${authId}/reservations`, token, body, key);
  const replayed = (res: HttpResult) => res.headers.get('idempotent-replayed');
  const ledgerOf = async (authId: string) =>
    (await t.request('GET', `/api/v1/authorizations/${authId}/ledger?limit=100`, { token: org.tokens.VIEWER })).body.items.map(
      (e: { type: string; units: number }) => `${e.type}:${e.units}`,
    );
  const authorization = async (authId: string) => (await t.request('GET', `/api/v1/authorizations/${authId}`, { token: org.tokens.VIEWER })).body;
  const storedKeys = async (key: string) =>
    (await t.sql.query('select count(*)::int as n from idempotency_keys where key = $1', [key])).rows[0].n as number;

  /** The first answer, then its replay: same status, same body, marked replayed; the first is not. */
  const expectReplay = (first: HttpResult, again: HttpResult, status: number) => {
    expect(first.status).toBe(status);
    expect(replayed(first)).toBeNull();
    expect(again.status).toBe(status);
    expect(replayed(again)).toBe('true');
    expect(again.body).toEqual(first.body);
  };

  beforeAll(async () => {
    t = await startTestApp();
    root = await rootToken(t.request);
    org = await createOrg(t.request, root);
  });
  afterAll(() => t.close());

  describe('a repeat returns the same status and body with Idempotent-Replayed: true, and applies once', () => {
    it('POST /authorizations/:id/reservations (201)', async () => {
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 50 });
      const key = newKey();
      const first = await reserve(auth.id, { units: 7, reference: 'appt-1' }, key);
      const again = await reserve(auth.id, { units: 7, reference: 'appt-1' }, key);
      const third = await reserve(auth.id, { reference: 'appt-1', units: 7 }, key); // same JSON, keys in another order
      expectReplay(first, again, 201);
      expectReplay(first, third, 201);
      expect(first.body.reservation).toMatchObject({ units: 7, status: 'SCHEDULED', reference: 'appt-1' });
      expect(await authorization(auth.id)).toMatchObject({ scheduledUnits: 7, availableUnits: 43 });
      expect(await ledgerOf(auth.id)).toEqual(['RESERVE:7']);
      expect(await storedKeys(key)).toBe(1);
    });

    it('POST /reservations/:id/consume (200)', async () => {
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 50 });
      const r = await reserve(auth.id, { units: 8 });
      const key = newKey();
      const path = `/api/v1/reservations/${r.body.reservation.id}/consume`;
      const first = await post(path, org.tokens.PRACTITIONER, { units: 5 }, key);
      const again = await post(path, org.tokens.PRACTITIONER, { units: 5 }, key);
      expectReplay(first, again, 200);
      expect(first.body.reservation).toMatchObject({ status: 'CONSUMED', consumedUnits: 5 });
      expect(await authorization(auth.id)).toMatchObject({ usedUnits: 5, scheduledUnits: 0, availableUnits: 45 });
      expect(await ledgerOf(auth.id)).toEqual(['RESERVE:8', 'CONSUME:5', 'RELEASE:3']);
    });

    it('POST /reservations/:id/consume without a body (200)', async () => {
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 50 });
      const r = await reserve(auth.id, { units: 4 });
      const key = newKey();
      const path = `/api/v1/reservations/${r.body.reservation.id}/consume`;
      const send = () => t.request('POST', path, { token: org.tokens.PRACTITIONER, headers: { 'idempotency-key': key } });
      const first = await send();
      const again = await send();
      statuses.push(first.status, again.status);
      expectReplay(first, again, 200);
      expect(await ledgerOf(auth.id)).toEqual(['RESERVE:4', 'CONSUME:4']);
    });

    it('POST /reservations/:id/release (200)', async () => {
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 50 });
      const r = await reserve(auth.id, { units: 6 });
      const key = newKey();
      const path = `/api/v1/reservations/${r.body.reservation.id}/release`;
      const first = await post(path, org.tokens.ADMIN, undefined, key);
      const again = await post(path, org.tokens.ADMIN, undefined, key);
      expectReplay(first, again, 200);
      expect(first.body.reservation.status).toBe('RELEASED');
      expect(await ledgerOf(auth.id)).toEqual(['RESERVE:6', 'RELEASE:6']);
      // Without the key, a second release is the business rule's 409, not a replay.
      const plain = await post(path, org.tokens.ADMIN, undefined);
      expect({ status: plain.status, code: plain.body.code }).toEqual({ status: 409, code: 'RESERVATION_NOT_SCHEDULED' });
    });

    it('POST /authorizations (201)', async () => {
      const key = newKey();
      const body = { patientId: 'p-idem', authNumber: `IDEM-${randomBytes(4).toString('hex')}`, serviceCode: '97153', totalUnits: 30, startDate: dayOffset(-1), endDate: dayOffset(30) };
      const first = await post('/api/v1/authorizations', org.tokens.ADMIN, body, key);
      const again = await post('/api/v1/authorizations', org.tokens.ADMIN, body, key);
      expectReplay(first, again, 201);
      const { rows } = await t.sql.query('select count(*)::int as n from authorizations where auth_number = $1', [body.authNumber]);
      expect(rows[0].n).toBe(1);
      // Without the key the same body is a new request: the authNumber is taken.
      const plain = await post('/api/v1/authorizations', org.tokens.ADMIN, body);
      expect({ status: plain.status, code: plain.body.code }).toEqual({ status: 409, code: 'AUTH_NUMBER_TAKEN' });
    });

    it('POST /organizations (201)', async () => {
      const key = newKey();
      const name = `Idem Org ${randomBytes(3).toString('hex')}`;
      const first = await post('/api/v1/organizations', root, { name }, key);
      const again = await post('/api/v1/organizations', root, { name }, key);
      expectReplay(first, again, 201);
      const { rows } = await t.sql.query('select count(*)::int as n from organizations where name = $1', [name]);
      expect(rows[0].n).toBe(1);
    });

    it('POST /users (201), the stored answer holding no password', async () => {
      const key = newKey();
      const body = { email: `idem-${randomBytes(4).toString('hex')}@example.com`, password: PASSWORD, role: 'VIEWER' };
      const first = await post('/api/v1/users', org.tokens.ADMIN, body, key);
      const again = await post('/api/v1/users', org.tokens.ADMIN, body, key);
      expectReplay(first, again, 201);
      expect(first.body).not.toHaveProperty('password');
      expect(first.body).not.toHaveProperty('passwordHash');
      const { rows } = await t.sql.query('select count(*)::int as n from users where email = $1', [body.email]);
      expect(rows[0].n).toBe(1);
      const stored = await t.sql.query('select response_body::text as body from idempotency_keys where key = $1', [key]);
      expect(stored.rows[0].body).not.toContain(PASSWORD);
      expect(stored.rows[0].body).not.toMatch(/argon2/);
    });

    it('a key 23 hours old still replays (keys are kept at least 24 hours)', async () => {
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 10 });
      const key = newKey();
      const first = await reserve(auth.id, { units: 2 }, key);
      await t.sql.query(`update idempotency_keys set created_at = now() - interval '23 hours' where key = $1`, [key]);
      const again = await reserve(auth.id, { units: 2 }, key);
      expectReplay(first, again, 201);
      expect(await ledgerOf(auth.id)).toEqual(['RESERVE:2']);
    });
  });

  describe('a replay returns the original stored answer even after its effect was changed', () => {
    it('reservation released after the reserve: the replay still shows it SCHEDULED with the old counters, and reserves nothing', async () => {
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 20 });
      const key = newKey();
      const first = await reserve(auth.id, { units: 4 }, key);
      expect(first.status).toBe(201);
      const release = await post(`/api/v1/reservations/${first.body.reservation.id}/release`, org.tokens.PRACTITIONER, undefined);
      expect(release.status).toBe(200);

      const again = await reserve(auth.id, { units: 4 }, key);
      expectReplay(first, again, 201);
      expect(again.body.reservation).toMatchObject({ status: 'SCHEDULED', units: 4 });
      expect(again.body.authorization).toMatchObject({ scheduledUnits: 4, availableUnits: 16 });
      expect(await authorization(auth.id)).toMatchObject({ scheduledUnits: 0, availableUnits: 20 });
      expect(await ledgerOf(auth.id)).toEqual(['RESERVE:4', 'RELEASE:4']);
      const now = await t.request('GET', `/api/v1/reservations/${first.body.reservation.id}`, { token: org.tokens.VIEWER });
      expect(now.body.status).toBe('RELEASED');
    });

    it('a reserve whose expiresAt has passed since: the repeat still replays (not a 400 for the past instant)', async () => {
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 20 });
      const key = newKey();
      const expiresAt = new Date(Date.now() + 400).toISOString();
      const first = await reserve(auth.id, { units: 3, expiresAt }, key);
      expect(first.status).toBe(201);
      // The scenario is the passing of time itself: wait until the instant is behind us.
      while (Date.now() <= Date.parse(expiresAt) + 50) await new Promise((r) => setTimeout(r, 25));
      const again = await reserve(auth.id, { units: 3, expiresAt }, key);
      expectReplay(first, again, 201);
      // Without the key, the same body is now refused: expiresAt must be in the future.
      const fresh = await reserve(auth.id, { units: 3, expiresAt });
      expect(fresh.status).toBe(400);
      expect(fresh.body.fields).toEqual([{ field: 'expiresAt', message: 'expiresAt must be in the future' }]);
      expect(await ledgerOf(auth.id)).toEqual(['RESERVE:3']);
    });

    it('authorization changed by PATCH after its creation: the replay shows the original', async () => {
      const key = newKey();
      const body = { patientId: 'p-orig', authNumber: `ORIG-${randomBytes(4).toString('hex')}`, serviceCode: '97155', totalUnits: 40, startDate: dayOffset(-1), endDate: dayOffset(30), notes: 'v1' };
      const first = await post('/api/v1/authorizations', org.tokens.ADMIN, body, key);
      const patched = await t.request('PATCH', `/api/v1/authorizations/${first.body.id}`, { token: org.tokens.ADMIN, body: { notes: 'v2', totalUnits: 45 } });
      expect(patched.status).toBe(200);
      const again = await post('/api/v1/authorizations', org.tokens.ADMIN, body, key);
      expectReplay(first, again, 201);
      expect(again.body).toMatchObject({ notes: 'v1', totalUnits: 40 });
    });
  });

  describe('the same key with another body or path → 422 IDEMPOTENCY_KEY_MISMATCH, changing nothing', () => {
    const expectMismatch = (res: HttpResult) => {
      expect({ status: res.status, body: res.body }).toEqual({
        status: 422,
        body: { statusCode: 422, error: 'Unprocessable Entity', message: expect.any(String), code: 'IDEMPOTENCY_KEY_MISMATCH' },
      });
      expect(replayed(res)).toBeNull();
    };

    it('another body on the same path', async () => {
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 50 });
      const key = newKey();
      expect((await reserve(auth.id, { units: 3 }, key)).status).toBe(201);
      expectMismatch(await reserve(auth.id, { units: 4 }, key));
      expectMismatch(await reserve(auth.id, { units: 3, reference: 'other' }, key));
      expect(await ledgerOf(auth.id)).toEqual(['RESERVE:3']);
      expect(await authorization(auth.id)).toMatchObject({ scheduledUnits: 3 });
    });

    it('the same body on another path (another authorization)', async () => {
      const a = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 50 });
      const b = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 50 });
      const key = newKey();
      expect((await reserve(a.id, { units: 3 }, key)).status).toBe(201);
      expectMismatch(await reserve(b.id, { units: 3 }, key));
      expect(await ledgerOf(b.id)).toEqual([]);
      expect(await authorization(b.id)).toMatchObject({ scheduledUnits: 0 });
    });

    it('a reserve key reused on release and consume of the reservation it created', async () => {
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 50 });
      const key = newKey();
      const r = await reserve(auth.id, { units: 3 }, key);
      expect(r.status).toBe(201);
      expectMismatch(await post(`/api/v1/reservations/${r.body.reservation.id}/release`, org.tokens.PRACTITIONER, undefined, key));
      expectMismatch(await post(`/api/v1/reservations/${r.body.reservation.id}/consume`, org.tokens.PRACTITIONER, { units: 3 }, key));
      const now = await t.request('GET', `/api/v1/reservations/${r.body.reservation.id}`, { token: org.tokens.VIEWER });
      expect(now.body.status).toBe('SCHEDULED');
      expect(await ledgerOf(auth.id)).toEqual(['RESERVE:3']);
    });

    it('an authorizations key reused on users and on a reservation', async () => {
      const key = newKey();
      const auth = await post('/api/v1/authorizations', org.tokens.ADMIN,
        { patientId: 'p-x', authNumber: `MM-${randomBytes(4).toString('hex')}`, serviceCode: '97153', totalUnits: 9, startDate: dayOffset(-1), endDate: dayOffset(9) }, key);
      expect(auth.status).toBe(201);
      const email = `mm-${randomBytes(4).toString('hex')}@example.com`;
      expectMismatch(await post('/api/v1/users', org.tokens.ADMIN, { email, password: PASSWORD, role: 'VIEWER' }, key));
      expectMismatch(await reserve(auth.body.id, { units: 1 }, key, org.tokens.ADMIN));
      const { rows } = await t.sql.query('select count(*)::int as n from users where email = $1', [email]);
      expect(rows[0].n).toBe(0);
      expect(await ledgerOf(auth.body.id)).toEqual([]);
    });
  });

  it('the key is scoped per user: another user with the same key and body gets a fresh result', async () => {
    const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 50 });
    const key = newKey('shared');
    const mine = await reserve(auth.id, { units: 5 }, key, org.tokens.PRACTITIONER);
    const theirs = await reserve(auth.id, { units: 5 }, key, org.tokens.ADMIN);
    expect(mine.status).toBe(201);
    expect(theirs.status).toBe(201);
    expect(replayed(theirs)).toBeNull();
    expect(theirs.body.reservation.id).not.toBe(mine.body.reservation.id);
    expect(theirs.body.reservation.createdBy).toBe(org.userIds.ADMIN);
    expect(await authorization(auth.id)).toMatchObject({ scheduledUnits: 10 });
    expect(await ledgerOf(auth.id)).toEqual(['RESERVE:5', 'RESERVE:5']);
    // And each still replays their own.
    const mineAgain = await reserve(auth.id, { units: 5 }, key, org.tokens.PRACTITIONER);
    expectReplay(mine, mineAgain, 201);
    // Another organization's user with the same key on their own authorization: fresh too.
    const other = await createOrg(t.request, root);
    const otherAuth = await createAuthorization(t.request, other.tokens.ADMIN, { totalUnits: 50 });
    const foreign = await reserve(otherAuth.id, { units: 5 }, key, other.tokens.PRACTITIONER);
    expect(foreign.status).toBe(201);
    expect(replayed(foreign)).toBeNull();
  });

  /** One first answer and 19 replays of it: the same status and body, marked replayed (docs/api.md, Idempotency: the second waits and replays). */
  const expectOneAppliedRestReplayed = (results: HttpResult[], status: number) => {
    expect(results.map((r) => r.status)).toEqual(Array(results.length).fill(status));
    const first = results.filter((r) => replayed(r) === null);
    expect(first).toHaveLength(1);
    expect(results.filter((r) => replayed(r) === 'true')).toHaveLength(results.length - 1);
    for (const r of results) expect(r.body).toEqual(first[0].body);
  };

  describe('concurrent requests with one key apply once; the others wait and replay the first answer', () => {
    it('20 concurrent reservations with the same key: one 201 and 19 replays of it, the units reserved exactly once', async () => {
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 100 });
      const key = newKey('race');
      const results = await Promise.all(Array.from({ length: 20 }, () => reserve(auth.id, { units: 7 }, key)));
      expectOneAppliedRestReplayed(results, 201);

      expect(await ledgerOf(auth.id)).toEqual(['RESERVE:7']);
      expect(await authorization(auth.id)).toMatchObject({ scheduledUnits: 7, availableUnits: 93 });
      const { rows } = await t.sql.query('select count(*)::int as n from reservations where authorization_id = $1', [auth.id]);
      expect(rows[0].n).toBe(1);
      expect(await storedKeys(key)).toBe(1);
      expect(await checkIntegrity(t.sql)).toEqual(INTACT);
    });

    it('20 concurrent organization creations with the same key: one 201 and 19 replays, one organization', async () => {
      const key = newKey('race-org');
      const name = `Race Org ${randomBytes(3).toString('hex')}`;
      const results = await Promise.all(Array.from({ length: 20 }, () => post('/api/v1/organizations', root, { name }, key)));
      expectOneAppliedRestReplayed(results, 201);
      const { rows } = await t.sql.query('select count(*)::int as n from organizations where name = $1', [name]);
      expect(rows[0].n).toBe(1);
    });

    it('20 concurrent consumes with the same key: one 200 and 19 replays of it, consumed once', async () => {
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 30 });
      const r = await reserve(auth.id, { units: 10 });
      const key = newKey('race-consume');
      const results = await Promise.all(
        Array.from({ length: 20 }, () => post(`/api/v1/reservations/${r.body.reservation.id}/consume`, org.tokens.PRACTITIONER, { units: 6 }, key)),
      );
      expectOneAppliedRestReplayed(results, 200);
      expect(results[0].body.reservation).toMatchObject({ status: 'CONSUMED', consumedUnits: 6 });
      expect(await ledgerOf(auth.id)).toEqual(['RESERVE:10', 'CONSUME:6', 'RELEASE:4']);
    });

    it('a first attempt whose outcome the client never learned (connection dropped mid-transaction) is replayed on retry', async () => {
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 50 });
      const key = newKey('lost');
      // Hold the authorization row so the first attempt waits inside its transaction.
      await t.sql.query('begin');
      await t.sql.query('select 1 from authorizations where id = $1 for update', [auth.id]);
      const controller = new AbortController();
      const lost = fetch(`${t.base}/api/v1/authorizations/${auth.id}/reservations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${org.tokens.PRACTITIONER}`, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ units: 9 }),
        signal: controller.signal,
      }).then(
        () => 'answered',
        (error: Error) => error.name,
      );
      let waiting = 0;
      for (let i = 0; i < 2000 && waiting === 0; i++) {
        const { rows } = await t.sql.query(
          `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`,
        );
        waiting = rows[0].n;
      }
      expect(waiting).toBe(1);
      controller.abort();
      expect(await lost).toBe('AbortError');
      await t.sql.query('commit');

      const retry = await reserve(auth.id, { units: 9 }, key);
      expect(retry.status).toBe(201);
      expect(replayed(retry)).toBe('true');
      expect(retry.body.reservation).toMatchObject({ units: 9, status: 'SCHEDULED' });
      expect(await ledgerOf(auth.id)).toEqual(['RESERVE:9']);
      expect(await authorization(auth.id)).toMatchObject({ scheduledUnits: 9 });
    });
  });

  describe('rejected requests store nothing: a repeat is evaluated afresh', () => {
    it('409 INSUFFICIENT_UNITS, then units are freed, then the same key succeeds', async () => {
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 10 });
      const blocker = await reserve(auth.id, { units: 8 });
      expect(blocker.status).toBe(201);
      const key = newKey('afresh');

      const refused = await reserve(auth.id, { units: 5 }, key);
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ code: 'INSUFFICIENT_UNITS', availableUnits: 2, requestedUnits: 5 });
      expect(replayed(refused)).toBeNull();
      expect(await storedKeys(key)).toBe(0);
      const refusedAgain = await reserve(auth.id, { units: 5 }, key);
      expect(refusedAgain.status).toBe(409);
      expect(refusedAgain.body.code).toBe('INSUFFICIENT_UNITS');
      expect(replayed(refusedAgain)).toBeNull();

      expect((await post(`/api/v1/reservations/${blocker.body.reservation.id}/release`, org.tokens.PRACTITIONER, undefined)).status).toBe(200);

      const accepted = await reserve(auth.id, { units: 5 }, key);
      expect(accepted.status).toBe(201);
      expect(replayed(accepted)).toBeNull();
      expect(accepted.body.authorization).toMatchObject({ scheduledUnits: 5, availableUnits: 5 });
      const replay = await reserve(auth.id, { units: 5 }, key);
      expectReplay(accepted, replay, 201);
      expect(await ledgerOf(auth.id)).toEqual(['RESERVE:8', 'RELEASE:8', 'RESERVE:5']);
      expect(await storedKeys(key)).toBe(1);
    });

    it('400 VALIDATION_FAILED stores nothing: the same key then takes a valid body (no 422)', async () => {
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 10 });
      const key = newKey('invalid-first');
      const invalid = await reserve(auth.id, { units: 0 }, key);
      expect({ status: invalid.status, code: invalid.body.code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
      expect(await storedKeys(key)).toBe(0);
      const valid = await reserve(auth.id, { units: 1 }, key);
      expect(valid.status).toBe(201);
      expect(replayed(valid)).toBeNull();
    });

    it('409 RESERVATION_NOT_SCHEDULED on consume stores nothing: the key is evaluated afresh on the next reservation', async () => {
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 10 });
      const r = await reserve(auth.id, { units: 2 });
      expect((await post(`/api/v1/reservations/${r.body.reservation.id}/release`, org.tokens.PRACTITIONER, undefined)).status).toBe(200);
      const key = newKey('not-scheduled');
      const path = `/api/v1/reservations/${r.body.reservation.id}/consume`;
      const first = await post(path, org.tokens.PRACTITIONER, {}, key);
      const second = await post(path, org.tokens.PRACTITIONER, {}, key);
      for (const res of [first, second]) {
        expect({ status: res.status, code: res.body.code }).toEqual({ status: 409, code: 'RESERVATION_NOT_SCHEDULED' });
        expect(replayed(res)).toBeNull();
      }
      expect(await storedKeys(key)).toBe(0);
    });

    it('409 EMAIL_TAKEN on users stores nothing', async () => {
      const email = `taken-${randomBytes(4).toString('hex')}@example.com`;
      expect((await post('/api/v1/users', org.tokens.ADMIN, { email, password: PASSWORD, role: 'VIEWER' })).status).toBe(201);
      const key = newKey('taken');
      const taken = await post('/api/v1/users', org.tokens.ADMIN, { email, password: PASSWORD, role: 'VIEWER' }, key);
      expect({ status: taken.status, code: taken.body.code }).toEqual({ status: 409, code: 'EMAIL_TAKEN' });
      expect(await storedKeys(key)).toBe(0);
    });
  });

  describe('invalid keys → 400 VALIDATION_FAILED naming Idempotency-Key, changing nothing', () => {
    const badKeys: [string, string][] = [
      ['empty', ''],
      ['256 characters', 'k'.repeat(256)],
      ['1,000 characters', 'k'.repeat(1000)],
      ['non-ASCII (é)', 'cl\u00e9-1'],
      ['non-ASCII (ÿ)', '\u00ff\u00ff'],
      ['a control character (tab) inside', 'a\tb'],
    ];

    it.each(badKeys)('on reservations POST: %s', async (_name, key) => {
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 10 });
      const res = await reserve(auth.id, { units: 1 }, key);
      expect({ status: res.status, body: res.body }).toEqual({
        status: 400,
        body: expect.objectContaining({ statusCode: 400, error: 'Bad Request', message: expect.any(String), code: 'VALIDATION_FAILED' }),
      });
      expect(res.body.fields.map((f: { field: string }) => f.field)).toContain('Idempotency-Key');
      expect(await ledgerOf(auth.id)).toEqual([]);
      expect(await authorization(auth.id)).toMatchObject({ scheduledUnits: 0 });
    });

    const routes: [string, () => [string, string, unknown]][] = [
      ['organizations POST', () => ['/api/v1/organizations', root, { name: `Bad Key Org ${randomBytes(3).toString('hex')}` }]],
      ['users POST', () => ['/api/v1/users', org.tokens.ADMIN, { email: `bk-${randomBytes(4).toString('hex')}@example.com`, password: PASSWORD, role: 'VIEWER' }]],
      ['authorizations POST', () => ['/api/v1/authorizations', org.tokens.ADMIN, { patientId: 'p', authNumber: `BK-${randomBytes(4).toString('hex')}`, serviceCode: '97153', totalUnits: 5, startDate: dayOffset(0), endDate: dayOffset(5) }]],
    ];
    it.each(routes)('on %s: an empty key and a 256-character key', async (_name, make) => {
      for (const key of ['', 'k'.repeat(256)]) {
        const [path, token, body] = make();
        const before = await t.sql.query('select (select count(*) from organizations) + (select count(*) from users) + (select count(*) from authorizations) as n');
        const res = await post(path, token, body, key);
        expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
        expect(res.body.fields.map((f: { field: string }) => f.field)).toContain('Idempotency-Key');
        const after = await t.sql.query('select (select count(*) from organizations) + (select count(*) from users) + (select count(*) from authorizations) as n');
        expect(after.rows[0].n).toBe(before.rows[0].n);
      }
    });

    it('on consume and release', async () => {
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 10 });
      const r = await reserve(auth.id, { units: 3 });
      for (const action of ['consume', 'release']) {
        const res = await post(`/api/v1/reservations/${r.body.reservation.id}/${action}`, org.tokens.PRACTITIONER, undefined, 'x'.repeat(256));
        expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
      }
      expect(await ledgerOf(auth.id)).toEqual(['RESERVE:3']);
    });

    it('the valid extremes are accepted: 1 character, 255 characters, every printable ASCII character', async () => {
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 10 });
      let printable = '';
      for (let c = 0x21; c <= 0x7e; c++) printable += String.fromCharCode(c);
      for (const key of ['1', 'k'.repeat(255), `${printable} with spaces inside ${randomBytes(2).toString('hex')}`]) {
        const first = await reserve(auth.id, { units: 1 }, key);
        const again = await reserve(auth.id, { units: 1 }, key);
        expectReplay(first, again, 201);
      }
      expect(await ledgerOf(auth.id)).toEqual(['RESERVE:1', 'RESERVE:1', 'RESERVE:1']);
    });
  });

  it('no response in this file had a status of 500 or more, and every account still reconciles', async () => {
    expect(statuses.length).toBeGreaterThan(100);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });
});
