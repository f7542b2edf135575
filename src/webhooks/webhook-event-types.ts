import { EVENT_TYPES, EventType } from '../events/event-types';

/**
 * The event types an endpoint may subscribe to: every type of the outbox (SPEC §11's list, plus
 * `webhook_endpoint.disabled`: an endpoint disabled after 24 h of failure, "an event says so").
 */
export const WEBHOOK_EVENT_TYPES = EVENT_TYPES;

export type WebhookEventType = EventType;

/** Subscribed types in the list's order, each once (how they are stored and answered). */
export const canonicalEventTypes = (types: readonly string[]): WebhookEventType[] => WEBHOOK_EVENT_TYPES.filter((type) => types.includes(type));
