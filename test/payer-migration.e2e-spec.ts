import { MikroORM } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import { ENTITIES } from '../src/entities';
import { ormConfig } from '../src/database/orm-config';
import { checkIntegrity, INTACT } from './helpers/ledger-check';
import { createTestDatabase } from './helpers/test-app';

/**
 * Issue 14 point 2: a database created by the code before SPEC §10 (every migration up to the
 * organization settings), holding authorizations with reservations in every status and an
 * ADJUST, is migrated: each authorization becomes one line with its code and counters, every
 * reservation and ledger entry names that line (entries also their reservation's date), and the
 * whole database reconciles — lines and buckets included.
 */
describe('migration 20261203000100: existing authorizations become one line each', () => {
  let url: string;
  let orm: MikroORM;
  let sql: Client;

  beforeAll(async () => {
    url = await createTestDatabase();
    orm = await MikroORM.init(ormConfig(url, 2, ENTITIES));
    sql = new Client({ connectionString: url });
    await sql.connect();
  });
  afterAll(async () => {
    await sql?.end();
    await orm?.close(true);
  });

  it('migrates a populated database without losing or changing a unit', async () => {
    await orm.getMigrator().up({ to: 'Migration20261203000000_organization_settings' });
    await sql.query(`
      insert into organizations (id, name) values ('00000000-0000-7000-8000-000000000001', 'Old clinic');
      insert into authorizations (id, organization_id, patient_id, auth_number, service_code, total_units, used_units, scheduled_units, start_date, end_date, status)
      values ('00000000-0000-7000-8000-0000000000a1', '00000000-0000-7000-8000-000000000001', 'p1', 'A-1', '97153', 60, 3, 10, '2026-01-01', '2026-06-30', 'ACTIVE'),
             ('00000000-0000-7000-8000-0000000000a2', '00000000-0000-7000-8000-000000000001', 'p2', 'A-2', '97155', 20, 0, 0, '2026-01-01', '2026-03-31', 'PENDING');
      insert into reservations (id, authorization_id, organization_id, units, service_date, status, consumed_units, expires_at)
      values ('00000000-0000-7000-8000-0000000000b1', '00000000-0000-7000-8000-0000000000a1', '00000000-0000-7000-8000-000000000001', 10, '2026-02-02', 'SCHEDULED', 0, null),
             ('00000000-0000-7000-8000-0000000000b2', '00000000-0000-7000-8000-0000000000a1', '00000000-0000-7000-8000-000000000001', 5, '2026-02-03', 'CONSUMED', 3, null),
             ('00000000-0000-7000-8000-0000000000b3', '00000000-0000-7000-8000-0000000000a1', '00000000-0000-7000-8000-000000000001', 4, '2026-02-04', 'RELEASED', 0, null),
             ('00000000-0000-7000-8000-0000000000b4', '00000000-0000-7000-8000-0000000000a1', '00000000-0000-7000-8000-000000000001', 2, '2026-02-05', 'EXPIRED', 0, '2026-02-01T00:00:00Z');
      insert into ledger_entries (authorization_id, reservation_id, type, units, total_after, used_after, scheduled_after) values
        ('00000000-0000-7000-8000-0000000000a1', null, 'ADJUST', 10, 60, 0, 0),
        ('00000000-0000-7000-8000-0000000000a1', '00000000-0000-7000-8000-0000000000b1', 'RESERVE', 10, 60, 0, 10),
        ('00000000-0000-7000-8000-0000000000a1', '00000000-0000-7000-8000-0000000000b2', 'RESERVE', 5, 60, 0, 15),
        ('00000000-0000-7000-8000-0000000000a1', '00000000-0000-7000-8000-0000000000b2', 'CONSUME', 3, 60, 3, 12),
        ('00000000-0000-7000-8000-0000000000a1', '00000000-0000-7000-8000-0000000000b2', 'RELEASE', 2, 60, 3, 10),
        ('00000000-0000-7000-8000-0000000000a1', '00000000-0000-7000-8000-0000000000b3', 'RESERVE', 4, 60, 3, 14),
        ('00000000-0000-7000-8000-0000000000a1', '00000000-0000-7000-8000-0000000000b3', 'RELEASE', 4, 60, 3, 10),
        ('00000000-0000-7000-8000-0000000000a1', '00000000-0000-7000-8000-0000000000b4', 'RESERVE', 2, 60, 3, 12),
        ('00000000-0000-7000-8000-0000000000a1', '00000000-0000-7000-8000-0000000000b4', 'EXPIRE', 2, 60, 3, 10);
    `);
    const before = (await sql.query('select * from ledger_entries order by id')).rows;

    const applied = await orm.getMigrator().up({ to: 'Migration20261203000100_payer_authorizations' });
    expect(applied.map((m) => m.name)).toEqual(['Migration20261203000100_payer_authorizations']);

    const { rows: lines } = await sql.query(
      `select l.authorization_id, l.service_code, l.modifiers, l.total_units, l.used_units, l.scheduled_units, l.organization_id,
              l.id = md5(l.authorization_id::text || ':line')::uuid as predictable_id
       from authorization_lines l order by l.authorization_id`,
    );
    expect(lines).toEqual([
      { authorization_id: '00000000-0000-7000-8000-0000000000a1', service_code: '97153', modifiers: '', total_units: 60, used_units: 3, scheduled_units: 10, organization_id: '00000000-0000-7000-8000-000000000001', predictable_id: true },
      { authorization_id: '00000000-0000-7000-8000-0000000000a2', service_code: '97155', modifiers: '', total_units: 20, used_units: 0, scheduled_units: 0, organization_id: '00000000-0000-7000-8000-000000000001', predictable_id: true },
    ]);
    const { rows: totals } = await sql.query('select id, total_units, lines_total_units, pool_units, service_code from authorizations order by id');
    expect(totals).toEqual([
      { id: '00000000-0000-7000-8000-0000000000a1', total_units: 60, lines_total_units: 60, pool_units: null, service_code: '97153' },
      { id: '00000000-0000-7000-8000-0000000000a2', total_units: 20, lines_total_units: 20, pool_units: null, service_code: '97155' },
    ]);
    const { rows: unlinked } = await sql.query(
      `select (select count(*) from reservations r where r.line_id is distinct from md5(r.authorization_id::text || ':line')::uuid)::int as reservations,
              (select count(*) from ledger_entries e where e.line_id is distinct from md5(e.authorization_id::text || ':line')::uuid)::int as entries,
              (select count(*) from ledger_entries e join reservations r on r.id = e.reservation_id where e.service_date is distinct from r.service_date)::int as dates,
              (select count(*) from ledger_entries e where e.reservation_id is null and e.service_date is not null)::int as adjust_dates`,
    );
    expect(unlinked).toEqual([{ reservations: 0, entries: 0, dates: 0, adjust_dates: 0 }]);
    // The entries are the same entries (same ids, types, units, running values): only line and date were added.
    const after = (await sql.query('select * from ledger_entries order by id')).rows;
    expect(after.map(({ line_id, service_date, ...rest }) => rest)).toEqual(before);
    expect(await checkIntegrity(sql)).toEqual(INTACT);
    // And the ledger stays append-only after the one rewrite.
    await expect(sql.query('update ledger_entries set units = units')).rejects.toMatchObject({ code: '23514' });

    // Migration 20261206000000: each one-line authorization without a pool counts its line's units
    // on its own row alone; an authorization of two lines keeps their counters.
    await sql.query(`
      insert into authorizations (id, organization_id, patient_id, auth_number, service_code, total_units, lines_total_units, start_date, end_date, status)
      values ('00000000-0000-7000-8000-0000000000a3', '00000000-0000-7000-8000-000000000001', 'p3', 'A-3', null, 30, 30, '2026-01-01', '2026-06-30', 'ACTIVE');
      insert into authorization_lines (id, authorization_id, organization_id, service_code, modifiers, total_units) values
        ('00000000-0000-7000-8000-0000000000c1', '00000000-0000-7000-8000-0000000000a3', '00000000-0000-7000-8000-000000000001', '97153', '', 20),
        ('00000000-0000-7000-8000-0000000000c2', '00000000-0000-7000-8000-0000000000a3', '00000000-0000-7000-8000-000000000001', '97155', 'HO', 10);
    `);
    const next = await orm.getMigrator().up({ to: 'Migration20261206000000_sole_line_counters' });
    expect(next.map((m) => m.name)).toEqual(['Migration20261206000000_sole_line_counters']);
    const { rows: sole } = await sql.query(
      `select a.id, a.sole_line_id = l.id as names_its_line, a.sole_line_modifiers, l.sole_of = a.id as sole_of, l.used_units, l.scheduled_units
       from authorizations a join authorization_lines l on l.authorization_id = a.id order by a.id, l.id`,
    );
    expect(sole).toEqual([
      { id: '00000000-0000-7000-8000-0000000000a1', names_its_line: true, sole_line_modifiers: '', sole_of: true, used_units: null, scheduled_units: null },
      { id: '00000000-0000-7000-8000-0000000000a2', names_its_line: true, sole_line_modifiers: '', sole_of: true, used_units: null, scheduled_units: null },
      { id: '00000000-0000-7000-8000-0000000000a3', names_its_line: null, sole_line_modifiers: null, sole_of: null, used_units: 0, scheduled_units: 0 },
      { id: '00000000-0000-7000-8000-0000000000a3', names_its_line: null, sole_line_modifiers: null, sole_of: null, used_units: 0, scheduled_units: 0 },
    ]);
    expect(await checkIntegrity(sql)).toEqual(INTACT);
  });
});
