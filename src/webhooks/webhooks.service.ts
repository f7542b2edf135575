import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';
import { AuthUser } from '../shared/auth/auth-user';
import { ConflictError, ForbiddenError, NotFoundError } from '../shared/errors/api-error';
import { decodeCursor, toPage } from '../shared/http/cursor';
import { newId } from '../shared/ids';
import { UnitOfWork } from '../shared/transactions/unit-of-work.service';
import { canonicalEventTypes } from './webhook-event-types';
import { webhookDeliveryRepository } from './webhook-delivery.repository';
import { webhookEndpointRepository, WebhookEndpointRow } from './webhook-endpoint.repository';
import { generateWebhookSecret } from './webhook-signature';
import { WebhookUrlPolicy } from './webhook-url.policy';
import { CreatedWebhookResponse, CreateWebhookDto, DeliveriesQuery, UpdateWebhookDto, WebhookDeliveryPage, WebhookResponse } from './webhook.dto';

/**
 * Endpoints per organization. Every event is POSTed to each subscribed endpoint: the cap bounds
 * the fan-out of one change, and keeps GET /webhooks a single short list.
 */
export const MAX_WEBHOOK_ENDPOINTS = 20;

export const presentWebhook = (row: WebhookEndpointRow): WebhookResponse => ({
  id: row.id,
  organizationId: row.organizationId,
  url: row.url,
  events: canonicalEventTypes(row.events),
  description: row.description,
  enabled: row.enabled,
  failingSince: row.failingSince,
  disabledReason: row.disabledReason,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

/** An ADMIN's own organization (the routes are ADMIN-only; a SUPER_ADMIN has none). */
function organizationOf(caller: AuthUser): string {
  if (!caller.organizationId) throw new ForbiddenError('Webhooks belong to an organization; this caller has none');
  return caller.organizationId;
}

@Injectable()
export class WebhooksService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly database: Database,
    private readonly urls: WebhookUrlPolicy,
  ) {}

  /** Checks the URL (DNS included) before the transaction: no transaction is held open over a lookup. */
  async create(caller: AuthUser, dto: CreateWebhookDto): Promise<CreatedWebhookResponse> {
    const organizationId = organizationOf(caller);
    const checked = await this.urls.require(dto.url);
    const secret = generateWebhookSecret();
    const { value } = await this.uow.run(async (tx) => {
      if ((await webhookEndpointRepository.count(tx, organizationId)) >= MAX_WEBHOOK_ENDPOINTS) {
        throw new ConflictError('WEBHOOK_LIMIT_REACHED', `An organization has at most ${MAX_WEBHOOK_ENDPOINTS} webhook endpoints`, { limit: MAX_WEBHOOK_ENDPOINTS });
      }
      const row = await webhookEndpointRepository.insert(tx, {
        id: newId(),
        organizationId,
        url: checked.href,
        events: canonicalEventTypes(dto.events),
        description: dto.description ?? null,
        secret,
      });
      return presentWebhook(row);
      // One registration at a time per organization (an advisory lock, across instances): the count
      // then holds, instead of concurrent registrations failing each other's SERIALIZABLE check.
    }, undefined, [organizationId]);
    return { ...value, secret };
  }

  async list(caller: AuthUser): Promise<WebhookResponse[]> {
    return (await webhookEndpointRepository.list(this.database, organizationOf(caller))).map(presentWebhook);
  }

  async get(caller: AuthUser, id: string): Promise<WebhookResponse> {
    const row = await webhookEndpointRepository.find(this.database, organizationOf(caller), id);
    if (!row) throw new NotFoundError('Webhook');
    return presentWebhook(row);
  }

  /** The endpoint's delivery log, oldest first; 404 for an endpoint of another organization. */
  async deliveries(caller: AuthUser, id: string, query: DeliveriesQuery): Promise<WebhookDeliveryPage> {
    const organizationId = organizationOf(caller);
    const after = decodeCursor(query.cursor, (key) => /^\d{1,18}$/.test(key));
    if (!(await webhookEndpointRepository.find(this.database, organizationId, id))) throw new NotFoundError('Webhook');
    const rows = await webhookDeliveryRepository.page(this.database, id, after === undefined ? 0 : Number(after), query.limit);
    return toPage(rows, query.limit, (delivery) => delivery.id);
  }

  /**
   * A new URL is checked like at registration; an endpoint of another organization is 404 before
   * its URL is looked at (nothing about it is disclosed, and no lookup is made for it).
   */
  async update(caller: AuthUser, id: string, dto: UpdateWebhookDto): Promise<WebhookResponse> {
    const organizationId = organizationOf(caller);
    let url: string | undefined;
    if (dto.url !== undefined) {
      if (!(await webhookEndpointRepository.find(this.database, organizationId, id))) throw new NotFoundError('Webhook');
      url = (await this.urls.require(dto.url)).href;
    }
    const { value } = await this.uow.run(async (tx) => {
      const row = await webhookEndpointRepository.update(tx, organizationId, id, {
        url,
        events: dto.events && canonicalEventTypes(dto.events),
        description: dto.description,
        enabled: dto.enabled,
      });
      if (!row) throw new NotFoundError('Webhook');
      return presentWebhook(row);
    });
    return value;
  }

  async remove(caller: AuthUser, id: string): Promise<void> {
    const organizationId = organizationOf(caller);
    await this.uow.run(async (tx) => {
      if (!(await webhookEndpointRepository.remove(tx, organizationId, id))) throw new NotFoundError('Webhook');
    });
  }
}
