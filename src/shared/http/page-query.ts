import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, MaxLength } from 'class-validator';
import { IsIntInRange, OptionalField } from './validators';

/** Query strings arrive as text: `limit` is converted here, strictly (no "5abc", no 2.5). */
export const toLimit = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,4}$/.test(value) ? Number(value) : value);

/** `limit` (1–100, default 20) and the opaque `cursor` of every cursor-paged list. */
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
