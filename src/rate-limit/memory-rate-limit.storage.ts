import { OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { LimitAnswer } from './rate-limit.headers';

/** One key's count: a fixed window opened by its first hit. */
interface Window {
  hits: number;
  expiresAt: number;
}

const SWEEP_INTERVAL_MS = 60_000;

/**
 * Rate-limit counters of one instance (no REDIS_URL), implementing @nestjs/throttler's public
 * ThrottlerStorage interface and counting exactly as the Redis storage
 * (@nest-lab/throttler-storage-redis, redis-rate-limit.storage.ts) does, so that one instance
 * and several answer alike:
 *
 * - every request counts, blocked or not, in a fixed window that opens with the key's first hit
 *   and lasts `ttl` ms (Redis: INCR, PEXPIRE when the key had no expiry);
 * - the request that takes the count above `limit` starts a block of `blockDuration` ms (Redis:
 *   SET … PX); while the block lasts every request is refused with the time it has left; once it
 *   has ended, a window still above the limit blocks again;
 * - times are answered in whole seconds, rounded up.
 *
 * Two numbers per key instead of a list of hit times: constant memory and work per request.
 * Expired windows and blocks are dropped as they are met and by a sweep once a minute.
 */
export class MemoryRateLimitStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly windows = new Map<string, Window>();
  private readonly blocks = new Map<string, number>();
  private sweeper?: NodeJS.Timeout;

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<LimitAnswer> {
    const now = Date.now();
    const id = `${key}:${throttlerName}`;
    this.sweeper ??= setInterval(() => this.sweep(), SWEEP_INTERVAL_MS).unref();

    let window = this.windows.get(id);
    if (window === undefined || window.expiresAt <= now) {
      window = { hits: 0, expiresAt: now + ttl };
      this.windows.set(id, window);
    }
    window.hits++;
    let timeToExpire = window.expiresAt - now;

    let blockedUntil = this.blocks.get(id);
    if (blockedUntil !== undefined && blockedUntil <= now) {
      this.blocks.delete(id);
      blockedUntil = undefined;
    }
    let isBlocked = blockedUntil !== undefined;
    let timeToBlockExpire = isBlocked ? blockedUntil! - now : 0;
    if (!isBlocked && window.hits > limit) {
      isBlocked = true;
      timeToBlockExpire = blockDuration;
      if (blockDuration > 0) this.blocks.set(id, now + blockDuration);
    }
    // The Redis script's last branch: a block without time left (only a blockDuration of 0 gets
    // here) ends at once and this request opens a new window.
    if (isBlocked && timeToBlockExpire <= 0) {
      this.blocks.delete(id);
      window.hits = 1;
      window.expiresAt = now + ttl;
      timeToExpire = ttl;
      isBlocked = false;
    }
    return {
      totalHits: window.hits,
      timeToExpire: Math.ceil(timeToExpire / 1000),
      isBlocked,
      timeToBlockExpire: Math.ceil(timeToBlockExpire / 1000),
    };
  }

  /** Drops windows and blocks that have ended. */
  sweep(now = Date.now()): void {
    for (const [id, window] of this.windows) if (window.expiresAt <= now) this.windows.delete(id);
    for (const [id, until] of this.blocks) if (until <= now) this.blocks.delete(id);
  }

  /** Keys counted right now (windows not yet swept). */
  get size(): number {
    return this.windows.size;
  }

  onApplicationShutdown(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.windows.clear();
    this.blocks.clear();
  }
}
