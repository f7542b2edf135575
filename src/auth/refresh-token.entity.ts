import { Check, Entity, Index, ManyToOne, Opt, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { User } from '../users/user.entity';

/**
 * The `refresh_tokens` table (migration 20261206100000): one row per refresh token issued, kept as
 * the SHA-256 of the token. Read and written as plain SQL (refresh-token.repository.ts).
 */
@Entity({ tableName: 'refresh_tokens' })
@Unique({ name: 'refresh_tokens_token_hash_key', properties: ['tokenHash'] })
@Index({ name: 'refresh_tokens_family_idx', properties: ['familyId'] })
@Index({ name: 'refresh_tokens_user_idx', properties: ['userId', 'expiresAt'] })
@Check({ name: 'refresh_tokens_token_hash_check', expression: "token_hash ~ '^[0-9a-f]{64}$'" })
@Check({ name: 'refresh_tokens_expiry_check', expression: 'expires_at > created_at' })
export class RefreshToken {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  /** Every token descended from one login shares its family; a reuse revokes them all. */
  @Property({ type: 'uuid' })
  familyId!: string;

  @ManyToOne(() => User, { mapToPk: true, fieldName: 'user_id', foreignKeyName: 'refresh_tokens_user_id_fkey', updateRule: 'no action', deleteRule: 'cascade' })
  userId!: string;

  @Property({ type: 'text' })
  tokenHash!: string;

  /** The user's token generation at login; the token is refused once the user's differs. */
  @Property({ type: 'integer' })
  userTokenGeneration!: number;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  /** Set when the token was exchanged for the next one (rotation). */
  @Property({ type: 'timestamptz', nullable: true })
  usedAt: Date | null = null;

  /** Set when its family was revoked (logout, reuse, the user's tokens ended). */
  @Property({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null = null;
}
