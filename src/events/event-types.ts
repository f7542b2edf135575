/**
 * The event types of SPEC §11, plus `webhook_endpoint.disabled` (SPEC §11 "Webhooks": an endpoint
 * that failed for 24 h in a row is disabled, and an event says so). The migration's CHECK
 * `events_type_check` lists the same names; test/events-feed.e2e-spec.ts compares the two.
 */
export const EVENT_TYPES = [
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

export type EventType = (typeof EVENT_TYPES)[number];
