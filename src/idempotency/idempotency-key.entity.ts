import { Entity, Index, Opt, PrimaryKey, Property } from '@mikro-orm/core';

/** The `idempotency_keys` table as the migrations create it: `user_id` has no foreign key. */
@Entity({ tableName: 'idempotency_keys' })
@Index({ name: 'idempotency_keys_created_idx', properties: ['createdAt'] })
export class IdempotencyKey {
  @PrimaryKey({ type: 'uuid' })
  userId!: string;

  @PrimaryKey({ type: 'text' })
  key!: string;

  @Property({ type: 'text' })
  requestFingerprint!: string;

  @Property({ type: 'integer' })
  statusCode!: number;

  @Property({ type: 'json' })
  responseBody!: unknown;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();
}
