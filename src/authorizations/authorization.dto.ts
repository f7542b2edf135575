import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { IsCalendarDate } from '../shared/http/validators';
import { EFFECTIVE_STATUSES, EffectiveStatus } from './authorization-rules';

export const SERVICE_CODE = /^[A-Z0-9]{4,8}$/;

export class CreateAuthorizationDto {
  @ApiPropertyOptional({ description: 'SUPER_ADMIN only (required for them): the organization that owns it' })
  @IsOptional()
  @IsUUID()
  organizationId?: string;

  @ApiProperty({ minLength: 1, maxLength: 128, description: "The client's opaque patient reference" })
  @IsString()
  @Length(1, 128)
  patientId!: string;

  @ApiPropertyOptional({ maxLength: 128 })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  payer?: string;

  @ApiProperty({ minLength: 1, maxLength: 64, description: 'Unique within the organization' })
  @IsString()
  @Length(1, 64)
  authNumber!: string;

  @ApiProperty({ example: '97153', pattern: SERVICE_CODE.source })
  @IsString()
  @Matches(SERVICE_CODE, { message: 'serviceCode must be 4-8 characters A-Z or 0-9' })
  serviceCode!: string;

  @ApiProperty({ minimum: 1, maximum: 1_000_000 })
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  totalUnits!: number;

  @ApiProperty({ example: '2026-01-01' })
  @IsCalendarDate()
  startDate!: string;

  @ApiProperty({ example: '2026-06-30' })
  @IsCalendarDate()
  endDate!: string;

  @ApiPropertyOptional({ enum: ['PENDING', 'ACTIVE'], default: 'ACTIVE' })
  @IsOptional()
  @IsIn(['PENDING', 'ACTIVE'])
  status?: 'PENDING' | 'ACTIVE';

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  notes?: string;
}

export class UpdateAuthorizationDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 1_000_000, description: 'Adjusts the authorized units (ledger ADJUST)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  totalUnits?: number;

  @ApiPropertyOptional({ example: '2026-12-31' })
  @IsOptional()
  @IsCalendarDate()
  endDate?: string;

  @ApiPropertyOptional({ enum: ['PENDING', 'ACTIVE', 'CANCELLED'] })
  @IsOptional()
  @IsIn(['PENDING', 'ACTIVE', 'CANCELLED'])
  status?: 'PENDING' | 'ACTIVE' | 'CANCELLED';

  @ApiPropertyOptional({ maxLength: 2000, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  notes?: string;

  @ApiPropertyOptional({ maxLength: 128 })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  payer?: string;
}

/** Query strings arrive as text: `limit` is converted here, strictly (no "5abc", no 2.5). */
export const toLimit = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,4}$/.test(value) ? Number(value) : value);

export class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Transform(toLimit)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class ListAuthorizationsQuery extends PageQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 128)
  patientId?: string;

  @ApiPropertyOptional({ enum: EFFECTIVE_STATUSES, description: 'Effective status' })
  @IsOptional()
  @IsIn(EFFECTIVE_STATUSES)
  status?: EffectiveStatus;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Matches(SERVICE_CODE)
  serviceCode?: string;

  @ApiPropertyOptional({ description: 'SUPER_ADMIN only: one organization' })
  @IsOptional()
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
