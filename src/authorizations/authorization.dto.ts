import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { IsCalendarDate, IsIntInRange, OptionalField, TextLength } from '../shared/http/validators';
import { EFFECTIVE_STATUSES, EffectiveStatus } from './authorization-rules';

export const SERVICE_CODE = /^[A-Z0-9]{4,8}$/;

export class CreateAuthorizationDto {
  @ApiPropertyOptional({ description: 'SUPER_ADMIN only (required for them): the organization that owns it' })
  @OptionalField()
  @IsUUID()
  organizationId?: string;

  @ApiProperty({ minLength: 1, maxLength: 128, description: "The client's opaque patient reference" })
  @IsString()
  @TextLength(1, 128)
  patientId!: string;

  @ApiPropertyOptional({ maxLength: 128 })
  @OptionalField()
  @IsString()
  @TextLength(0, 128)
  payer?: string;

  @ApiProperty({ minLength: 1, maxLength: 64, description: 'Unique within the organization' })
  @IsString()
  @TextLength(1, 64)
  authNumber!: string;

  @ApiProperty({ example: '97153', pattern: SERVICE_CODE.source })
  @IsString()
  @Matches(SERVICE_CODE, { message: 'serviceCode must be 4-8 characters A-Z or 0-9' })
  serviceCode!: string;

  @ApiProperty({ minimum: 1, maximum: 1_000_000 })
  @IsIntInRange(1, 1_000_000)
  totalUnits!: number;

  @ApiProperty({ example: '2026-01-01' })
  @IsCalendarDate()
  startDate!: string;

  @ApiProperty({ example: '2026-06-30' })
  @IsCalendarDate()
  endDate!: string;

  @ApiPropertyOptional({ enum: ['PENDING', 'ACTIVE'], default: 'ACTIVE' })
  @OptionalField()
  @IsIn(['PENDING', 'ACTIVE'])
  status?: 'PENDING' | 'ACTIVE';

  @ApiPropertyOptional({ maxLength: 2000 })
  @OptionalField()
  @IsString()
  @TextLength(0, 2000)
  notes?: string;
}

export class UpdateAuthorizationDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 1_000_000, description: 'Adjusts the authorized units (ledger ADJUST)' })
  @OptionalField()
  @IsIntInRange(1, 1_000_000)
  totalUnits?: number;

  @ApiPropertyOptional({ example: '2026-12-31' })
  @OptionalField()
  @IsCalendarDate()
  endDate?: string;

  @ApiPropertyOptional({ enum: ['PENDING', 'ACTIVE', 'CANCELLED'] })
  @OptionalField()
  @IsIn(['PENDING', 'ACTIVE', 'CANCELLED'])
  status?: 'PENDING' | 'ACTIVE' | 'CANCELLED';

  @ApiPropertyOptional({ maxLength: 2000, nullable: true, description: 'null clears the notes' })
  @IsOptional()
  @IsString()
  @TextLength(0, 2000)
  notes?: string | null;

  @ApiPropertyOptional({ maxLength: 128, nullable: true, description: 'null clears the payer' })
  @IsOptional()
  @IsString()
  @TextLength(0, 128)
  payer?: string | null;
}

/** Query strings arrive as text: `limit` is converted here, strictly (no "5abc", no 2.5). */
export const toLimit = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,4}$/.test(value) ? Number(value) : value);

export class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @OptionalField()
  @Transform(toLimit)
  @IsIntInRange(1, 100)
  limit: number = 20;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @OptionalField()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class ListAuthorizationsQuery extends PageQuery {
  @ApiPropertyOptional()
  @OptionalField()
  @IsString()
  @TextLength(1, 128)
  patientId?: string;

  @ApiPropertyOptional({ enum: EFFECTIVE_STATUSES, description: 'Effective status' })
  @OptionalField()
  @IsIn(EFFECTIVE_STATUSES)
  status?: EffectiveStatus;

  @ApiPropertyOptional()
  @OptionalField()
  @IsString()
  @Matches(SERVICE_CODE)
  serviceCode?: string;

  @ApiPropertyOptional({ description: 'SUPER_ADMIN only: one organization' })
  @OptionalField()
  @IsUUID()
  organizationId?: string;
}

export class AuthorizationResponse {
  @ApiProperty() id!: string;
  @ApiProperty() organizationId!: string;
  @ApiProperty() patientId!: string;
  @ApiProperty({ nullable: true, type: String }) payer!: string | null;
  @ApiProperty() authNumber!: string;
  @ApiProperty() serviceCode!: string;
  @ApiProperty() totalUnits!: number;
  @ApiProperty() usedUnits!: number;
  @ApiProperty() scheduledUnits!: number;
  @ApiProperty({ description: 'totalUnits - usedUnits - scheduledUnits' }) availableUnits!: number;
  @ApiProperty() startDate!: string;
  @ApiProperty() endDate!: string;
  @ApiProperty({ enum: EFFECTIVE_STATUSES, description: 'Effective status, computed at read time' }) status!: EffectiveStatus;
  @ApiProperty({ nullable: true, type: String }) notes!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class AuthorizationPage {
  @ApiProperty({ type: [AuthorizationResponse] }) items!: AuthorizationResponse[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}
