import { isCalendarDate, isIntlTimeZone, isStorableInstant, todayIn, todayUtc } from './calendar';
import { jsonDepth, unacceptableJson } from './json-guard';

describe('calendar dates', () => {
  it.each(['2026-02-28', '2024-02-29', '2026-12-31'])('%s is a date', (d) => expect(isCalendarDate(d)).toBe(true));
  it.each(['2026-02-29', '2026-02-30', '2026-13-01', '2026-1-1', '20260101', '2026-01-01T00:00:00Z', 20260101, null, '0000-01-01', '0000-12-31'])('%s is not', (d) =>
    expect(isCalendarDate(d)).toBe(false),
  );
  it.each(['0001-01-01', '9999-12-31'])('%s is a date PostgreSQL stores', (d) => expect(isCalendarDate(d)).toBe(true));
  it('today is the UTC day', () => expect(todayUtc(new Date('2026-03-01T23:30:00-05:00'))).toBe('2026-03-02'));
});

describe("an organization's today (todayIn)", () => {
  it.each([
    ['America/New_York', '2026-06-30T23:30:00Z', '2026-06-30'],
    ['Pacific/Auckland', '2026-06-30T11:30:00Z', '2026-06-30'],
    ['Pacific/Auckland', '2026-06-30T12:30:00Z', '2026-07-01'],
    ['America/New_York', '2026-01-01T04:59:59Z', '2025-12-31'],
    ['Pacific/Auckland', '2026-12-31T11:00:00Z', '2027-01-01'],
  ])('%s at %s is %s', (zone, instant, date) => expect(todayIn(zone, new Date(instant))).toBe(date));
  it.each(['2026-06-30T00:00:00Z', '2026-06-30T23:59:59.999Z', '2024-02-29T12:00:00Z', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z'])(
    'UTC at %s is todayUtc',
    (instant) => expect(todayIn('UTC', new Date(instant))).toBe(todayUtc(new Date(instant))),
  );
  it('the same answers when asked again within the same minute, across midnight and DST changes, in zones with odd offsets (remembered per minute)', () => {
    const zones = ['UTC', 'America/New_York', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Pacific/Chatham', 'America/St_Johns', 'Africa/Monrovia'];
    const formats = new Map(zones.map((zone) => [zone, new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' })]));
    const fresh = (zone: string, at: number) => formats.get(zone)!.format(new Date(at)).padStart(10, '0');
    // Around each local midnight of 2026-03-08 … 2026-03-10 and 1971 (Monrovia at −0:44:30), every 3 minutes with three more asks within the next minute.
    for (const zone of zones) {
      for (const start of [Date.parse('2026-03-07T00:00:00Z'), Date.parse('1971-06-01T00:00:00Z')]) {
        for (let base = start; base < start + 3 * 86_400_000; base += 181_007) {
          for (const at of [base, base + 5_000, base + 31_000, base + 59_000]) expect(todayIn(zone, new Date(at))).toBe(fresh(zone, at));
        }
      }
    }
    // Monrovia's midnight in 1971 fell at 00:44:30 UTC: within one UTC minute, two local dates.
    expect(todayIn('Africa/Monrovia', new Date('1971-06-02T00:44:20Z'))).toBe('1971-06-01');
    expect(todayIn('Africa/Monrovia', new Date('1971-06-02T00:44:40Z'))).toBe('1971-06-02');
  });

  it('a zone Intl does not know throws RangeError', () => expect(() => todayIn('Mars/Olympus')).toThrow(RangeError));
  it.each(['UTC', 'America/New_York', 'Pacific/Auckland'])('%s is a zone Intl knows', (z) => expect(isIntlTimeZone(z)).toBe(true));
  it.each(['Mars/Olympus', 'UTC+5', '', 'America/New York'])('%j is not', (z) => expect(isIntlTimeZone(z)).toBe(false));
});

describe('instants PostgreSQL can store', () => {
  it.each([
    '2026-03-01T10:00:00Z', '2026-03-01T10:00Z', '2026-03-01T10:00:00.123456789+05:30',
    '0001-01-01T00:00:00Z', '0001-01-01T00:59:00-01:00', '9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59+00:00', '9999-12-31T23:59:59+23:59',
  ])('%s is one', (v) => expect(isStorableInstant(v)).toBe(true));
  it.each([
    // In UTC after 9999-12-31T23:59:59.999Z (toISOString writes +010000-…) or before year 1.
    '9999-12-31T23:59:59-23:59', '9999-12-31T23:59:59-00:01', '0001-01-01T00:00:00+00:01', '0000-06-01T00:00:00Z', '0001-01-01T00:30:00+01:00',
    '2026-02-30T10:00:00Z', '2026-03-01T10:00:00', '2026-03-01', '+010000-01-01T00:00:00Z', 1767225600000, null,
  ])('%s is not', (v) => expect(isStorableInstant(v)).toBe(false));
});

describe('JSON guard', () => {
  it.each([
    ['{"__proto__":{"x":1}}', '__proto__'],
    ['{"a":{"constructor":{}}}', 'a.constructor'],
    ['[{"prototype":1}]', '0.prototype'],
    ['{"a":{"toString":1}}', 'a.toString'],
    ['{"name":"a\\u0000b"}', 'name'],
    ['{"name":["x","\\ud800"]}', 'name.1'],
  ])('refuses %s, naming %s', (json, field) => {
    expect(unacceptableJson(JSON.parse(json))?.field).toBe(field);
  });
  it('keeps ordinary JSON', () => expect(unacceptableJson(JSON.parse('{"a":[1,{"b":"__proto__"}],"c":"\\ud83d\\ude00"}'))).toBeUndefined());
});

describe('JSON depth', () => {
  it.each([
    ['1', 0],
    ['{}', 1],
    ['{"a":[1,{"b":[]}]}', 4],
    ['{"a":"[[[[{{{{"}', 1],
    ['["\\"", [[]]]', 3],
  ])('%s is %i deep', (text, depth) => expect(jsonDepth(text)).toBe(depth));
});
