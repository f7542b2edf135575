import { ThrottlerStorageService } from '@nestjs/throttler';
import { MemoryRateLimitStorage } from './memory-rate-limit.storage';

describe('MemoryRateLimitStorage', () => {
  let now = 1_000_000;
  beforeEach(() => jest.spyOn(Date, 'now').mockImplementation(() => now));
  afterEach(() => jest.restoreAllMocks());

  /** The same sequence of hits on both storages: every answer must be the same. */
  async function both(steps: { advanceMs: number; key: string }[]) {
    const ours = new MemoryRateLimitStorage();
    const library = new ThrottlerStorageService();
    const answers: [unknown, unknown][] = [];
    for (const step of steps) {
      now += step.advanceMs;
      answers.push([await ours.increment(step.key, 60_000, 3, 60_000, 'user'), await library.increment(step.key, 60_000, 3, 60_000, 'user')]);
    }
    ours.onApplicationShutdown();
    library.onApplicationShutdown();
    return answers;
  }

  it('answers exactly like the library: counting, blocking, block expiry and expired hits', async () => {
    const steps = [
      ...Array.from({ length: 5 }, () => ({ advanceMs: 1_000, key: 'a' })),
      { advanceMs: 61_000, key: 'a' },
      ...Array.from({ length: 3 }, () => ({ advanceMs: 20_000, key: 'a' })),
      { advanceMs: 1, key: 'b' },
      ...Array.from({ length: 4 }, () => ({ advanceMs: 30_000, key: 'a' })),
    ];
    for (const [ours, library] of await both(steps)) expect(ours).toEqual(library);
  });

  it('really replaces the pruning: expired hits leave the same list (the library would build a new one)', async () => {
    const storage = new MemoryRateLimitStorage();
    const hitsOf = () => (storage as unknown as { getHitExpirations(k: string, n: string): number[] }).getHitExpirations('k', 'user');
    await storage.increment('k', 60_000, 100, 60_000, 'user');
    const list = hitsOf();
    now += 61_000;
    await storage.increment('k', 60_000, 100, 60_000, 'user');
    expect(hitsOf()).toBe(list);
    expect(list).toEqual([now + 60_000]);
    storage.onApplicationShutdown();
  });
});
