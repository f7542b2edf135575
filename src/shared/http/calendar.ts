/** Today's calendar date in UTC, YYYY-MM-DD (the day SPEC's status rules use). */
export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** The instants PostgreSQL can store as the ISO-8601 text Date#toISOString writes: years 0001–9999 in UTC. */
const FIRST_INSTANT = Date.parse('0001-01-01T00:00:00.000Z');
const LAST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

/** A real calendar date written YYYY-MM-DD (2026-02-30 is not one), in years 0001–9999 (PostgreSQL has no year 0). */
export function isCalendarDate(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value) || value.startsWith('0000')) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

/**
 * An ISO-8601 instant with a time zone, whose UTC value is in years 0001–9999: outside them
 * toISOString writes `+010000-…` or `0000-…`, which PostgreSQL refuses (a 500 for a client's input).
 */
export function isStorableInstant(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return false;
  const time = Date.parse(value);
  return isCalendarDate(value.slice(0, 10)) && time >= FIRST_INSTANT && time <= LAST_INSTANT;
}
