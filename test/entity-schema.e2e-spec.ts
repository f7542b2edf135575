import { MikroORM } from '@mikro-orm/postgresql';
import { ENTITIES } from '../src/entities';
import { startTestApp, TestApp } from './helpers/test-app';

/**
 * The entities are the one description of each table (issue 13 point 3): on a database migrated
 * by the service (src/database/migrations, the real schema), MikroORM's schema diff from the
 * entities the service registered (each module's `MikroOrmModule.forFeature`) is empty — so
 * `npx mikro-orm schema:update --dump` shows nothing and `migration:create` would write no
 * destructive migration — except for what MikroORM 6.6 cannot express or read back, listed here
 * with the reason. A change to an entity or a migration that the other does not follow fails here.
 */

/**
 * MikroORM 6.6 reads a CHECK's expression with `/^check \(\((.*)\)\)$/is` (PostgreSqlSchemaHelper
 * getAllChecks). PostgreSQL prints this one, a CASE, with a single pair of parentheses
 * (`CHECK (\nCASE … END)`), so MikroORM sees no expression and always proposes to re-create it,
 * with the same expression: harmless, but not empty. The entity declares it all the same.
 */
const UNREADABLE_CHECK = [
  // A second foreign key over authorization_id (with pooled) to a unique key that is not the primary
  // key: MikroORM 6.6 maps one relation per column and only to primary keys, so an entity cannot
  // declare it (migration 20261203000100 explains what it keeps equal).
  // The same for the composite foreign keys of migration 20261206000000 that tie a sole line and
  // its authorization together, and a cap to an authorization marked capped.
  'alter table "authorizations" drop constraint "authorizations_sole_line_fkey";',
  'alter table "authorization_lines" drop constraint "authorization_lines_pooled_fkey";',
  'alter table "authorization_lines" drop constraint "authorization_lines_sole_of_fkey";',
  'alter table "authorization_caps" drop constraint "authorization_caps_capped_fkey";',
  'alter table "ledger_entries" drop constraint ledger_entries_units_sign;',
  "alter table \"ledger_entries\" add constraint ledger_entries_units_sign check(case when type = 'ADJUST' then units <> 0 else units > 0 end);",
];

/**
 * What the schema has and an entity cannot say, so the diff never mentions it: the triggers of the
 * initial migration (a reservation leaves SCHEDULED once, the ledger is append-only) and the
 * fillfactors of migration 20261128000000 (room for HOT updates). Pinned here so that a new one
 * gets listed (and explained) rather than silently missing from the entities.
 */
// … and of migration 20261203000100 (SPEC §10): a cap changes only its units (carried to its
// buckets), a bucket matches its cap, an authorization's counters are the sums over its lines, a
// new line holds nothing.
const TRIGGERS = [
  'authorization_caps.authorization_caps_guard',
  'authorization_lines.authorization_lines_born_empty',
  'authorization_lines.authorization_lines_sum',
  'cap_buckets.cap_buckets_match_cap',
  'ledger_entries.ledger_entries_append_only',
  'ledger_entries.ledger_entries_no_truncate',
  'reservations.reservations_guard_transition',
];
const STORAGE_OPTIONS = ['authorization_lines: fillfactor=50', 'authorizations: fillfactor=50', 'cap_buckets: fillfactor=50', 'reservations: fillfactor=90'];

describe('Entities describe the migrated schema (MikroORM schema diff)', () => {
  let t: TestApp;
  let orm: MikroORM;

  beforeAll(async () => {
    t = await startTestApp();
    orm = t.app.get(MikroORM);
  });
  afterAll(() => t.close());

  const statements = async () =>
    (await orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false }))
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);

  it('the service registers every entity of src/entities.ts (the CLI list), and no other', () => {
    const registered = orm.getMetadata().getAll();
    const names = Object.values(registered)
      .filter((meta) => !meta.embeddable && !meta.virtual)
      .map((meta) => meta.className)
      .sort();
    expect(names).toEqual(ENTITIES.map((e) => e.name).sort());
  });

  it('the diff from the entities to the migrated database is empty but for the listed check MikroORM cannot read back', async () => {
    expect(await statements()).toEqual(UNREADABLE_CHECK);
  });

  it('what the entities cannot express is exactly the listed triggers and storage options', async () => {
    const triggers = await t.sql.query<{ name: string }>(
      `select c.relname || '.' || g.tgname as name from pg_trigger g join pg_class c on c.oid = g.tgrelid
       join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and not g.tgisinternal order by 1`,
    );
    expect(triggers.rows.map((r) => r.name)).toEqual(TRIGGERS);
    const options = await t.sql.query<{ name: string }>(
      `select c.relname || ': ' || array_to_string(c.reloptions, ',') as name from pg_class c
       join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.reloptions is not null order by 1`,
    );
    expect(options.rows.map((r) => r.name)).toEqual(STORAGE_OPTIONS);
  });

  it('the comparison is not blind: a constraint missing from the database shows up in the diff', async () => {
    await t.sql.query('alter table users drop constraint users_token_generation_check');
    try {
      expect(await statements()).toEqual([
        ...UNREADABLE_CHECK,
        'alter table "users" add constraint users_token_generation_check check(token_generation >= 0);',
      ]);
    } finally {
      await t.sql.query('alter table users add constraint users_token_generation_check check (token_generation >= 0)');
    }
    expect(await statements()).toEqual(UNREADABLE_CHECK);
  });
});
