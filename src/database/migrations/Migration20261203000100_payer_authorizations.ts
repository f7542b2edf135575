import { Migration } from '@mikro-orm/migrations';

/**
 * SPEC §10: authorizations shaped the way payers write them (design: docs/design-payer-authorizations.md).
 *
 * Every limit is a counter row with a row-local CHECK, so hand-written SQL cannot break one:
 * - a line (`authorization_lines`): `used + scheduled <= total`;
 * - the authorization: `used + scheduled <= total_units`, where `total_units` is the pool when one
 *   is set and the sum of the lines' totals otherwise (`authorizations_pool_is_total`); its
 *   counters are the sums over its lines (`authorization_lines_sum`, checked at the end of every
 *   statement that changes a line);
 * - a cap's bucket (`cap_buckets`, one row per cap and period): `used + scheduled <= cap_units`,
 *   `cap_units` being the cap's own units (`cap_buckets_match_cap`; a cap's new units cascade).
 *
 * Existing data: each authorization becomes one line (its code, no modifiers, its counters), with
 * a predictable id; reservations and ledger entries name that line, entries their service date.
 *
 * A reservation may now change its units and date while SCHEDULED (a move), but only by a statement
 * that also increments `revision`, which the service's move does and hand-written SQL does not.
 */
export class Migration20261203000100_payer_authorizations extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table authorizations
        alter column service_code drop not null,
        add column pool_units integer check (pool_units between 1 and 1000000),
        add column pooled boolean not null default false,
        add column lines_total_units integer,
        add constraint authorizations_pooled_check check (pooled = (pool_units is not null)),
        add constraint authorizations_id_pooled_key unique (id, pooled);

      create table authorization_lines (
        id uuid primary key,
        authorization_id uuid not null references authorizations (id) on delete cascade,
        organization_id uuid not null,
        service_code text not null check (service_code ~ '^[A-Z0-9]{4,8}$'),
        -- sorted, distinct, comma-joined: '' or 'HO' or 'HO,U1'
        modifiers text not null default '' check (modifiers ~ '^([A-Z0-9]{2}(,[A-Z0-9]{2}){0,3})?$'),
        total_units integer not null check (total_units between 1 and 1000000),
        used_units integer not null default 0,
        scheduled_units integer not null default 0,
        -- its authorization's, kept equal by the foreign key below: only the lines of a pool need the sum check
        pooled boolean not null default false,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint authorization_lines_pooled_fkey foreign key (authorization_id, pooled) references authorizations (id, pooled) on update cascade on delete cascade,
        constraint authorization_lines_nonnegative check (used_units >= 0 and scheduled_units >= 0),
        constraint authorization_lines_no_overbooking check (used_units + scheduled_units <= total_units),
        constraint authorization_lines_code_key unique (authorization_id, service_code, modifiers)
      ) with (fillfactor = 50);
      create index authorization_lines_code_idx on authorization_lines (organization_id, service_code, authorization_id);

      create table authorization_caps (
        id uuid primary key,
        authorization_id uuid not null references authorizations (id) on delete cascade,
        -- null: the cap counts every line of the authorization
        line_id uuid references authorization_lines (id) on delete cascade,
        period text not null check (period in ('DAY', 'WEEK', 'MONTH')),
        units integer not null check (units between 1 and 1000000)
      );
      create index authorization_caps_authorization_idx on authorization_caps (authorization_id, id);

      create table cap_buckets (
        cap_id uuid not null references authorization_caps (id) on delete cascade,
        period_start date not null,
        -- copies of the cap's, so that the CHECKs stay row-local (cap_buckets_match_cap keeps them equal)
        authorization_id uuid not null,
        period text not null,
        period_end date not null,
        cap_units integer not null,
        used_units integer not null default 0,
        scheduled_units integer not null default 0,
        primary key (cap_id, period_start),
        constraint cap_buckets_nonnegative check (used_units >= 0 and scheduled_units >= 0),
        constraint cap_buckets_within_cap check (used_units + scheduled_units <= cap_units),
        constraint cap_buckets_shape check (
             (period = 'DAY' and period_end = period_start)
          or (period = 'WEEK' and period_end = period_start + 6 and extract(dow from period_start) in (0, 1))
          or (period = 'MONTH' and extract(day from period_start) = 1 and period_end = (period_start + interval '1 month - 1 day')::date))
      ) with (fillfactor = 50);

      -- The first day of the period containing a date (weeks start on 'MONDAY' or 'SUNDAY').
      create function unit_period_start(period text, day date, week_starts_on text) returns date
        language sql immutable strict as $$
          select case period
            when 'DAY' then day
            when 'WEEK' then day - ((extract(isodow from day)::int - case week_starts_on when 'SUNDAY' then 7 else 1 end + 7) % 7)
            else date_trunc('month', day)::date
          end
        $$;

      alter table reservations add column line_id uuid, add column revision integer not null default 0;
      alter table ledger_entries add column line_id uuid, add column service_date date;

      -- Existing data: one line per authorization.
      insert into authorization_lines (id, authorization_id, organization_id, service_code, modifiers, total_units, used_units, scheduled_units, created_at, updated_at)
        select md5(a.id::text || ':line')::uuid, a.id, a.organization_id, a.service_code, '', a.total_units, a.used_units, a.scheduled_units, a.created_at, a.updated_at
        from authorizations a;
      update authorizations set lines_total_units = total_units;
      alter table authorizations
        alter column lines_total_units set not null,
        add constraint authorizations_lines_total_check check (lines_total_units between 1 and 20000000),
        add constraint authorizations_pool_is_total check (coalesce(pool_units, lines_total_units) = total_units);
      -- The one place that rewrites finished reservations and ledger entries: they gain the line (and
      -- date) they always had.
      alter table reservations disable trigger reservations_guard_transition;
      update reservations set line_id = md5(authorization_id::text || ':line')::uuid;
      alter table reservations enable trigger reservations_guard_transition;
      alter table reservations alter column line_id set not null;
      alter table ledger_entries disable trigger ledger_entries_append_only;
      update ledger_entries e set line_id = md5(e.authorization_id::text || ':line')::uuid,
        service_date = (select r.service_date from reservations r where r.id = e.reservation_id);
      alter table ledger_entries enable trigger ledger_entries_append_only;

      -- The pool is the one limit across rows: the counters of a pooled authorization are the sums
      -- over its lines, checked when one of its lines changes (a transaction that edits both by hand
      -- may defer it to its commit). Without a pool no limit spans rows (the authorization's total is
      -- the sum of the lines' totals, each line held to its own by its CHECK), so the check is skipped
      -- there (WHEN: no function call on the hot path); a line cannot claim to be unpooled under a
      -- pool (authorization_lines_pooled_fkey). A new line holds nothing, checked without reading any
      -- table, so that creating authorizations concurrently does not conflict under SERIALIZABLE. Any
      -- other difference between the counters and their lines breaks no limit and shows in the
      -- integrity checker's rollUpMismatches.
      create function authorization_lines_sum() returns trigger language plpgsql as $$
      begin
        if exists (
          select 1 from authorizations a
          cross join lateral (select sum(l.used_units)::int as used, sum(l.scheduled_units)::int as scheduled, sum(l.total_units)::int as total
                              from authorization_lines l where l.authorization_id = a.id) s
          where a.id = new.authorization_id
            and (a.used_units, a.scheduled_units, a.lines_total_units) is distinct from (s.used, s.scheduled, s.total)
        ) then
          raise exception 'the counters of authorization % differ from the sums over its lines', new.authorization_id
            using errcode = 'check_violation', constraint = 'authorization_lines_sum';
        end if;
        return null;
      end $$;
      create constraint trigger authorization_lines_sum after update on authorization_lines
        deferrable initially immediate for each row when (new.pooled) execute function authorization_lines_sum();
      create function authorization_lines_born_empty() returns trigger language plpgsql as $$
      begin
        if new.used_units <> 0 or new.scheduled_units <> 0 then
          raise exception 'a new line holds no units' using errcode = 'check_violation', constraint = 'authorization_lines_born_empty';
        end if;
        return new;
      end $$;
      create trigger authorization_lines_born_empty before insert on authorization_lines
        for each row execute function authorization_lines_born_empty();

      -- A bucket counts against its own cap's units, period and authorization, nothing else.
      create function cap_buckets_match_cap() returns trigger language plpgsql as $$
      begin
        if not exists (select 1 from authorization_caps c where c.id = new.cap_id and c.authorization_id = new.authorization_id
                       and c.period = new.period and c.units = new.cap_units) then
          raise exception 'bucket % of cap % does not match its cap', new.period_start, new.cap_id
            using errcode = 'check_violation', constraint = 'cap_buckets_match_cap';
        end if;
        return new;
      end $$;
      create trigger cap_buckets_match_cap before insert or update of cap_id, authorization_id, period, cap_units on cap_buckets
        for each row execute function cap_buckets_match_cap();

      -- A cap's units may change (its buckets follow, and their CHECK refuses a cap below what they hold); nothing else of it.
      create function authorization_caps_guard() returns trigger language plpgsql as $$
      begin
        if (new.id, new.authorization_id, new.line_id, new.period) is distinct from (old.id, old.authorization_id, old.line_id, old.period) then
          raise exception 'cap % may only change its units', old.id using errcode = 'check_violation';
        end if;
        update cap_buckets set cap_units = new.units where cap_id = new.id and cap_units <> new.units;
        return null;
      end $$;
      create trigger authorization_caps_guard after update on authorization_caps
        for each row execute function authorization_caps_guard();

      -- A reservation leaves SCHEDULED exactly once; its authorization, line and organization never
      -- change; while SCHEDULED its units and date may change by a move, which increments revision.
      create or replace function reservations_guard_transition() returns trigger language plpgsql as $$
      begin
        if old.status <> 'SCHEDULED' then
          raise exception 'reservation % already left SCHEDULED', old.id using errcode = 'check_violation';
        end if;
        if new.authorization_id <> old.authorization_id or new.organization_id <> old.organization_id or new.line_id <> old.line_id then
          raise exception 'reservation % keeps its authorization, line and organization', old.id using errcode = 'check_violation';
        end if;
        if (new.units, new.service_date) is distinct from (old.units, old.service_date)
           and (new.status <> 'SCHEDULED' or new.revision <> old.revision + 1) then
          raise exception 'reservation % changes its units or date only by a move', old.id using errcode = 'check_violation';
        end if;
        return new;
      end $$;
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      create or replace function reservations_guard_transition() returns trigger language plpgsql as $$
      begin
        if old.status <> 'SCHEDULED' then
          raise exception 'reservation % already left SCHEDULED', old.id using errcode = 'check_violation';
        end if;
        if new.units <> old.units or new.authorization_id <> old.authorization_id
           or new.organization_id <> old.organization_id then
          raise exception 'reservation % is immutable except for its status', old.id using errcode = 'check_violation';
        end if;
        return new;
      end $$;
      drop table cap_buckets;
      drop table authorization_caps;
      drop table authorization_lines;
      drop function unit_period_start;
      drop function authorization_lines_sum;
      drop function authorization_lines_born_empty;
      drop function cap_buckets_match_cap;
      drop function authorization_caps_guard;
      alter table ledger_entries drop column line_id, drop column service_date;
      alter table reservations drop column line_id, drop column revision;
      alter table authorizations drop constraint authorizations_pool_is_total, drop column pool_units, drop column pooled, drop column lines_total_units,
        alter column service_code set not null;
    `);
  }
}
