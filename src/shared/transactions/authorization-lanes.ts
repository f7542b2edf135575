import { Injectable } from '@nestjs/common';

/** The outcome of one command in a batch: its own value or its own error. */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

/** Runs several queued commands together (one transaction), answering each. */
export type BatchRunner<C, R> = (commands: C[]) => Promise<Settled<R>[]>;

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
 * Lanes per instance: how many unit-of-work transactions run at once. Fewer lanes mean bigger
 * batches; on the 2-core reference machine 1–2 lanes gave the most reservations per second
 * (`npm run bench`, spread case: 4 lanes −10%, 6 lanes −25%).
 */
export const LANE_COUNT = 2;

/** Which lane an authorization belongs to: always the same one. */
export function laneOf(authorizationId: string, lanes = LANE_COUNT): number {
  let hash = 0;
  for (let i = 0; i < authorizationId.length; i++) hash = (hash * 31 + authorizationId.charCodeAt(i)) | 0;
  return Math.abs(hash) % lanes;
}

/**
 * A few queues ("lanes") inside this instance, each authorization always in the same one. Work
 * on one authorization therefore runs one step after another instead of colliding in
 * PostgreSQL (where SERIALIZABLE would turn the collisions into retries), and the commands that
 * queued up in a lane while a step ran are combined into its next step: one transaction for many
 * reservations, each still checked and answered on its own. That is also what makes a busy
 * instance cheap per request: one BEGIN, one write and one COMMIT serve a whole batch. Lanes
 * run in parallel; other instances still collide with this one, and that is what the retries
 * are for.
 */
@Injectable()
export class AuthorizationLanes {
  private readonly queues = new Map<number, QueuedItem[]>();

  /** Runs `work` alone in the lane of the authorization. */
  run<T>(authorizationId: string, work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => this.enqueue(laneOf(authorizationId), { work, resolve: resolve as (v: unknown) => void, reject }));
  }

  /** Queues `command` in the authorization's lane; consecutive commands with the same runner are handed to it together. */
  submit<C, R>(authorizationId: string, command: C, runner: BatchRunner<C, R>): Promise<R> {
    return new Promise<R>((resolve, reject) =>
      this.enqueue(laneOf(authorizationId), { runner: runner as BatchRunner<unknown, unknown>, command, resolve: resolve as (v: unknown) => void, reject }),
    );
  }

  get activeLanes(): number {
    return this.queues.size;
  }

  private enqueue(key: number, item: QueuedItem): void {
    const queue = this.queues.get(key);
    if (queue) {
      queue.push(item);
      return;
    }
    const fresh = [item];
    this.queues.set(key, fresh);
    void this.drain(key, fresh);
  }

  private async drain(key: number, queue: QueuedItem[]): Promise<void> {
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
        const results = await head.runner!(batch.map((item) => item.command));
        results.forEach((result, i) => (result.ok ? batch[i].resolve(result.value) : batch[i].reject(result.error)));
      } catch (error) {
        for (const item of batch) item.reject(error);
      }
    }
    this.queues.delete(key);
  }
}
