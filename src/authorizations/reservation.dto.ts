import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString } from 'class-validator';
import { IsCalendarDate, IsInstant, IsIntInRange, OptionalField, TextLength } from '../shared/http/validators';
import { AuthorizationResponse, PageQuery } from './authorization.dto';
import { ReservationStatus } from './reservation.entity';

const RESERVATION_STATUSES: ReservationStatus[] = ['SCHEDULED', 'CONSUMED', 'RELEASED', 'EXPIRED'];

export class CreateReservationDto {
  @ApiProperty({ minimum: 1, maximum: 1_000_000 })
  @IsIntInRange(1, 1_000_000)
  units!: number;

  @ApiPropertyOptional({ description: 'Defaults to today (UTC)', example: '2026-11-27' })
  @OptionalField()
  @IsCalendarDate()
  serviceDate?: string;

  @ApiPropertyOptional({ maxLength: 128, description: "The client's appointment id" })
  @OptionalField()
  @IsString()
  @TextLength(0, 128)
  reference?: string;

  @ApiPropertyOptional({ description: 'ISO-8601 instant with a time zone, in the future and at most 9999-12-31T23:59:59.999Z (UTC); the hold is released (EXPIRED) after it' })
  @OptionalField()
  @IsInstant()
  expiresAt?: string;
}

export class ConsumeReservationDto {
  @ApiPropertyOptional({ minimum: 0, maximum: 1_000_000, description: 'Defaults to all reserved units; the rest is released' })
  @OptionalField()
  @IsIntInRange(0, 1_000_000)
  units?: number;
}

export class ListReservationsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: RESERVATION_STATUSES })
  @OptionalField()
  @IsIn(RESERVATION_STATUSES)
  status?: ReservationStatus;
}

export class ReservationResponse {
  @ApiProperty() id!: string;
  @ApiProperty() authorizationId!: string;
  @ApiProperty() units!: number;
  @ApiProperty() serviceDate!: string;
  @ApiProperty({ nullable: true, type: String }) reference!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) expiresAt!: string | null;
  @ApiProperty({ enum: RESERVATION_STATUSES }) status!: ReservationStatus;
  @ApiProperty() consumedUnits!: number;
  @ApiProperty({ nullable: true, type: String }) createdBy!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class ReservationPage {
  @ApiProperty({ type: [ReservationResponse] }) items!: ReservationResponse[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class UnitOperationResponse {
  @ApiProperty() reservation!: ReservationResponse;
  @ApiProperty() authorization!: AuthorizationResponse;
}

export class LedgerEntryResponse {
  @ApiProperty() id!: number;
  @ApiProperty() authorizationId!: string;
  @ApiProperty({ nullable: true, type: String }) reservationId!: string | null;
  @ApiProperty({ enum: ['RESERVE', 'RELEASE', 'CONSUME', 'EXPIRE', 'ADJUST'] }) type!: string;
  @ApiProperty({ description: 'Positive; for ADJUST the signed change of totalUnits' }) units!: number;
  @ApiProperty() totalAfter!: number;
  @ApiProperty() usedAfter!: number;
  @ApiProperty() scheduledAfter!: number;
  @ApiProperty({ nullable: true, type: String }) actorId!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class LedgerPage {
  @ApiProperty({ type: [LedgerEntryResponse] }) items!: LedgerEntryResponse[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}
