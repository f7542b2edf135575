import { Injectable } from '@nestjs/common';

/**
 * One queue per authorization inside this instance: unit operations on the same authorization run
 * one after another instead of colliding in PostgreSQL and burning SERIALIZABLE retries. Other
 * instances still collide with this one; that is what the retries are for.
 */
@Injectable()
export class AuthorizationLanes {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(authorizationId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(authorizationId) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(authorizationId, tail);
    void tail.then(() => {
      if (this.tails.get(authorizationId) === tail) this.tails.delete(authorizationId);
    });
    return result;
  }

  get activeLanes(): number {
    return this.tails.size;
  }
}
