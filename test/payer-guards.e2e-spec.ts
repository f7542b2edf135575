// SPEC §10 "enforced in the database as well": hand-written SQL cannot break a line, the pool or a
// cap's bucket, nor reshape a bucket or a reservation behind the service's back (as
// database-guards.e2e-spec.ts does for the v1 invariant). Every refusal is SQLSTATE 23514, with the
// constraint's name where PostgreSQL reports one.
import { checkIntegrity, INTACT } from './helpers/ledger-check';
import { TestApp } from './helpers/test-app';
import { OrgWorld, startAppWithOrg } from './helpers/world';

describe('database guards for lines, pools and caps (hand-written SQL)', () => {
  let t: TestApp;
  let org: OrgWorld;
  let authId: string;
  let lineA: string;
  let lineB: string;
  let weekCap: string;
  let reservationId: string;

  const refusedBy = (constraint: string | undefined, sql: string, params: unknown[] = []) =>
    expect(t.sql.query(sql, params)).rejects.toMatchObject(constraint ? { code: '23514', constraint } : { code: '23514' });

  /** Every row of the authorization that these statements could touch, to show a refusal changed nothing. */
  const snapshot = async () => ({
    authorization: (await t.sql.query('select * from authorizations where id = $1', [authId])).rows,
    lines: (await t.sql.query('select * from authorization_lines where authorization_id = $1 order by id', [authId])).rows,
    caps: (await t.sql.query('select * from authorization_caps where authorization_id = $1 order by id', [authId])).rows,
    buckets: (await t.sql.query('select * from cap_buckets where authorization_id = $1 order by cap_id, period_start', [authId])).rows,
    reservations: (await t.sql.query('select * from reservations where authorization_id = $1 order by id', [authId])).rows,
  });
  let pristine: Awaited<ReturnType<typeof snapshot>>;

  beforeAll(async () => {
    ({ t, org } = await startAppWithOrg());
    // pool 50 over lines A (40, WEEK cap 10) and B (20); 5 units held on A and 2 on B in the week of 2026-03-02.
    const created = await t.request('POST', '/api/v1/authorizations', {
      token: org.tokens.ADMIN,
      body: {
        patientId: 'guards', authNumber: 'GUARDS-1', startDate: '2026-01-01', endDate: '2026-06-30', poolUnits: 50,
        lines: [{ serviceCode: '97153', totalUnits: 40, caps: [{ period: 'WEEK', units: 10 }] }, { serviceCode: '97155', totalUnits: 20 }],
      },
    });
    if (created.status !== 201) throw new Error(`create → ${created.status} ${created.text}`);
    authId = created.body.id;
    lineA = created.body.lines.find((l: any) => l.serviceCode === '97153').id;
    lineB = created.body.lines.find((l: any) => l.serviceCode === '97155').id;
    const reserve = (serviceCode: string, units: number) =>
      t.request('POST', `/api/v1/authorizations/${authId}/reservations`, { token: org.tokens.PRACTITIONER, body: { serviceCode, units, serviceDate: '2026-03-04' } });
    const a = await reserve('97153', 5);
    const b = await reserve('97155', 2);
    if (a.status !== 201 || b.status !== 201) throw new Error(`reserve → ${a.status} ${a.text} / ${b.status} ${b.text}`);
    reservationId = a.body.reservation.id;
    weekCap = (await t.sql.query('select id from authorization_caps where authorization_id = $1 and line_id = $2', [authId, lineA])).rows[0].id;
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
    pristine = await snapshot();
    expect(pristine.buckets).toEqual([expect.objectContaining({ cap_id: weekCap, period: 'WEEK', cap_units: 10, used_units: 0, scheduled_units: 5 })]);
  });
  afterAll(() => t.close({ integrity: false })); // rows are changed by hand on purpose here

  afterEach(async () => {
    await t.sql.query('rollback').catch(() => undefined); // a test that failed inside a transaction must not leave it open
  });

  it("a line's used + scheduled above its total is refused (authorization_lines_no_overbooking)", async () => {
    await refusedBy('authorization_lines_no_overbooking', 'update authorization_lines set scheduled_units = total_units + 1 where id = $1', [lineA]);
    await refusedBy('authorization_lines_no_overbooking', 'update authorization_lines set used_units = 19 where id = $1', [lineB]);
    await refusedBy('authorization_lines_no_overbooking', 'update authorization_lines set total_units = 4 where id = $1', [lineA]);
    await refusedBy('authorization_lines_nonnegative', 'update authorization_lines set scheduled_units = -1 where id = $1', [lineB]);
    expect(await snapshot()).toEqual(pristine);
  });

  it("a line's counters raised without the authorization's are refused at the statement's end (constraint trigger authorization_lines_sum)", async () => {
    await refusedBy('authorization_lines_sum', 'update authorization_lines set scheduled_units = scheduled_units + 1 where id = $1', [lineA]);
    await refusedBy('authorization_lines_sum', 'update authorization_lines set used_units = used_units + 1 where id = $1', [lineB]);
    await refusedBy('authorization_lines_sum', 'update authorization_lines set total_units = total_units + 1 where id = $1', [lineB]);
    // Deferred to the commit (as a transaction editing both by hand may do), the same edit alone is refused there.
    await t.sql.query('begin');
    await t.sql.query('set constraints authorization_lines_sum deferred');
    await t.sql.query('update authorization_lines set scheduled_units = scheduled_units + 1 where id = $1', [lineA]);
    await expect(t.sql.query('commit')).rejects.toMatchObject({ code: '23514', constraint: 'authorization_lines_sum' });
    expect(await snapshot()).toEqual(pristine);
  });

  it('a line of a pool cannot claim to be outside it (the sum check runs for pooled lines only): authorization_lines_pooled_fkey', async () => {
    const refusedByKey = (sql: string, params: unknown[]) =>
      expect(t.sql.query(sql, params)).rejects.toMatchObject({ code: '23503', constraint: 'authorization_lines_pooled_fkey' });
    await refusedByKey('update authorization_lines set pooled = false where id = $1', [lineA]);
    await refusedByKey('update authorization_lines set pooled = false, scheduled_units = scheduled_units + 3 where id = $1', [lineB]);
    await refusedByKey(
      `insert into authorization_lines (id, authorization_id, organization_id, service_code, total_units, pooled) values (gen_random_uuid(), $1, $2, 'ZZZZ', 5, false)`,
      [authId, org.id],
    );
    // Nor can the authorization drop its pool behind its lines' back: pooled follows pool_units (CHECK), and the lines follow pooled.
    await refusedBy('authorizations_pooled_check', 'update authorizations set pooled = false where id = $1', [authId]);
    expect(await snapshot()).toEqual(pristine);
  });

  it('line and authorization raised together beyond the pool are refused (authorizations_no_overbooking), in one statement or one transaction', async () => {
    // Each line within its own total (40 + 20), the authorization's scheduled = their sum = 60 > pool 50.
    await refusedBy(
      'authorizations_no_overbooking',
      `with l as (update authorization_lines set scheduled_units = total_units where authorization_id = $1 returning scheduled_units)
       update authorizations set scheduled_units = (select sum(scheduled_units) from l) where id = $1`,
      [authId],
    );
    await t.sql.query('begin');
    await t.sql.query('set constraints authorization_lines_sum deferred');
    await t.sql.query('update authorization_lines set scheduled_units = total_units where authorization_id = $1', [authId]);
    await expect(t.sql.query('update authorizations set scheduled_units = 60 where id = $1', [authId])).rejects.toMatchObject({
      code: '23514', constraint: 'authorizations_no_overbooking',
    });
    await t.sql.query('rollback');
    // The pool is the total while it is set; total_units cannot drift from it.
    await refusedBy('authorizations_pool_is_total', 'update authorizations set pool_units = 60 where id = $1', [authId]);
    await refusedBy('authorizations_pool_is_total', 'update authorizations set total_units = 60 where id = $1', [authId]);
    // The guards are not stricter than the invariant: both raised consistently within the pool pass (rolled back).
    await t.sql.query('begin');
    await t.sql.query(
      `with l as (update authorization_lines set scheduled_units = scheduled_units + 1 where id = $2 returning 1)
       update authorizations set scheduled_units = scheduled_units + 1 where id = $1 and exists (select 1 from l)`,
      [authId, lineA],
    );
    await t.sql.query('rollback');
    expect(await snapshot()).toEqual(pristine);
  });

  it("a bucket holding more than its cap_units is refused (cap_buckets_within_cap)", async () => {
    await refusedBy('cap_buckets_within_cap', 'update cap_buckets set scheduled_units = cap_units + 1 where cap_id = $1', [weekCap]);
    await refusedBy('cap_buckets_within_cap', 'update cap_buckets set used_units = 6 where cap_id = $1', [weekCap]);
    await refusedBy('cap_buckets_nonnegative', 'update cap_buckets set scheduled_units = -1 where cap_id = $1', [weekCap]);
    await refusedBy(
      'cap_buckets_within_cap',
      `insert into cap_buckets (cap_id, period_start, authorization_id, period, period_end, cap_units, scheduled_units)
       values ($1, '2026-03-09', $2, 'WEEK', '2026-03-15', 10, 11)`,
      [weekCap, authId],
    );
    expect(await snapshot()).toEqual(pristine);
  });

  it("a bucket whose cap_units (or period, or authorization) differs from its cap's is refused (cap_buckets_match_cap)", async () => {
    await refusedBy('cap_buckets_match_cap', 'update cap_buckets set cap_units = cap_units + 5 where cap_id = $1', [weekCap]);
    await refusedBy(
      'cap_buckets_match_cap',
      `insert into cap_buckets (cap_id, period_start, authorization_id, period, period_end, cap_units)
       values ($1, '2026-03-09', $2, 'WEEK', '2026-03-15', 11)`,
      [weekCap, authId],
    );
    await refusedBy(
      'cap_buckets_match_cap',
      `insert into cap_buckets (cap_id, period_start, authorization_id, period, period_end, cap_units)
       values ($1, '2026-03-01', $2, 'MONTH', '2026-03-31', 10)`,
      [weekCap, authId],
    );
    await refusedBy(
      'cap_buckets_match_cap',
      `insert into cap_buckets (cap_id, period_start, authorization_id, period, period_end, cap_units)
       values ($1, '2026-03-09', gen_random_uuid(), 'WEEK', '2026-03-15', 10)`,
      [weekCap],
    );
    expect(await snapshot()).toEqual(pristine);
  });

  it("lowering a cap's units below what a bucket holds is refused: the cascade to its buckets hits cap_buckets_within_cap", async () => {
    await refusedBy('cap_buckets_within_cap', 'update authorization_caps set units = 3 where id = $1', [weekCap]);
    expect(await snapshot()).toEqual(pristine);
    // A cap changes nothing but its units.
    await refusedBy(undefined, `update authorization_caps set period = 'MONTH' where id = $1`, [weekCap]);
    await refusedBy(undefined, 'update authorization_caps set line_id = $2 where id = $1', [weekCap, lineB]);
    // Down to exactly what the week holds is allowed, and the bucket follows (then restored).
    await t.sql.query('begin');
    await t.sql.query('update authorization_caps set units = 5 where id = $1', [weekCap]);
    const { rows } = await t.sql.query('select cap_units from cap_buckets where cap_id = $1', [weekCap]);
    expect(rows).toEqual([{ cap_units: 5 }]);
    await t.sql.query('rollback');
    expect(await snapshot()).toEqual(pristine);
  });

  it('a bucket of the wrong shape is refused (cap_buckets_shape): a WEEK from a Wednesday, a MONTH not from the 1st, a DAY of two days', async () => {
    const insert = (periodStart: string, period: string, periodEnd: string, capId = weekCap) =>
      refusedBy(
        'cap_buckets_shape',
        `insert into cap_buckets (cap_id, period_start, authorization_id, period, period_end, cap_units) values ($1, $2, $3, $4, $5, 10)`,
        [capId, periodStart, authId, period, periodEnd],
      );
    await insert('2026-03-04', 'WEEK', '2026-03-10'); // a Wednesday
    await insert('2026-03-09', 'WEEK', '2026-03-16'); // a Monday, but eight days
    await refusedBy('cap_buckets_shape', `update cap_buckets set period_start = '2026-03-04', period_end = '2026-03-10' where cap_id = $1`, [weekCap]);
    // Same checks for the other periods, on caps of their own (added and removed in a transaction).
    await t.sql.query('begin');
    await t.sql.query(`insert into authorization_caps (id, authorization_id, line_id, period, units) values
      ('00000000-0000-7000-8000-00000000c0d1', $1, null, 'DAY', 10), ('00000000-0000-7000-8000-00000000c0d2', $1, null, 'MONTH', 10)`, [authId]);
    await t.sql.query('savepoint s');
    for (const [capId, period, start, end] of [
      ['00000000-0000-7000-8000-00000000c0d1', 'DAY', '2026-03-04', '2026-03-05'],
      ['00000000-0000-7000-8000-00000000c0d2', 'MONTH', '2026-03-02', '2026-04-01'],
      ['00000000-0000-7000-8000-00000000c0d2', 'MONTH', '2026-02-01', '2026-03-01'],
    ]) {
      await expect(
        t.sql.query(`insert into cap_buckets (cap_id, period_start, authorization_id, period, period_end, cap_units) values ($1, $2, $3, $4, $5, 10)`, [capId, start, authId, period, end]),
      ).rejects.toMatchObject({ code: '23514', constraint: 'cap_buckets_shape' });
      await t.sql.query('rollback to savepoint s');
    }
    // the right shapes pass
    await t.sql.query(`insert into cap_buckets (cap_id, period_start, authorization_id, period, period_end, cap_units) values
      ('00000000-0000-7000-8000-00000000c0d1', '2026-03-04', $1, 'DAY', '2026-03-04', 10),
      ('00000000-0000-7000-8000-00000000c0d2', '2026-02-01', $1, 'MONTH', '2026-02-28', 10),
      ($2, '2026-03-08', $1, 'WEEK', '2026-03-14', 10)`, [authId, weekCap]);
    await t.sql.query('rollback');
    expect(await snapshot()).toEqual(pristine);
  });

  it('a SCHEDULED reservation changes its units or date only with revision + 1 (a move); never after it left SCHEDULED', async () => {
    await refusedBy(undefined, 'update reservations set units = 1 where id = $1', [reservationId]);
    await refusedBy(undefined, `update reservations set service_date = '2026-03-05' where id = $1`, [reservationId]);
    await refusedBy(undefined, 'update reservations set line_id = $2, revision = revision + 1 where id = $1', [reservationId, lineB]);
    expect(await snapshot()).toEqual(pristine);

    // The move's shape of statement is allowed while SCHEDULED.
    await t.sql.query('update reservations set units = units + 0, revision = revision + 1 where id = $1', [reservationId]);
    await t.sql.query(`update reservations set units = units - 1, service_date = '2026-03-05', revision = revision + 1 where id = $1`, [reservationId]);
    let { rows } = await t.sql.query('select units, service_date::text, revision from reservations where id = $1', [reservationId]);
    expect(rows).toEqual([{ units: 4, service_date: '2026-03-05', revision: 2 }]);
    // …but not a revision that skips or repeats.
    await refusedBy(undefined, 'update reservations set units = units + 1, revision = revision + 2 where id = $1', [reservationId]);
    await refusedBy(undefined, 'update reservations set units = units + 1 where id = $1', [reservationId]);
    // restore
    await t.sql.query(`update reservations set units = units + 1, service_date = '2026-03-04', revision = revision + 1 where id = $1`, [reservationId]);
    ({ rows } = await t.sql.query('select units, service_date::text, status from reservations where id = $1', [reservationId]));
    expect(rows).toEqual([{ units: 5, service_date: '2026-03-04', status: 'SCHEDULED' }]);

    // Once it has left SCHEDULED, not even a move.
    await t.sql.query('begin');
    await t.sql.query(`update reservations set status = 'RELEASED' where id = $1`, [reservationId]);
    await expect(t.sql.query('update reservations set units = units - 1, revision = revision + 1 where id = $1', [reservationId])).rejects.toMatchObject({ code: '23514' });
    await t.sql.query('rollback');
  });

  it('ledger entries keep their line and date (append-only)', async () => {
    await refusedBy(undefined, 'update ledger_entries set line_id = $2 where authorization_id = $1', [authId, lineB]);
    await refusedBy(undefined, `update ledger_entries set service_date = '2026-03-05' where authorization_id = $1`, [authId]);
  });

  // Migration 20261206000000: the only line of an authorization without a pool has no counters of its
  // own (its units are the authorization's, under authorizations_no_overbooking, same total).
  describe('a sole line', () => {
    let soleAuth: string;
    let soleLine: string;
    let otherAuth: string;
    let twoLines: string; // a line of an authorization with two lines and no pool
    const rows = async (id: string) => ({
      authorization: (await t.sql.query('select * from authorizations where id = $1', [id])).rows,
      lines: (await t.sql.query('select * from authorization_lines where authorization_id = $1 order by id', [id])).rows,
    });
    /** Refused at commit by a deferred foreign key: one of `constraints` (when both are broken, whichever PostgreSQL checks first). */
    const refusedByKey = async (constraints: string | string[], sql: string, params: unknown[]) => {
      const error = await t.sql.query(sql, params).then(() => undefined, (e: { code: string; constraint: string }) => e);
      expect({ code: error?.code, refusedByOneOf: [constraints].flat().includes(error?.constraint ?? '') }).toEqual({ code: '23503', refusedByOneOf: true });
    };

    beforeAll(async () => {
      const create = (authNumber: string) =>
        t.request('POST', '/api/v1/authorizations', {
          token: org.tokens.ADMIN,
          body: { patientId: 'guards', authNumber, serviceCode: '97153', totalUnits: 30, startDate: '2026-01-01', endDate: '2026-06-30' },
        });
      const [a, b] = [await create('SOLE-1'), await create('SOLE-2')];
      if (a.status !== 201 || b.status !== 201) throw new Error(`create → ${a.status} ${a.text} / ${b.status} ${b.text}`);
      [soleAuth, soleLine, otherAuth] = [a.body.id, a.body.lines[0].id, b.body.id];
      const two = await t.request('POST', '/api/v1/authorizations', {
        token: org.tokens.ADMIN,
        body: { patientId: 'guards', authNumber: 'TWO-1', startDate: '2026-01-01', endDate: '2026-06-30', lines: [{ serviceCode: '97153', totalUnits: 10 }, { serviceCode: '97155', totalUnits: 10 }] },
      });
      if (two.status !== 201) throw new Error(`create → ${two.status} ${two.text}`);
      twoLines = two.body.lines[0].id;
      const r = await t.request('POST', `/api/v1/authorizations/${soleAuth}/reservations`, { token: org.tokens.PRACTITIONER, body: { units: 7, serviceDate: '2026-03-04' } });
      if (r.status !== 201) throw new Error(`reserve → ${r.status} ${r.text}`);
    });

    it('is stored with null counters, its units on the authorization row', async () => {
      const { authorization, lines } = await rows(soleAuth);
      expect(authorization).toEqual([expect.objectContaining({ sole_line_id: soleLine, sole_line_modifiers: '', service_code: '97153', total_units: 30, scheduled_units: 7 })]);
      expect(lines).toEqual([expect.objectContaining({ id: soleLine, sole_of: soleAuth, total_units: 30, used_units: null, scheduled_units: null })]);
    });

    it('cannot be given counters of its own, nor hold units above its total through its authorization', async () => {
      const before = await rows(soleAuth);
      await refusedBy('authorization_lines_counted_once', 'update authorization_lines set used_units = 0, scheduled_units = 0 where id = $1', [soleLine]);
      await refusedBy('authorizations_no_overbooking', 'update authorizations set scheduled_units = 31 where id = $1', [soleAuth]);
      expect(await rows(soleAuth)).toEqual(before);
    });

    it("keeps its authorization's total, code and modifiers (authorizations_sole_line_fkey, checked at commit)", async () => {
      const before = await rows(soleAuth);
      await refusedByKey('authorizations_sole_line_fkey', 'update authorization_lines set total_units = 40 where id = $1', [soleLine]);
      await refusedByKey('authorizations_sole_line_fkey', 'update authorizations set total_units = 40, lines_total_units = 40 where id = $1', [soleAuth]);
      await refusedByKey('authorizations_sole_line_fkey', `update authorization_lines set modifiers = 'HO' where id = $1`, [soleLine]);
      await refusedByKey('authorizations_sole_line_fkey', `update authorizations set service_code = '97155' where id = $1`, [soleAuth]);
      // Both rows changed together, in one transaction, is how the service changes a total.
      await t.sql.query('begin');
      await t.sql.query('update authorizations set total_units = 40, lines_total_units = 40 where id = $1', [soleAuth]);
      await t.sql.query('update authorization_lines set total_units = 40 where id = $1', [soleLine]);
      await t.sql.query('rollback');
      expect(await rows(soleAuth)).toEqual(before);
    });

    it('is the line its authorization names, and no other line can pretend to be one', async () => {
      const before = [await rows(soleAuth), await rows(otherAuth)];
      // Another authorization's line named as this one's sole line.
      const otherLine = (await rows(otherAuth)).lines[0].id;
      await refusedByKey(['authorizations_sole_line_fkey', 'authorization_lines_sole_of_fkey'], 'update authorizations set sole_line_id = $2 where id = $1', [soleAuth, otherLine]);
      // The line of a pool, or of two lines, dropping its counters: never a sole line / its authorization does not name it.
      await refusedBy('authorization_lines_counted_once', 'update authorization_lines set used_units = null, scheduled_units = null where id = $1', [lineB]);
      await refusedBy('authorization_lines_counted_once', 'update authorization_lines set used_units = null, scheduled_units = null, sole_of = authorization_id where id = $1', [lineB]);
      await refusedByKey('authorization_lines_sole_of_fkey', 'update authorization_lines set used_units = null, scheduled_units = null, sole_of = authorization_id where id = $1', [twoLines]);
      // An authorization that stops naming its sole line leaves the line uncounted: refused.
      await refusedByKey('authorization_lines_sole_of_fkey', 'update authorizations set sole_line_id = null, sole_line_modifiers = null where id = $1', [soleAuth]);
      // Caps are read only for an authorization marked capped: a cap on an unmarked one, or unmarking one with caps, is refused.
      await refusedByKey('authorization_caps_capped_fkey', `insert into authorization_caps (id, authorization_id, period, units) values (gen_random_uuid(), $1, 'WEEK', 5)`, [soleAuth]);
      await refusedByKey('authorization_caps_capped_fkey', 'update authorizations set capped = false where id = $1', [authId]);
      // A pool cannot be put over a sole line.
      await refusedBy('authorizations_sole_line_check', 'update authorizations set pool_units = 30, pooled = true where id = $1', [soleAuth]);
      expect([await rows(soleAuth), await rows(otherAuth)]).toEqual(before);
    });
  });
});
