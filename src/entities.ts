import { AuthorizationCap } from './authorizations/authorization-cap.entity';
import { AuthorizationLine } from './authorizations/authorization-line.entity';
import { Authorization } from './authorizations/authorization.entity';
import { CapBucket } from './authorizations/cap-bucket.entity';
import { LedgerEntry } from './authorizations/ledger-entry.entity';
import { Reservation } from './authorizations/reservation.entity';
import { ReservationExpiry } from './authorizations/reservation-expiry.entity';
import { OutboxEvent } from './events/outbox-event.entity';
import { IdempotencyKey } from './idempotency/idempotency-key.entity';
import { Organization } from './organizations/organization.entity';
import { User } from './users/user.entity';
import { WebhookEndpoint } from './webhooks/webhook-endpoint.entity';
import { WebhookDelivery, WebhookDispatchCursor } from './webhooks/webhook-delivery.entity';
import { RefreshToken } from './auth/refresh-token.entity';
import { ApiKey } from './api-keys/api-key.entity';

/**
 * Every entity, for what runs without Nest: the MikroORM CLI (mikro-orm.config.ts, e.g.
 * `npx mikro-orm migration:create` compares them with the schema) and `npm run migrate`. The
 * service does not use this list: each feature module registers its own entities with
 * `MikroOrmModule.forFeature`, and the root module loads them (`autoLoadEntities`).
 */
export const ENTITIES = [Organization, User, Authorization, AuthorizationLine, AuthorizationCap, CapBucket, Reservation, ReservationExpiry, LedgerEntry, IdempotencyKey, RefreshToken, ApiKey, OutboxEvent, WebhookEndpoint, WebhookDelivery, WebhookDispatchCursor];
