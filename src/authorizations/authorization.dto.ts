import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsObject, IsOptional, IsString, IsUUID, Matches, registerDecorator, ValidateIf, ValidateNested, ValidationOptions } from 'class-validator';
import { PageQuery } from '../shared/http/page-query';
import { IsCalendarDate, IsIntInRange, OptionalField, TextLength } from '../shared/http/validators';
import { EFFECTIVE_STATUSES, EffectiveStatus } from './authorization-rules';
import { CAP_PERIODS, CapPeriod } from './authorization-cap.entity';
import { MAX_LINES } from './authorization-shape';

export const SERVICE_CODE = /^[A-Z0-9]{4,8}$/;
const MODIFIER = /^[A-Z0-9]{2}$/;

/** 0–4 distinct modifiers of two characters A-Z or 0-9 (SPEC §10). */
export function IsModifiers(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isModifiers',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be an array of 0 to 4 distinct codes of 2 characters A-Z or 0-9`, ...options },
      validator: {
        validate: (value: unknown) =>
          Array.isArray(value) && value.length <= 4 && value.every((m) => typeof m === 'string' && MODIFIER.test(m)) && new Set(value).size === value.length,
      },
    });
}

export class CapDto {
  @ApiProperty({ enum: CAP_PERIODS, description: 'The bucket: the service date, its week (the organization\'s weekStartsOn) or its calendar month' })
  @IsIn(CAP_PERIODS)
  period!: CapPeriod;

  @ApiProperty({ minimum: 1, maximum: 1_000_000 })
  @IsIntInRange(1, 1_000_000)
  units!: number;
}

/** Caps, at most one per period. */
const Caps = () => (target: object, propertyName: string) => {
  OptionalField()(target, propertyName);
  IsArray()(target, propertyName);
  ArrayMaxSize(3)(target, propertyName);
  // An array inside the array would pass ValidateNested (it validates nested arrays element-wise) and reach the service.
  IsObject({ each: true, message: `each value in ${propertyName} must be an object {period, units}` })(target, propertyName);
  ValidateNested({ each: true })(target, propertyName);
  Type(() => CapDto)(target, propertyName);
};

/** Validated when given, and required (as in v1) when the body has no `lines`. */
const RequiredWithoutLines = () => ValidateIf((body: { lines?: unknown }, value: unknown) => value !== undefined || body.lines === undefined);

export class CreateLineDto {
  @ApiProperty({ example: '97153', pattern: SERVICE_CODE.source })
  @IsString()
  @Matches(SERVICE_CODE, { message: 'serviceCode must be 4-8 characters A-Z or 0-9' })
  serviceCode!: string;

  @ApiPropertyOptional({ type: [String], example: ['HO'], description: '0-4 modifiers, order-insensitive' })
  @OptionalField()
  @IsModifiers()
  modifiers?: string[];

  @ApiProperty({ minimum: 1, maximum: 1_000_000 })
  @IsIntInRange(1, 1_000_000)
  totalUnits!: number;

  @ApiPropertyOptional({ type: [CapDto], description: 'Caps on this line, at most one per period' })
  @Caps()
  caps?: CapDto[];
}

export class UpdateLineDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 1_000_000, description: 'Adjusts the line (ledger ADJUST with its lineId)' })
  @OptionalField()
  @IsIntInRange(1, 1_000_000)
  totalUnits?: number;

  @ApiPropertyOptional({ type: [CapDto], description: "Replaces the line's caps" })
  @Caps()
  caps?: CapDto[];
}

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

  @ApiPropertyOptional({ example: '97153', pattern: SERVICE_CODE.source, description: 'The v1 shape: one line (with totalUnits); never with lines' })
  @RequiredWithoutLines()
  @IsString()
  @Matches(SERVICE_CODE, { message: 'serviceCode must be 4-8 characters A-Z or 0-9' })
  serviceCode?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1_000_000, description: 'The v1 shape: the one line\'s total (with serviceCode)' })
  @RequiredWithoutLines()
  @IsIntInRange(1, 1_000_000)
  totalUnits?: number;

  @ApiPropertyOptional({ type: [CreateLineDto], description: '1-20 lines, no two with the same code and modifier set; never with serviceCode/totalUnits' })
  @OptionalField()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_LINES)
  @IsObject({ each: true, message: 'each value in lines must be an object {serviceCode, modifiers?, totalUnits, caps?}' })
  @ValidateNested({ each: true })
  @Type(() => CreateLineDto)
  lines?: CreateLineDto[];

  @ApiPropertyOptional({ minimum: 1, maximum: 1_000_000, description: 'One total shared by all lines (with lines)' })
  @OptionalField()
  @IsIntInRange(1, 1_000_000)
  poolUnits?: number;

  @ApiPropertyOptional({ type: [CapDto], description: 'Caps counting all lines together, at most one per period' })
  @Caps()
  caps?: CapDto[];

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
  @ApiPropertyOptional({ minimum: 1, maximum: 1_000_000, description: 'Adjusts the authorized units (ledger ADJUST): the pool when set, else the single line; refused (400) with several lines and no pool' })
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

  @ApiPropertyOptional({ type: [CapDto], description: "Replaces the caps counting all lines together (a cap below what a period holds: 409 CAP_BELOW_HELD)" })
  @Caps()
  caps?: CapDto[];
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

export class CapResponse {
  @ApiProperty({ enum: CAP_PERIODS }) period!: CapPeriod;
  @ApiProperty() units!: number;
}

export class LineResponse {
  @ApiProperty() id!: string;
  @ApiProperty({ example: '97155' }) serviceCode!: string;
  @ApiProperty({ type: [String], example: ['HO'] }) modifiers!: string[];
  @ApiProperty() totalUnits!: number;
  @ApiProperty() usedUnits!: number;
  @ApiProperty() scheduledUnits!: number;
  @ApiProperty() availableUnits!: number;
  @ApiProperty({ type: [CapResponse] }) caps!: CapResponse[];
}

export class AuthorizationResponse {
  @ApiProperty() id!: string;
  @ApiProperty() organizationId!: string;
  @ApiProperty() patientId!: string;
  @ApiProperty({ nullable: true, type: String }) payer!: string | null;
  @ApiProperty() authNumber!: string;
  @ApiProperty({ nullable: true, type: String, description: 'Its single line\'s code; null with several lines' }) serviceCode!: string | null;
  @ApiProperty({ description: 'The pool when poolUnits is set, else the sum of the lines\' totals' }) totalUnits!: number;
  @ApiProperty({ description: 'Sum over the lines' }) usedUnits!: number;
  @ApiProperty({ description: 'Sum over the lines' }) scheduledUnits!: number;
  @ApiProperty({ description: 'The tightest of the pool and the lines together: min(totalUnits, Σ line totals) - usedUnits - scheduledUnits' }) availableUnits!: number;
  @ApiProperty() startDate!: string;
  @ApiProperty() endDate!: string;
  @ApiProperty({ enum: EFFECTIVE_STATUSES, description: 'Effective status, computed at read time' }) status!: EffectiveStatus;
  @ApiProperty({ nullable: true, type: String }) notes!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ nullable: true, type: Number, description: 'One total shared by all lines; null without a pool' }) poolUnits!: number | null;
  @ApiProperty({ type: () => [LineResponse] }) lines!: LineResponse[];
  @ApiProperty({ type: () => [CapResponse], description: 'Caps counting all lines together' }) caps!: CapResponse[];
}

export class AuthorizationPage {
  @ApiProperty({ type: [AuthorizationResponse] }) items!: AuthorizationResponse[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}
