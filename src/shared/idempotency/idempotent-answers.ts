import type { Sql } from '../../database/database.service';
import { IdempotencyContext } from './idempotency-context';

/** An answer to store: the request's key and the response body it got. */
export type Answer = { idempotency: IdempotencyContext; body: unknown };

/**
 * Stored answers, as the unit of work needs them: looked up and written inside the caller's
 * transaction (the answer commits with the change, or neither does). Implemented by the
 * idempotency module (idempotency.repository.ts) and injected under IDEMPOTENT_ANSWERS, so that
 * shared/ does not import a feature.
 */
export interface IdempotentAnswers {
  /** The stored answer for one key; a different request under the same key is a 422. */
  findAnswer(tx: Sql, ctx: IdempotencyContext): Promise<unknown | undefined>;
  saveAnswers(tx: Sql, answers: Answer[]): Promise<void>;
}

export const IDEMPOTENT_ANSWERS = Symbol('IdempotentAnswers');
