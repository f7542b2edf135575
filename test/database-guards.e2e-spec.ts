import { TestApp } from './helpers/test-app';
import { createAuthorization, OrgWorld, startAppWithOrg } from './helpers/world';

/** Defense in depth: the schema itself refuses what the service would never do. */
describe('database guards (hand-written SQL)', () => {
  let t: TestApp;
  let org: OrgWorld;
  let authId: string;
  let reservationId: string;

  beforeAll(async () => {
    ({ t, org } = await startAppWithOrg());
    authId = (await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 50 })).id;
    const res = await t.request('POST', `/api/v1/authorizations/${authId}/reservations`, { token: org.tokens.PRACTITIONER, body: { units: 20 } });
    reservationId = res.body.reservation.id;
  });
  afterAll(() => t.close({ integrity: false })); // rows are corrupted on purpose here

  const refused = (sql: string, params: unknown[] = []) => expect(t.sql.query(sql, params)).rejects.toMatchObject({ code: '23514' });

  it('an UPDATE that would overbook is rejected by a CHECK constraint', async () => {
    await expect(t.sql.query('update authorizations set scheduled_units = 51 where id = $1', [authId])).rejects.toMatchObject({
      code: '23514',
      constraint: 'authorizations_no_overbooking',
    });
    await refused('update authorizations set used_units = 31 where id = $1', [authId]);
    await refused('update authorizations set total_units = 19 where id = $1', [authId]);
  });

  it('negative counters are rejected', async () => {
    await refused('update authorizations set used_units = -1 where id = $1', [authId]);
    await refused('update authorizations set scheduled_units = -1, used_units = 0 where id = $1', [authId]);
  });

  it('the ledger is append-only: UPDATE, DELETE and TRUNCATE are refused', async () => {
    await refused('update ledger_entries set units = 1 where authorization_id = $1', [authId]);
    await refused('delete from ledger_entries where authorization_id = $1', [authId]);
    await refused('truncate ledger_entries cascade');
    const { rows } = await t.sql.query('select type, units from ledger_entries where authorization_id = $1', [authId]);
    expect(rows).toEqual([{ type: 'RESERVE', units: 20 }]);
  });

  it('a reservation leaves SCHEDULED once and never changes its units', async () => {
    await refused('update reservations set units = 1 where id = $1', [reservationId]);
    await t.sql.query(`update reservations set status = 'RELEASED' where id = $1`, [reservationId]);
    await refused(`update reservations set status = 'SCHEDULED' where id = $1`, [reservationId]);
    await refused(`update reservations set status = 'CONSUMED' where id = $1`, [reservationId]);
  });

  it('field rules hold in the schema too', async () => {
    await refused(`update authorizations set service_code = 'abc' where id = $1`, [authId]);
    await refused(`update authorizations set end_date = start_date - 1 where id = $1`, [authId]);
    await refused(`update authorizations set status = 'EXPIRED' where id = $1`, [authId]);
  });
});
