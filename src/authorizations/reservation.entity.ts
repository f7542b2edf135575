import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

export type ReservationStatus = 'SCHEDULED' | 'CONSUMED' | 'RELEASED' | 'EXPIRED';

@Entity({ tableName: 'reservations' })
export class Reservation {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'uuid' })
  authorizationId!: string;

  @Property({ type: 'uuid', hidden: true })
  organizationId!: string;

  @Property({ type: 'integer' })
  units!: number;

  @Property({ type: 'date' })
  serviceDate!: string;

  @Property({ type: 'text', nullable: true })
  reference: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  expiresAt: Date | null = null;

  @Property({ type: 'text' })
  status!: ReservationStatus;

  @Property({ type: 'integer' })
  consumedUnits: number = 0;

  @Property({ type: 'uuid', nullable: true })
  createdBy: string | null = null;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Property({ type: 'timestamptz' })
  updatedAt!: Date;
}
