import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsString, IsUUID } from 'class-validator';
import { CAP_PERIODS, CapPeriod } from '../authorizations/authorization-cap.entity';
import { PageQuery } from '../shared/http/page-query';
import { IsIntInRange, OptionalField, TextLength } from '../shared/http/validators';

export type UtilizationFlag = 'AT_RISK' | 'UNDER_UTILIZED';
export const UTILIZATION_FLAGS: UtilizationFlag[] = ['AT_RISK', 'UNDER_UTILIZED'];

/** Query strings arrive as text: integers are converted here, strictly (no "5abc", no 2.5, no -1). */
const toInteger = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : value);

export class ListUtilizationQuery extends PageQuery {
  @ApiPropertyOptional({ minLength: 1, maxLength: 128 })
  @OptionalField()
  @IsString()
  @TextLength(1, 128)
  patientId?: string;

  @ApiPropertyOptional({ enum: UTILIZATION_FLAGS, description: "Only authorizations with this flag (the authorization's own figures)" })
  @OptionalField()
  @IsIn(UTILIZATION_FLAGS)
  flag?: UtilizationFlag;

  @ApiPropertyOptional({ minimum: 0, maximum: 3650, description: "Only authorizations whose endDate is from the organization's today through today + this many days" })
  @OptionalField()
  @Transform(toInteger)
  @IsIntInRange(0, 3650)
  endingWithinDays?: number;

  @ApiPropertyOptional({ description: 'SUPER_ADMIN only: one organization' })
  @OptionalField()
  @IsUUID()
  organizationId?: string;
}

export class UtilizationBucketResponse {
  @ApiProperty({ example: '2026-12-07' }) periodStart!: string;
  @ApiProperty({ example: '2026-12-13', description: 'Inclusive' }) periodEnd!: string;
  @ApiProperty() capUnits!: number;
  @ApiProperty({ description: 'Used and scheduled units counted in this period' }) heldUnits!: number;
  @ApiProperty({ description: 'capUnits - heldUnits' }) availableUnits!: number;
}

export class UtilizationCapResponse {
  @ApiProperty({ enum: CAP_PERIODS }) period!: CapPeriod;
  @ApiProperty() units!: number;
  @ApiProperty({ type: [UtilizationBucketResponse], description: "The period containing the organization's today, then the next three" })
  buckets!: UtilizationBucketResponse[];
}

export class UtilizationFiguresResponse {
  @ApiProperty() totalUnits!: number;
  @ApiProperty() usedUnits!: number;
  @ApiProperty() scheduledUnits!: number;
  @ApiProperty() availableUnits!: number;
  @ApiProperty({ minimum: 0, maximum: 100, description: 'usedUnits / totalUnits × 100, one decimal' }) percentUsed!: number;
  @ApiProperty({ minimum: 0, maximum: 100, description: 'Days from startDate through today ÷ days from startDate through endDate (both counted) × 100, within 0–100, one decimal' })
  percentElapsed!: number;
  @ApiProperty({ description: 'Units consumed with a serviceDate in today−27..today, ÷ 4' }) burnRatePerWeek!: number;
  @ApiProperty({ nullable: true, type: String, example: '2027-03-01', description: 'today + ceil((totalUnits − usedUnits) ÷ burnRatePerWeek × 7) days; null when the burn rate is 0' })
  projectedExhaustionDate!: string | null;
  @ApiProperty({ enum: UTILIZATION_FLAGS, isArray: true, description: 'AT_RISK: projected exhaustion before endDate; UNDER_UTILIZED: percentUsed more than 20 points below percentElapsed' })
  flags!: UtilizationFlag[];
}

export class UtilizationLineResponse extends UtilizationFiguresResponse {
  @ApiProperty() lineId!: string;
  @ApiProperty({ example: '97153' }) serviceCode!: string;
  @ApiProperty({ type: [String], example: ['HO'] }) modifiers!: string[];
  @ApiProperty({ type: [UtilizationCapResponse], description: "The line's own caps" }) caps!: UtilizationCapResponse[];
}

export class UtilizationResponse extends UtilizationFiguresResponse {
  @ApiProperty() authorizationId!: string;
  @ApiProperty({ example: '2026-12-06', description: "The organization's today (its time zone), the day the figures are as of" }) asOf!: string;
  @ApiProperty({ type: UtilizationFiguresResponse, nullable: true, description: 'The pool shared by the lines; null without poolUnits' })
  pool!: UtilizationFiguresResponse | null;
  @ApiProperty({ type: [UtilizationLineResponse] }) lines!: UtilizationLineResponse[];
  @ApiProperty({ type: [UtilizationCapResponse], description: 'Caps counting all lines together' }) caps!: UtilizationCapResponse[];
}

export class UtilizationPage {
  @ApiProperty({ type: [UtilizationResponse] }) items!: UtilizationResponse[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}
