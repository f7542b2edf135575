import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 14 point 10: the common authorization — one line, no pool — keeps one counter row again.
 *
 * Such a line's limit is its authorization's (same total), so its units are counted only on the
 * authorization row, whose CHECK `authorizations_no_overbooking` is that limit; the line row keeps
 * its identity (code, modifiers, total) and null counters. A reservation then reads and writes one
 * row, as before SPEC §10, instead of two.
 *
 * The authorization names that line (`sole_line_id`, with its modifiers; `service_code` is already
 * the single line's code) so the hot path needs no read of the lines. Two deferred foreign keys tie
 * the two rows together, so hand-written SQL cannot make them disagree:
 * - authorizations (sole_line_id, id, service_code, sole_line_modifiers, total_units) → the line with
 *   that id, of this authorization, with the same code, modifiers and total;
 * - authorization_lines (sole_of, id) → the authorization whose sole line it is: a line with null
 *   counters (`sole_of` set) is always its authorization's named sole line.
 * A pool's lines never are (their counters and the pool's differ). Deferred: the service changes the
 * two rows in one transaction (a new total, a second line), in either order.
 *
 * Likewise `capped` says whether an authorization may have caps (a cap requires it, by a foreign
 * key), so the hot path reads the caps of those only.
 *
 * Existing data: every unpooled one-line authorization whose line agrees with it becomes one; every
 * authorization with caps is marked capped.
 */
export class Migration20261206000000_sole_line_counters extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table authorization_lines
        alter column used_units drop not null,
        alter column scheduled_units drop not null,
        add column sole_of uuid,
        add constraint authorization_lines_sole_id_key unique (id, sole_of, service_code, modifiers, total_units),
        add constraint authorization_lines_counted_once check (
          (used_units is null) = (scheduled_units is null) and (used_units is null) = (sole_of is not null)
          and (sole_of is null or (sole_of = authorization_id and not pooled)));

      alter table authorizations
        add column sole_line_id uuid,
        add column sole_line_modifiers text,
        add constraint authorizations_sole_line_key unique (id, sole_line_id),
        add constraint authorizations_sole_line_check check (
          (sole_line_id is null) = (sole_line_modifiers is null)
          and (sole_line_id is null or (service_code is not null and not pooled))),
        add constraint authorizations_sole_line_fkey foreign key (sole_line_id, id, service_code, sole_line_modifiers, total_units)
          references authorization_lines (id, sole_of, service_code, modifiers, total_units) deferrable initially deferred;

      alter table authorization_lines
        add constraint authorization_lines_sole_of_fkey foreign key (sole_of, id)
          references authorizations (id, sole_line_id) on delete cascade deferrable initially deferred;

      -- Whether the authorization may have caps: only then does the hot path read them. A cap
      -- requires it (authorization_caps_capped_fkey), so an authorization marked uncapped has none.
      alter table authorizations
        add column capped boolean not null default false,
        add constraint authorizations_id_capped_key unique (id, capped);
      alter table authorization_caps
        add column capped boolean not null default true constraint authorization_caps_capped_check check (capped = true),
        add constraint authorization_caps_capped_fkey foreign key (authorization_id, capped) references authorizations (id, capped) on delete cascade;
      update authorizations a set capped = true where exists (select 1 from authorization_caps c where c.authorization_id = a.id);

      with sole as (
        select l.id as line_id, a.id as authorization_id, l.modifiers from authorizations a
        join authorization_lines l on l.authorization_id = a.id
        where not a.pooled and l.total_units = a.total_units and l.service_code = a.service_code
          and l.used_units = a.used_units and l.scheduled_units = a.scheduled_units
          and (select count(*) from authorization_lines o where o.authorization_id = a.id) = 1
      ), named as (
        update authorizations a set sole_line_id = s.line_id, sole_line_modifiers = s.modifiers from sole s where a.id = s.authorization_id
      )
      update authorization_lines l set used_units = null, scheduled_units = null, sole_of = s.authorization_id from sole s where l.id = s.line_id;
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      alter table authorization_caps drop constraint authorization_caps_capped_fkey, drop column capped;
      alter table authorizations drop constraint authorizations_id_capped_key, drop column capped;
      alter table authorization_lines drop constraint authorization_lines_sole_of_fkey, drop constraint authorization_lines_counted_once;
      alter table authorizations drop constraint authorizations_sole_line_fkey, drop constraint authorizations_sole_line_check,
        drop constraint authorizations_sole_line_key, drop column sole_line_id, drop column sole_line_modifiers;
      update authorization_lines l set used_units = a.used_units, scheduled_units = a.scheduled_units
        from authorizations a where l.sole_of = a.id;
      alter table authorization_lines drop constraint authorization_lines_sole_id_key,
        drop column sole_of, alter column used_units set not null, alter column scheduled_units set not null;
    `);
  }
}
