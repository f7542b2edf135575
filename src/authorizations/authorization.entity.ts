import { Entity, Opt, PrimaryKey, Property } from '@mikro-orm/core';
import { newId } from '../shared/ids';

export type StoredAuthorizationStatus = 'PENDING' | 'ACTIVE' | 'CANCELLED';

@Entity({ tableName: 'authorizations' })
export class Authorization {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = newId();

  @Property({ type: 'uuid' })
  organizationId!: string;

  @Property({ type: 'text' })
  patientId!: string;

  @Property({ type: 'text', nullable: true })
  payer: (string & Opt) | null = null;

  @Property({ type: 'text' })
  authNumber!: string;

  @Property({ type: 'text' })
  serviceCode!: string;

  @Property({ type: 'integer' })
  totalUnits!: number;

  @Property({ type: 'integer' })
  usedUnits: number & Opt = 0;

  @Property({ type: 'integer' })
  scheduledUnits: number & Opt = 0;

  /** Calendar dates, YYYY-MM-DD. */
  @Property({ type: 'date' })
  startDate!: string;

  @Property({ type: 'date' })
  endDate!: string;

  /** The stored lifecycle status; clients see the effective one (authorization-status.ts). */
  @Property({ type: 'text' })
  status: StoredAuthorizationStatus & Opt = 'ACTIVE';

  @Property({ type: 'text', nullable: true })
  notes: (string & Opt) | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz' })
  updatedAt: Date & Opt = new Date();
}
