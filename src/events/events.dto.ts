import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, IsUUID, MaxLength } from 'class-validator';
import { toLimit } from '../shared/http/page-query';
import { IsIntInRange, OptionalField } from '../shared/http/validators';
import { EVENT_TYPES, EventType } from './event-types';


export class ListEventsQuery {
  @ApiPropertyOptional({ description: 'nextCursor of the previous page; absent: from the first event' })
  @OptionalField()
  @IsString()
  @MaxLength(200)
  after?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @OptionalField()
  @Transform(toLimit)
  @IsIntInRange(1, 100)
  limit: number = 20;

  @ApiPropertyOptional({ description: 'SUPER_ADMIN only: one organization (without it, every organization)' })
  @OptionalField()
  @IsUUID()
  organizationId?: string;
}

export class EventResponse {
  @ApiProperty({ description: 'Opaque' }) id!: string;
  @ApiProperty({ enum: EVENT_TYPES }) type!: EventType;
  @ApiProperty() organizationId!: string;
  @ApiProperty({ example: '2026-12-06T20:00:00.000Z' }) occurredAt!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The object as the API returns it after the change' }) data!: Record<string, unknown>;
}

export class EventPage {
  @ApiProperty({ type: [EventResponse], description: 'Oldest first' }) items!: EventResponse[];
  @ApiProperty({
    type: String,
    description: 'Never null: pass it as `after` to continue (store it). Fewer items than `limit`: the feed has nothing more for now; ask again later with the same cursor',
  })
  nextCursor!: string;
}
