import { Entity, Opt, Enum, PrimaryKey, Property } from '@mikro-orm/core';
import { newId } from '../shared/ids';
import { Role } from '../shared/auth/role';

@Entity({ tableName: 'users' })
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

  @Property({ type: 'uuid', nullable: true })
  organizationId: (string & Opt) | null = null;

  @Property({ type: 'boolean' })
  active: boolean & Opt = true;

  /**
   * Incremented when the user is deactivated or their role changes; an access token carries the
   * value it was issued under (claim `gen`) and is refused once they differ (issue 11 point 7).
   */
  @Property({ type: 'integer' })
  tokenGeneration: number & Opt = 0;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date & Opt = new Date();
}
