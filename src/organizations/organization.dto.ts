import { IsIntInRange, OptionalField, TextLength } from '../shared/http/validators';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, Matches, registerDecorator, ValidationOptions } from 'class-validator';
import { isIntlTimeZone } from '../shared/http/calendar';
import { WEEK_STARTS, WeekStart } from './organization.entity';

/** Bounds of the settings (SPEC §11); the table's CHECK constraints say the same. */
export const LOW_UNITS_PERCENT = { min: 1, max: 99 } as const;
export const EXPIRING_WITHIN_DAYS = { min: 1, max: 365 } as const;
export const TIME_ZONE_LENGTH = { min: 1, max: 64 } as const;

/**
 * A time zone name Intl knows. (That PostgreSQL knows it too — pg_timezone_names — is checked by
 * OrganizationsService in the transaction: the same 400 naming the field.)
 */
function IsIntlTimeZone(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isIntlTimeZone',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be an IANA time zone name such as America/New_York or UTC`, ...options },
      validator: { validate: (value: unknown) => typeof value === 'string' && isIntlTimeZone(value) },
    });
}

export class CreateOrganizationDto {
  @ApiProperty({ example: 'Sunrise ABA Therapy', minLength: 1, maxLength: 200 })
  @IsString()
  @TextLength(1, 200)
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;
}

/** PATCH /organizations/:id: the fields given change; an empty body changes nothing. */
export class UpdateOrganizationDto {
  @ApiPropertyOptional({ example: 'Sunrise ABA Therapy', minLength: 1, maxLength: 200 })
  @OptionalField()
  @IsString()
  @TextLength(1, 200)
  @Matches(/\S/, { message: 'name must not be blank' })
  name?: string;

  @ApiPropertyOptional({
    enum: WEEK_STARTS,
    description:
      'First day of the weeks WEEK caps count in. A change regroups the weekly buckets from the CONSUMED reservations; refused with 409 HAS_SCHEDULED_UNITS while a weekly cap holds scheduled units, and with 409 CAP_BELOW_HELD when a regrouped week would exceed its cap',
  })
  @OptionalField()
  @IsIn(WEEK_STARTS)
  weekStartsOn?: WeekStart;

  @ApiPropertyOptional({
    example: 'America/New_York',
    minLength: TIME_ZONE_LENGTH.min,
    maxLength: TIME_ZONE_LENGTH.max,
    description: "IANA time zone name (known to both Intl and PostgreSQL); the organization's today is its local date",
  })
  @OptionalField()
  @IsString()
  @TextLength(TIME_ZONE_LENGTH.min, TIME_ZONE_LENGTH.max)
  @IsIntlTimeZone()
  timeZone?: string;

  @ApiPropertyOptional({ minimum: LOW_UNITS_PERCENT.min, maximum: LOW_UNITS_PERCENT.max, description: 'authorization.low_units fires when available ÷ total falls to this percentage or below' })
  @OptionalField()
  @IsIntInRange(LOW_UNITS_PERCENT.min, LOW_UNITS_PERCENT.max)
  lowUnitsPercent?: number;

  @ApiPropertyOptional({ minimum: EXPIRING_WITHIN_DAYS.min, maximum: EXPIRING_WITHIN_DAYS.max, description: 'authorization.expiring fires this many days before endDate' })
  @OptionalField()
  @IsIntInRange(EXPIRING_WITHIN_DAYS.min, EXPIRING_WITHIN_DAYS.max)
  expiringWithinDays?: number;
}

export class OrganizationResponse {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: WEEK_STARTS }) weekStartsOn!: WeekStart;
  @ApiProperty({ example: 'UTC' }) timeZone!: string;
  @ApiProperty({ minimum: LOW_UNITS_PERCENT.min, maximum: LOW_UNITS_PERCENT.max }) lowUnitsPercent!: number;
  @ApiProperty({ minimum: EXPIRING_WITHIN_DAYS.min, maximum: EXPIRING_WITHIN_DAYS.max }) expiringWithinDays!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class OrganizationList {
  @ApiProperty({ type: [OrganizationResponse] }) items!: OrganizationResponse[];
}
