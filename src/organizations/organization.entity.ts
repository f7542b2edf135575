import { Check, Entity, Opt, PrimaryKey, Property } from '@mikro-orm/core';
import { newId } from '../shared/ids';

/**
 * The `organizations` table as the migrations create it (src/database/migrations). The entities
 * describe every table exactly: test/entity-schema.e2e-spec.ts asserts MikroORM's schema diff
 * against a migrated database is empty. Check expressions are written as PostgreSQL reports them.
 */
@Entity({ tableName: 'organizations' })
@Check({ name: 'organizations_name_check', expression: 'char_length(name) >= 1 and char_length(name) <= 200' })
export class Organization {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = newId();

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();
}
