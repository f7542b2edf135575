import { isCalendarDate, todayUtc } from './calendar';
import { jsonDepth, unacceptableJson } from './json-guard';

describe('calendar dates', () => {
  it.each(['2026-02-28', '2024-02-29', '2026-12-31'])('%s is a date', (d) => expect(isCalendarDate(d)).toBe(true));
  it.each(['2026-02-29', '2026-02-30', '2026-13-01', '2026-1-1', '20260101', '2026-01-01T00:00:00Z', 20260101, null])('%s is not', (d) =>
    expect(isCalendarDate(d)).toBe(false),
  );
  it('today is the UTC day', () => expect(todayUtc(new Date('2026-03-01T23:30:00-05:00'))).toBe('2026-03-02'));
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
