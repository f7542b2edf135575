import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, MaxLength, registerDecorator, ValidationOptions } from 'class-validator';
import { PageQuery } from '../shared/http/page-query';
import { OptionalField, TextLength } from '../shared/http/validators';
import { DELIVERY_STATUSES, DeliveryStatus } from './webhook-delivery.entity';
import { WEBHOOK_EVENT_TYPES, WebhookEventType } from './webhook-event-types';
import { MAX_WEBHOOK_URL_LENGTH } from './webhook-url';

/** 1 to 12 distinct SPEC §11 event types, in any order. */
export function IsEventTypes(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isEventTypes',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be an array of 1 to ${WEBHOOK_EVENT_TYPES.length} distinct event types: ${WEBHOOK_EVENT_TYPES.join(', ')}`, ...options },
      validator: {
        validate: (value: unknown) =>
          Array.isArray(value) &&
          value.length >= 1 &&
          value.length <= WEBHOOK_EVENT_TYPES.length &&
          value.every((type) => typeof type === 'string' && (WEBHOOK_EVENT_TYPES as readonly string[]).includes(type)) &&
          new Set(value).size === value.length,
      },
    });
}

const URL_DESCRIPTION =
  'https: only (http: to a loopback address only with WEBHOOK_ALLOW_HTTP_LOOPBACK=true); no user:password; every address the host resolves to must be public ' +
  '(never loopback, private, link-local, metadata, multicast or reserved). Checked again before each delivery.';

export class CreateWebhookDto {
  @ApiProperty({ example: 'https://clinic.example/hooks/unit-ledger', maxLength: MAX_WEBHOOK_URL_LENGTH, description: URL_DESCRIPTION })
  @IsString()
  @MaxLength(MAX_WEBHOOK_URL_LENGTH)
  url!: string;

  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true, example: ['reservation.created', 'authorization.low_units'] })
  @IsEventTypes()
  events!: WebhookEventType[];

  @ApiPropertyOptional({ maxLength: 500 })
  @OptionalField()
  @TextLength(1, 500)
  description?: string;
}

export class UpdateWebhookDto {
  @ApiPropertyOptional({ maxLength: MAX_WEBHOOK_URL_LENGTH, description: URL_DESCRIPTION })
  @OptionalField()
  @IsString()
  @MaxLength(MAX_WEBHOOK_URL_LENGTH)
  url?: string;

  @ApiPropertyOptional({ enum: WEBHOOK_EVENT_TYPES, isArray: true })
  @OptionalField()
  @IsEventTypes()
  events?: WebhookEventType[];

  @ApiPropertyOptional({ maxLength: 500, nullable: true, type: String, description: 'null clears it' })
  @IsOptional()
  @TextLength(1, 500)
  description?: string | null;

  @ApiPropertyOptional({ description: 'true re-enables an endpoint (also one disabled after 24 h of failures) and clears its failure record' })
  @OptionalField()
  @IsBoolean()
  enabled?: boolean;
}

export class WebhookResponse {
  @ApiProperty() id!: string;
  @ApiProperty() organizationId!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true }) events!: WebhookEventType[];
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'Start of the current run of failed deliveries' }) failingSince!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Why the service disabled the endpoint' }) disabledReason!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class CreatedWebhookResponse extends WebhookResponse {
  @ApiProperty({
    example: 'whsec_3q2-7wEXAMPLEaGVsbG8gd29ybGQhIHNpZ25pbmcga2V5',
    description: 'The signing secret, shown this once: Unit-Ledger-Signature is t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>',
  })
  secret!: string;
}

export class WebhookList {
  @ApiProperty({ type: [WebhookResponse] }) items!: WebhookResponse[];
}

/** The delivery log's page: the project's usual `limit` and `cursor`. */
export class DeliveriesQuery extends PageQuery {}

export class WebhookDeliveryResponse {
  @ApiProperty({ description: 'The delivery (increasing: the log is oldest first)' }) id!: number;
  @ApiProperty() eventId!: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES }) eventType!: string;
  @ApiProperty({ enum: DELIVERY_STATUSES, description: 'PENDING (to be attempted, or retried), DELIVERED (a 2xx within 10 s), FAILED (given up, or the endpoint was disabled)' })
  status!: DeliveryStatus;
  @ApiProperty({ description: 'Attempts made (begun) so far' }) attempts!: number;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lastAttemptAt!: string | null;
  @ApiProperty({ nullable: true, type: Number, description: "The last answer's HTTP status (null: no answer)" }) lastStatusCode!: number | null;
  @ApiProperty({ nullable: true, type: String, description: 'Why the last attempt failed (e.g. HTTP 500, ETIMEDOUT, ECONNREFUSED, URL refused)' }) lastError!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'When the next attempt is due (PENDING only)' }) nextAttemptAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) deliveredAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class WebhookDeliveryPage {
  @ApiProperty({ type: [WebhookDeliveryResponse] }) items!: WebhookDeliveryResponse[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}
