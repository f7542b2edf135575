import { ApiProperty, ApiPropertyOptional, IntersectionType, OmitType } from '@nestjs/swagger';
import { IsIn, IsString, Matches } from 'class-validator';
import { IsCalendarDate, IsInstant, IsIntInRange, OptionalField, TextLength } from '../shared/http/validators';
import { PageQuery } from '../shared/http/page-query';
import { AuthorizationResponse, IsModifiers, SERVICE_CODE } from './authorization.dto';
import { ReservationStatus } from './reservation.entity';

const RESERVATION_STATUSES: ReservationStatus[] = ['SCHEDULED', 'CONSUMED', 'RELEASED', 'EXPIRED'];

/** The line a reservation names (SPEC §10): required on an authorization with several lines. */
export class LineChoiceDto {
  @ApiPropertyOptional({ example: '97153', pattern: SERVICE_CODE.source, description: "The line's service code; required when the authorization has several lines" })
  @OptionalField()
  @IsString()
  @Matches(SERVICE_CODE, { message: 'serviceCode must be 4-8 characters A-Z or 0-9' })
  serviceCode?: string;

  @ApiPropertyOptional({ type: [String], example: ['HO'], description: 'Order-insensitive; needed when two lines share the code' })
  @OptionalField()
  @IsModifiers()
  modifiers?: string[];
}

export class CreateReservationDto extends LineChoiceDto {
  @ApiProperty({ minimum: 1, maximum: 1_000_000 })
  @IsIntInRange(1, 1_000_000)
  units!: number;

  @ApiPropertyOptional({ description: "Defaults to the organization's today (its time zone)", example: '2026-11-27' })
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

/** Who and what a scheduling by patient is for (both required). */
class PatientServiceDto {
  @ApiProperty({ minLength: 1, maxLength: 128 })
  @IsString()
  @TextLength(1, 128)
  patientId!: string;

  @ApiProperty({ example: '97153', pattern: SERVICE_CODE.source })
  @IsString()
  @Matches(SERVICE_CODE, { message: 'serviceCode must be 4-8 characters A-Z or 0-9' })
  serviceCode!: string;
}

/** POST /reservations (SPEC §10): a reservation's fields, for a patient and code; the service picks the authorization. */
export class ReserveForPatientDto extends IntersectionType(PatientServiceDto, OmitType(CreateReservationDto, ['serviceCode'] as const)) {}

/** PATCH /reservations/:id (SPEC §10): what changes; what is absent stays. */
export class MoveReservationDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 1_000_000 })
  @OptionalField()
  @IsIntInRange(1, 1_000_000)
  units?: number;

  @ApiPropertyOptional({ example: '2026-11-27' })
  @OptionalField()
  @IsCalendarDate()
  serviceDate?: string;
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
  @ApiProperty({ description: 'The authorization line it holds units on' }) lineId!: string;
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
  @ApiProperty({ nullable: true, type: String, description: 'The line it moved units on; null for an ADJUST of the pool' }) lineId!: string | null;
  @ApiProperty({ nullable: true, type: String, description: "The reservation's service date; null for an ADJUST" }) serviceDate!: string | null;
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
