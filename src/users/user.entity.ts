import { Check, Entity, Enum, Index, ManyToOne, Opt, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { newId } from '../shared/ids';
import { Role } from '../shared/auth/role';
import { Organization } from '../organizations/organization.entity';

/** The `users` table as the migrations create it (the role check is the enum's `users_role_check`). */
@Entity({ tableName: 'users' })
@Unique({ name: 'users_email_key', properties: ['email'] })
@Index({ name: 'users_organization_idx', properties: ['organizationId', 'id'] })
@Check({ name: 'users_email_check', expression: 'email = lower(email) and char_length(email) >= 3 and char_length(email) <= 254' })
@Check({ name: 'users_organization_matches_role', expression: "(role = 'SUPER_ADMIN') = (organization_id is null)" })
@Check({ name: 'users_token_generation_check', expression: 'token_generation >= 0' })
export class User {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = newId();

  /** Stored lower-cased: emails are unique case-insensitively. */
  @Property({ type: 'text' })
  email!: string;

  @Property({ type: 'text', hidden: true, lazy: true })
  passwordHash!: string;

  @Enum({ items: () => Role, nativeEnumName: undefined, type: 'text' })
  role!: Role;

  /** The organization's id (a foreign key; read and written as the id, never loaded as an entity). */
  @ManyToOne(() => Organization, {
    mapToPk: true,
    fieldName: 'organization_id',
    nullable: true,
    foreignKeyName: 'users_organization_id_fkey',
    updateRule: 'no action',
    deleteRule: 'no action',
  })
  organizationId: (string & Opt) | null = null;

  @Property({ type: 'boolean' })
  active: boolean & Opt = true;

  /**
   * Incremented when the user is deactivated or their role changes; an access token carries the
   * value it was issued under (claim `gen`) and is refused once they differ (issue 11 point 7).
   */
  @Property({ type: 'integer' })
  tokenGeneration: number & Opt = 0;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date & Opt = new Date();
}
