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
});
