import { Logger } from '@nestjs/common';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import Redis from 'ioredis';

/**
 * Rate-limit counters in Redis, shared by every instance. The client fails fast while Redis is
 * unreachable (no offline queue, one try per command) and its errors are logged, never thrown at
 * the process; RateLimitGuard then lets requests through rather than failing them.
 */
type ClosingStorage = ThrottlerStorageRedisService & { onApplicationShutdown(): Promise<void> };

export function redisRateLimitStorage(url: string): ClosingStorage {
  const logger = new Logger('RateLimit');
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
  let lastError = '';
  redis.on('error', (error: Error) => {
    if (error.message !== lastError) logger.warn(`Redis unavailable for rate limits: ${error.message}`);
    lastError = error.message;
  });
  redis.on('ready', () => (lastError = ''));
  const storage = new ThrottlerStorageRedisService(redis) as ClosingStorage;
  // Nest calls this on the registered storage instance when the application closes.
  storage.onApplicationShutdown = async () => {
    await redis.quit().catch(() => redis.disconnect());
  };
  return storage;
}
