import type { LimitAnswer } from '../../src/rate-limit/rate-limit.headers';

// One sequence of hits, fed to the in-memory storage on a fake clock (unit test) and to it and the
// Redis storage side by side on the real clock (system test): both must answer EXPECTED.

/** Hits on key `a` or `b` at a time in ms from the start; ttl 2 s, limit 3, block 3 s. Every step is ≥ 250 ms from any window or block edge. */
export const TTL = 2_000;
export const LIMIT = 3;
export const BLOCK = 3_000;
export const STEPS: { at: number; key: 'a' | 'b' }[] = [
  { at: 0, key: 'a' },
  { at: 100, key: 'a' },
  { at: 200, key: 'a' },
  { at: 300, key: 'a' }, // 4th hit: blocked until 3300
  { at: 350, key: 'b' },
  { at: 800, key: 'a' }, // still blocked, and counted
  { at: 2_400, key: 'a' }, // a new window (the first ended at 2000), the block goes on
  { at: 3_600, key: 'a' }, // the block has ended: 2 hits in this window
  { at: 3_700, key: 'a' },
  { at: 3_800, key: 'a' }, // 4th hit of the window: blocked again
  { at: 3_900, key: 'b' }, // b's window ended at 2350: a new one
];
/** What the Redis storage's script answers for STEPS (totalHits, timeToExpire, isBlocked, timeToBlockExpire). */
export const EXPECTED: [number, number, boolean, number][] = [
  [1, 2, false, 0],
  [2, 2, false, 0],
  [3, 2, false, 0],
  [4, 2, true, 3],
  [1, 2, false, 0],
  [5, 2, true, 3],
  [1, 2, true, 1],
  [2, 1, false, 0],
  [3, 1, false, 0],
  [4, 1, true, 3],
  [1, 2, false, 0],
];
export const shape = (a: LimitAnswer) => [a.totalHits, a.timeToExpire, a.isBlocked, a.timeToBlockExpire];
