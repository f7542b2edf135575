import { MemoryRateLimitStorage } from './memory-rate-limit.storage';
import { EXPECTED, LIMIT, shape, STEPS, TTL, BLOCK } from '../../test/support/rate-limit-steps';

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
});
