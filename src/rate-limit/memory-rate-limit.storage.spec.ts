import type { ThrottlerStorage } from '@nestjs/throttler';
import { MemoryRateLimitStorage } from './memory-rate-limit.storage';
import { redisRateLimitStorage } from './redis-rate-limit.storage';
import type { LimitAnswer } from './rate-limit.headers';

/** Hits on key `a` or `b` at a time in ms from the start; ttl 2 s, limit 3, block 3 s. Every step is ≥ 250 ms from any window or block edge. */
const TTL = 2_000;
const LIMIT = 3;
const BLOCK = 3_000;
const STEPS: { at: number; key: 'a' | 'b' }[] = [
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
const EXPECTED: [number, number, boolean, number][] = [
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
const shape = (a: LimitAnswer) => [a.totalHits, a.timeToExpire, a.isBlocked, a.timeToBlockExpire];

describe('MemoryRateLimitStorage', () => {
  describe('on a fake clock', () => {
    let now = 1_000_000;
    beforeEach(() => jest.spyOn(Date, 'now').mockImplementation(() => now));
    afterEach(() => jest.restoreAllMocks());

    it('counts in fixed windows and blocks as the Redis storage does', async () => {
      const storage = new MemoryRateLimitStorage();
      const start = now;
      const answers = [];
      for (const step of STEPS) {
        now = start + step.at;
        answers.push(shape(await storage.increment(`k:${step.key}`, TTL, LIMIT, BLOCK, 'user')));
      }
      storage.onApplicationShutdown();
      expect(answers).toEqual(EXPECTED);
    });

    it('limits are per key and per throttler name', async () => {
      const storage = new MemoryRateLimitStorage();
      for (let i = 0; i < 3; i++) await storage.increment('k', TTL, 1, BLOCK, 'login');
      expect(await storage.increment('k', TTL, 1, BLOCK, 'login-email')).toMatchObject({ totalHits: 1, isBlocked: false });
      expect(await storage.increment('other', TTL, 1, BLOCK, 'login')).toMatchObject({ totalHits: 1, isBlocked: false });
      storage.onApplicationShutdown();
    });

    it('keeps two numbers per key, and the sweep drops ended windows and blocks', async () => {
      const storage = new MemoryRateLimitStorage();
      for (let i = 0; i < 5_000; i++) await storage.increment('busy', 60_000, 10_000, 60_000, 'user');
      await storage.increment('idle', 1_000, 10, 1_000, 'user');
      expect(storage.size).toBe(2);
      now += 1_001;
      storage.sweep();
      expect(storage.size).toBe(1);
      now += 60_000;
      storage.sweep();
      expect(storage.size).toBe(0);
      storage.onApplicationShutdown();
    });
  });

  // One instance (this storage) and several (Redis) must agree: the same hits, on the real
  // clock, to both; Redis at TEST_REDIS_URL (default redis://127.0.0.1:6379, as the system tests).
  it('answers like the Redis storage for the same hits at the same times', async () => {
    const memory = new MemoryRateLimitStorage();
    const redis = redisRateLimitStorage(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
    const prefix = `unit-ledger-parity-${process.pid}-${Date.now()}`;
    try {
      // The client does not queue commands while it connects (it fails fast when Redis is down).
      const client = redis.redis;
      if (client.status !== 'ready') {
        await new Promise<void>((ready, fail) => {
          const timer = setTimeout(() => fail(new Error(`Redis is needed for this test (TEST_REDIS_URL or 127.0.0.1:6379): ${client.status}`)), 5_000);
          client.once('ready', () => (clearTimeout(timer), ready()));
        });
      }
      const pairs: [unknown[], unknown[]][] = [];
      const start = Date.now();
      for (const step of STEPS) {
        await new Promise((r) => setTimeout(r, Math.max(0, start + step.at - Date.now())));
        const key = `${prefix}:${step.key}`;
        const ask = (storage: ThrottlerStorage) => storage.increment(key, TTL, LIMIT, BLOCK, 'user');
        const [ours, theirs] = await Promise.all([ask(memory), ask(redis)]);
        pairs.push([shape(ours), shape(theirs)]);
      }
      for (const [ours, theirs] of pairs) {
        expect([ours[0], ours[2]]).toEqual([theirs[0], theirs[2]]);
        // Whole seconds rounded up, measured a few hundred microseconds apart.
        expect(Math.abs((ours[1] as number) - (theirs[1] as number))).toBeLessThanOrEqual(1);
        expect(Math.abs((ours[3] as number) - (theirs[3] as number))).toBeLessThanOrEqual(1);
      }
      expect(pairs.map(([ours]) => ours)).toEqual(EXPECTED);
    } finally {
      memory.onApplicationShutdown();
      await redis.onApplicationShutdown();
    }
  }, 20_000);
});
