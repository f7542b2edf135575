import { Migration } from '@mikro-orm/migrations';

/**
 * The whole schema. The invariant of SPEC §1 lives here as CHECK constraints and triggers, so
 * that no code path, bug or hand-written SQL can overbook or rewrite history.
 */
export class Migration20261127000000_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table organizations (
        id uuid primary key,
        name text not null check (char_length(name) between 1 and 200),
        created_at timestamptz not null default now()
      );

      create table users (
        id uuid primary key,
        email text not null check (email = lower(email) and char_length(email) between 3 and 254),
        password_hash text not null,
        role text not null check (role in ('SUPER_ADMIN', 'ADMIN', 'PRACTITIONER', 'VIEWER')),
        organization_id uuid references organizations (id),
        active boolean not null default true,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint users_organization_matches_role check ((role = 'SUPER_ADMIN') = (organization_id is null))
      );
      create unique index users_email_key on users (email);
      create index users_organization_idx on users (organization_id, id);

      create table authorizations (
        id uuid primary key,
        organization_id uuid not null references organizations (id),
        patient_id text not null check (char_length(patient_id) between 1 and 128),
        payer text check (char_length(payer) <= 128),
        auth_number text not null check (char_length(auth_number) between 1 and 64),
        service_code text not null check (service_code ~ '^[A-Z0-9]{4,8}$'),
        total_units integer not null check (total_units between 1 and 1000000),
        used_units integer not null default 0,
        scheduled_units integer not null default 0,
        start_date date not null,
        end_date date not null,
        status text not null check (status in ('PENDING', 'ACTIVE', 'CANCELLED')),
        notes text check (char_length(notes) <= 2000),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint authorizations_used_nonnegative check (used_units >= 0),
        constraint authorizations_scheduled_nonnegative check (scheduled_units >= 0),
        constraint authorizations_no_overbooking check (used_units + scheduled_units <= total_units),
        constraint authorizations_period check (start_date <= end_date),
        constraint authorizations_auth_number_key unique (organization_id, auth_number)
      );
      create index authorizations_organization_idx on authorizations (organization_id, id);
      create index authorizations_patient_idx on authorizations (organization_id, patient_id, id);

      create table reservations (
        id uuid primary key,
        authorization_id uuid not null references authorizations (id),
        organization_id uuid not null references organizations (id),
        units integer not null check (units between 1 and 1000000),
        service_date date not null,
        reference text check (char_length(reference) <= 128),
        expires_at timestamptz,
        status text not null check (status in ('SCHEDULED', 'CONSUMED', 'RELEASED', 'EXPIRED')),
        consumed_units integer not null default 0,
        created_by uuid references users (id),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint reservations_consumed_within_units check (consumed_units between 0 and units),
        constraint reservations_consumed_only_when_consumed check (status = 'CONSUMED' or consumed_units = 0)
      );
      create index reservations_authorization_idx on reservations (authorization_id, id);
      create index reservations_expiry_idx on reservations (expires_at) where status = 'SCHEDULED' and expires_at is not null;

      -- A reservation leaves SCHEDULED exactly once; what it reserved never changes.
      create function reservations_guard_transition() returns trigger language plpgsql as $$
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
      create trigger reservations_guard_transition before update on reservations
        for each row execute function reservations_guard_transition();

      create table ledger_entries (
        id bigint generated always as identity primary key,
        authorization_id uuid not null references authorizations (id) on delete cascade,
        -- No foreign key to reservations, on purpose: its check would read the newest page of the
        -- reservations index, which every concurrent reservation writes, and SERIALIZABLE would
        -- report each such pair as a conflict. The entry and its reservation are written together.
        reservation_id uuid,
        type text not null check (type in ('RESERVE', 'RELEASE', 'CONSUME', 'EXPIRE', 'ADJUST')),
        units integer not null,
        total_after integer not null,
        used_after integer not null,
        scheduled_after integer not null,
        actor_id uuid,
        created_at timestamptz not null default now(),
        constraint ledger_entries_units_sign check (case when type = 'ADJUST' then units <> 0 else units > 0 end)
      );
      create index ledger_entries_authorization_idx on ledger_entries (authorization_id, id);

      -- Append-only. The one deletion allowed is the cascade of deleting an authorization that never
      -- had unit activity (its ledger then holds ADJUST entries only).
      create function ledger_entries_append_only() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' and not exists (select 1 from authorizations where id = old.authorization_id) then
          return old;
        end if;
        raise exception 'ledger_entries is append-only' using errcode = 'check_violation';
      end $$;
      create trigger ledger_entries_append_only before update or delete on ledger_entries
        for each row execute function ledger_entries_append_only();
      create function ledger_entries_no_truncate() returns trigger language plpgsql as $$
      begin
        raise exception 'ledger_entries is append-only' using errcode = 'check_violation';
      end $$;
      create trigger ledger_entries_no_truncate before truncate on ledger_entries
        for each statement execute function ledger_entries_no_truncate();

      create table idempotency_keys (
        user_id uuid not null,
        key text not null,
        request_fingerprint text not null,
        status_code integer not null,
        response_body jsonb not null,
        created_at timestamptz not null default now(),
        primary key (user_id, key)
      );
      create index idempotency_keys_created_idx on idempotency_keys (created_at);
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      drop table if exists idempotency_keys;
      drop table if exists ledger_entries;
      drop function if exists ledger_entries_append_only cascade;
      drop function if exists ledger_entries_no_truncate cascade;
      drop table if exists reservations;
      drop function if exists reservations_guard_transition cascade;
      drop table if exists authorizations;
      drop table if exists users;
      drop table if exists organizations;
    `);
  }
}
