/** Today's calendar date in UTC, YYYY-MM-DD (the day SPEC's status rules use). */
export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/**
 * Every zone's UTC offset has been a whole number of minutes since 1972 (Liberia's −0:44:30 was the
 * last that was not), so from then on a local date changes only at a UTC minute boundary.
 */
const WHOLE_MINUTE_OFFSETS_SINCE = Date.parse('1973-01-01T00:00:00Z');

/**
 * Per time zone, its formatter (constructing an Intl.DateTimeFormat costs far more than using one)
 * and its last answer with that answer's UTC minute (every request asks; formatting costs microseconds).
 */
const zones = new Map<string, { format: Intl.DateTimeFormat; minute: number; date: string }>();

/**
 * Today's calendar date in an IANA time zone, YYYY-MM-DD (SPEC §10: an organization's "today" is
 * its local date). `en-CA` writes dates as YYYY-MM-DD. Throws RangeError for a zone Intl does not
 * know (an organization's time zone was checked against Intl and PostgreSQL when set).
 */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  const instant = now.getTime();
  const minute = Math.floor(instant / 60_000);
  let zone = zones.get(timeZone);
  if (zone && zone.minute === minute && instant >= WHOLE_MINUTE_OFFSETS_SINCE) return zone.date;
  if (!zone) {
    zone = { format: new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }), minute: Number.NaN, date: '' };
    zones.set(timeZone, zone);
  }
  // `numeric` writes years before 1000 unpadded (`1-01-01`); month and day are always 2 digits.
  zone.date = zone.format.format(now).padStart(10, '0');
  zone.minute = minute;
  return zone.date;
}

/** Whether Intl knows the time zone (an IANA name such as `America/New_York`, or `UTC`). */
export function isIntlTimeZone(timeZone: string): boolean {
  if (timeZone === '') return false;
  try {
    new Intl.DateTimeFormat('en-CA', { timeZone });
    return true;
  } catch (error) {
    if (error instanceof RangeError) return false;
    throw error;
  }
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
