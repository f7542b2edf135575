import { iso, Sql } from '../database/database.service';
import { WebhookEventType } from './webhook-event-types';

// Every SQL string of the webhook_endpoints table. Each statement names the organization: the
// tenant is part of the query itself (SPEC §6), so another organization's endpoint is not found.

const COLUMNS = `id, organization_id as "organizationId", url, event_types as "events", description, enabled,
  ${iso('failing_since')} as "failingSince", disabled_reason as "disabledReason",
  ${iso('created_at')} as "createdAt", ${iso('updated_at')} as "updatedAt"`;

/** An endpoint as answered (never the secret). Timestamps are ISO-8601 UTC text. */
export interface WebhookEndpointRow {
  id: string;
  organizationId: string;
  url: string;
  events: WebhookEventType[];
  description: string | null;
  enabled: boolean;
  failingSince: string | null;
  disabledReason: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface NewWebhookEndpoint {
  id: string;
  organizationId: string;
  url: string;
  events: WebhookEventType[];
  description: string | null;
  secret: string;
}

export interface WebhookEndpointChange {
  url?: string;
  events?: WebhookEventType[];
  /** null clears it. */
  description?: string | null;
  enabled?: boolean;
}

export const webhookEndpointRepository = {
  async insert(sql: Sql, e: NewWebhookEndpoint): Promise<WebhookEndpointRow> {
    const [row] = await sql.query<WebhookEndpointRow>(
      `insert into webhook_endpoints (id, organization_id, url, event_types, description, secret)
       values (?, ?, ?, ?::text[], ?, ?) returning ${COLUMNS}`,
      [e.id, e.organizationId, e.url, e.events, e.description, e.secret],
    );
    return row;
  },

  async count(sql: Sql, organizationId: string): Promise<number> {
    const [row] = await sql.query<{ n: number }>('select count(*)::int as n from webhook_endpoints where organization_id = ?', [organizationId]);
    return row.n;
  },

  list(sql: Sql, organizationId: string): Promise<WebhookEndpointRow[]> {
    return sql.query<WebhookEndpointRow>(`select ${COLUMNS} from webhook_endpoints where organization_id = ? order by id`, [organizationId]);
  },

  async find(sql: Sql, organizationId: string, id: string): Promise<WebhookEndpointRow | undefined> {
    const [row] = await sql.query<WebhookEndpointRow>(`select ${COLUMNS} from webhook_endpoints where id = ? and organization_id = ?`, [id, organizationId]);
    return row;
  },

  /**
   * Applies a change; undefined when the endpoint is not the organization's. Enabling it, or a new
   * URL, starts its failure record afresh (failing_since, disabled_reason cleared).
   */
  async update(sql: Sql, organizationId: string, id: string, c: WebhookEndpointChange): Promise<WebhookEndpointRow | undefined> {
    const fresh = c.enabled === true || c.url !== undefined;
    const [row] = await sql.query<WebhookEndpointRow>(
      `update webhook_endpoints set
         url = coalesce(?, url),
         event_types = coalesce(?::text[], event_types),
         description = case when ?::boolean then ? else description end,
         enabled = coalesce(?, enabled),
         failing_since = case when ?::boolean then null else failing_since end,
         disabled_reason = case when ?::boolean then null else disabled_reason end,
         updated_at = now()
       where id = ? and organization_id = ? returning ${COLUMNS}`,
      [c.url ?? null, c.events ?? null, c.description !== undefined, c.description ?? null, c.enabled ?? null, fresh, fresh, id, organizationId],
    );
    return row;
  },

  async remove(sql: Sql, organizationId: string, id: string): Promise<boolean> {
    const rows = await sql.query('delete from webhook_endpoints where id = ? and organization_id = ? returning id', [id, organizationId]);
    return rows.length > 0;
  },
};
