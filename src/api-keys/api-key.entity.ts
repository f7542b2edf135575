import { Check, Entity, Enum, Index, ManyToOne, Opt, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Organization } from '../organizations/organization.entity';
import { User } from '../users/user.entity';
import { API_KEY_ROLES, ApiKeyRole } from './api-key-rules';

/**
 * The `api_keys` table (migration 20261206100100): the SHA-256 of each key, never the key. Read and
 * written as plain SQL (api-key.repository.ts). The role check is the enum's `api_keys_role_check`.
 */
@Entity({ tableName: 'api_keys' })
@Unique({ name: 'api_keys_key_hash_key', properties: ['keyHash'] })
@Index({ name: 'api_keys_organization_idx', properties: ['organizationId', 'id'] })
@Index({ name: 'api_keys_created_by_idx', properties: ['createdBy'] })
@Check({ name: 'api_keys_name_check', expression: 'char_length(name) >= 1 and char_length(name) <= 100' })
@Check({ name: 'api_keys_key_hash_check', expression: "key_hash ~ '^[0-9a-f]{64}$'" })
export class ApiKey {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @ManyToOne(() => Organization, { mapToPk: true, fieldName: 'organization_id', foreignKeyName: 'api_keys_organization_id_fkey', updateRule: 'no action', deleteRule: 'no action' })
  organizationId!: string;

  @Property({ type: 'text' })
  name!: string;

  @Enum({ items: [...API_KEY_ROLES], nativeEnumName: undefined, type: 'text' })
  role!: ApiKeyRole;

  @Property({ type: 'text' })
  keyHash!: string;

  @ManyToOne(() => User, { mapToPk: true, fieldName: 'created_by', foreignKeyName: 'api_keys_created_by_fkey', updateRule: 'no action', deleteRule: 'cascade' })
  createdBy!: string;

  /** The creator's token generation when the key was made; the key is refused once theirs differs. */
  @Property({ type: 'integer' })
  creatorTokenGeneration!: number;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null = null;
}
