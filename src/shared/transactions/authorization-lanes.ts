import { Injectable } from '@nestjs/common';

/** The outcome of one command in a batch: its own value or its own error. */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

/** Runs several queued commands of one authorization together (one transaction), answering each. */
export type BatchRunner<C, R> = (key: string, commands: C[]) => Promise<Settled<R>[]>;

interface QueuedItem {
  work?: () => Promise<unknown>;
  runner?: BatchRunner<unknown, unknown>;
  command?: unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Upper bound on the commands combined into one transaction. */
export const MAX_BATCH = 64;

/**
 * One queue per authorization inside this instance. Work on the same authorization runs one
 * step after another instead of colliding in PostgreSQL (where SERIALIZABLE would turn the
 * collisions into retries), and commands that queued up while a step ran are combined into the
 * next step: one transaction for many reservations, each still checked and answered on its own.
 * Different authorizations proceed in parallel; other instances still collide with this one,
 * and that is what the retries are for.
 */
@Injectable()
export class AuthorizationLanes {
  private readonly queues = new Map<string, QueuedItem[]>();

  /** Runs `work` alone in the lane of `key`. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => this.enqueue(key, { work, resolve: resolve as (v: unknown) => void, reject }));
  }

  /** Queues `command`; consecutive commands with the same runner are handed to it together. */
  submit<C, R>(key: string, command: C, runner: BatchRunner<C, R>): Promise<R> {
    return new Promise<R>((resolve, reject) =>
      this.enqueue(key, { runner: runner as BatchRunner<unknown, unknown>, command, resolve: resolve as (v: unknown) => void, reject }),
    );
  }

  get activeLanes(): number {
    return this.queues.size;
  }

  private enqueue(key: string, item: QueuedItem): void {
    const queue = this.queues.get(key);
    if (queue) {
      queue.push(item);
      return;
    }
    const fresh = [item];
    this.queues.set(key, fresh);
    void this.drain(key, fresh);
  }

  private async drain(key: string, queue: QueuedItem[]): Promise<void> {
    while (queue.length > 0) {
      const head = queue[0];
      if (head.work) {
        queue.shift();
        await head.work().then(head.resolve, head.reject);
        continue;
      }
      let size = 1;
      while (size < queue.length && size < MAX_BATCH && queue[size].runner === head.runner) size++;
      const batch = queue.splice(0, size);
      try {
        const results = await head.runner!(key, batch.map((item) => item.command));
        results.forEach((result, i) => (result.ok ? batch[i].resolve(result.value) : batch[i].reject(result.error)));
      } catch (error) {
        for (const item of batch) item.reject(error);
      }
    }
    this.queues.delete(key);
  }
}
