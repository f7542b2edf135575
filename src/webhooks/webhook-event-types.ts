/**
 * The event types an endpoint may subscribe to: SPEC §11's list, plus `webhook_endpoint.disabled`
 * (an endpoint disabled after 24 h of failure: "an event says so"). The same list as the outbox's
 * EVENT_TYPES (src/events/event-types.ts), kept here so that registration does not depend on the
 * outbox module; test/webhooks.e2e-spec.ts checks the two are equal.
 */
export const WEBHOOK_EVENT_TYPES = [
  'reservation.created',
  'reservation.modified',
  'reservation.released',
  'reservation.consumed',
  'reservation.expired',
  'authorization.created',
  'authorization.updated',
  'authorization.low_units',
  'authorization.exhausted',
  'authorization.expiring',
  'authorization.expired',
  'webhook_endpoint.disabled',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Subscribed types in the list's order, each once (how they are stored and answered). */
export const canonicalEventTypes = (types: readonly string[]): WebhookEventType[] => WEBHOOK_EVENT_TYPES.filter((type) => types.includes(type));
