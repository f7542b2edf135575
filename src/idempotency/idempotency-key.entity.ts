import { Entity, Opt, PrimaryKey, Property } from '@mikro-orm/core';

@Entity({ tableName: 'idempotency_keys' })
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

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();
}
