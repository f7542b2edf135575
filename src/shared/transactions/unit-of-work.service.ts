import { Injectable } from '@nestjs/common';
import { Database, Sql } from '../../database/database.service';
import { constraintName, sqlState, UNIQUE_VIOLATION } from '../../database/pg-errors';
import { IdempotencyContext, Outcome } from '../../idempotency/idempotency-context';
import { idempotencyStore } from '../../idempotency/idempotency.store';
import { ApiError } from '../errors/api-error';

const BUSINESS_REJECTION = Symbol('business-rejection');

/** True for a rule's error decided inside a transaction (the transaction was rejected, not failed). */
export function isBusinessRejection(error: unknown): boolean {
  return error instanceof ApiError && (error as unknown as Record<symbol, unknown>)[BUSINESS_REJECTION] === true;
}

/** Marks a rule's error (an ApiError) as decided inside a transaction; returns it. */
export function markBusinessRejection<E>(error: E): E {
  if (error instanceof ApiError) (error as unknown as Record<symbol, unknown>)[BUSINESS_REJECTION] = true;
  return error;
}

/** A concurrent request with the same key committed first: the retry will find and replay its answer. */
class ConcurrentIdempotentRequest extends Error {
  readonly code = '40001';
}

/**
 * One SERIALIZABLE transaction per call, starting from nothing: every read and decision is made
 * inside it, so a retry repeats all of them on fresh data. With an Idempotency-Key, the stored
 * answer is looked up first and the new answer is written in the same transaction as the change.
 */
@Injectable()
export class UnitOfWork {
  constructor(private readonly database: Database) {}

  /** `serializeOn`: ids (authorizations) whose transactions must not overlap across instances. */
  async run<T>(work: (tx: Sql) => Promise<T>, idempotency?: IdempotencyContext, serializeOn: string[] = []): Promise<Outcome<T>> {
    try {
      return await this.database.serializable(async (tx) => {
        if (idempotency) {
          const stored = await idempotencyStore.findAnswer(tx, idempotency);
          if (stored !== undefined) return { value: stored as T, replayed: true };
        }
        const value = await work(tx);
        if (idempotency) await idempotencyStore.saveAnswers(tx, [{ idempotency, body: value }]);
        return { value, replayed: false };
      }, serializeOn);
    } catch (error) {
      if (error instanceof ApiError) {
        markBusinessRejection(error);
      } else if (sqlState(error) === UNIQUE_VIOLATION && constraintName(error) === 'idempotency_keys_pkey') {
        throw new ConcurrentIdempotentRequest('a concurrent request with this Idempotency-Key committed first');
      }
      throw error;
    }
  }
}
