import { Injectable } from '@nestjs/common';
import { isConnectionError } from '../../database/pg-errors';
import { isRetryable } from './retry-policy';

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
      const results = await runIsolated(head.runner!, batch.map((item) => item.command));
      results.forEach((result, i) => (result.ok ? batch[i].resolve(result.value) : batch[i].reject(result.error)));
    }
    this.queues.delete(key);
  }
}

/**
 * Runs a batch; when it fails as a whole, finds out whose failure it is, so that no command gets
 * another's error (a PostgreSQL refusal of one command's value fails the batch's one write
 * statement). The commands are run again in two halves, in arrival order, each half the same way,
 * down to single commands: a command that fails alone gets its own error, every other its own
 * outcome. One bad command among n costs about 2·log2(n) extra transactions, and only on failure.
 *
 * Not split: a retryable conflict (40001/40P01: every command gets it, and each request is then
 * retried on its own by the RetryInterceptor, re-submitting its command to the lane) and a
 * lost connection (the database's failure, not a command's — and the commit's outcome may be
 * unknown, so running the commands again could apply them twice). Any other error — one reported
 * by PostgreSQL, or thrown before COMMIT — means the transaction was rolled back and nothing of the
 * batch was applied, so running its commands again is safe.
 */
export async function runIsolated<C, R>(runner: BatchRunner<C, R>, commands: C[]): Promise<Settled<R>[]> {
  try {
    return await runner(commands);
  } catch (error) {
    if (commands.length === 1 || isRetryable(error) || isConnectionError(error)) return commands.map(() => ({ ok: false, error }));
    const half = Math.ceil(commands.length / 2);
    const first = await runIsolated(runner, commands.slice(0, half));
    return [...first, ...(await runIsolated(runner, commands.slice(half)))];
  }
}
