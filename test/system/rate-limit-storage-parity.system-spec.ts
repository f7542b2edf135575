import type { ThrottlerStorage } from '@nestjs/throttler';
import { MemoryRateLimitStorage } from '../../src/rate-limit/memory-rate-limit.storage';
import { BLOCK, EXPECTED, LIMIT, shape, STEPS, TTL } from '../support/rate-limit-steps';
import { redisRateLimitStorage } from '../../src/rate-limit/redis-rate-limit.storage';

// Here rather than beside the storage: like every system test it needs the machine's Redis
// (TEST_REDIS_URL, default redis://127.0.0.1:6379), which `npm test` does not.
describe('MemoryRateLimitStorage and the Redis storage', () => {
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
