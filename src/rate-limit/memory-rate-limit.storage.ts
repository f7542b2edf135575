import { ThrottlerStorageService } from '@nestjs/throttler';

type Internals = {
  getHitExpirations(key: string, throttlerName: string): number[];
  storage: Map<string, { totalHits: Map<string, number> }>;
};

/**
 * @nestjs/throttler's in-memory storage (one instance, no Redis), counting the same way, except
 * that expired hits are dropped from the front of the list instead of the whole list being
 * filtered into a new array on every request — at 50 requests/s per user that list holds 3,000
 * entries. Hits of one key and limit are appended in expiry order (same ttl, increasing time),
 * so the expired ones are always a prefix.
 */
export class MemoryRateLimitStorage extends ThrottlerStorageService {
  constructor() {
    super();
    // The library's method is private; replaced on the instance, with the library's signature.
    (this as unknown as { pruneExpiredHits: (key: string, name: string, now?: number) => void }).pruneExpiredHits = (key, name, now = Date.now()) => {
      const self = this as unknown as Internals;
      const hits = self.getHitExpirations(key, name);
      let expired = 0;
      while (expired < hits.length && hits[expired] <= now) expired++;
      if (expired > 0) hits.splice(0, expired);
      self.storage.get(key)!.totalHits.set(name, hits.length);
    };
  }
}
