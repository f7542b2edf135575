import { isUuid, newId } from './ids';

describe('newId', () => {
  it('is a version 7 UUID whose first 48 bits are the current time in milliseconds', () => {
    const before = Date.now();
    const id = newId();
    const after = Date.now();
    expect(isUuid(id)).toBe(true);
    expect(id[14]).toBe('7');
    expect('89ab').toContain(id[19]);
    const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after);
  });

  it('never repeats, and a later millisecond sorts after an earlier one', () => {
    const ids = Array.from({ length: 10_000 }, () => newId());
    expect(new Set(ids).size).toBe(ids.length);
    const earlier = newId();
    const start = Date.now();
    while (Date.now() === start) {
      /* next millisecond */
    }
    expect(newId() > earlier).toBe(true);
  });

  it('is strictly increasing one id after the other, also within one millisecond', () => {
    const ids = Array.from({ length: 10_000 }, () => newId());
    const sameMillisecond = ids.filter((id, i) => i > 0 && id.slice(0, 13) === ids[i - 1].slice(0, 13)).length;
    expect(sameMillisecond).toBeGreaterThan(0);
    for (let i = 1; i < ids.length; i++) expect(ids[i] > ids[i - 1]).toBe(true);
  });
});
