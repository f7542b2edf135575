import { Inject, Injectable } from '@nestjs/common';
import { Database, Sql } from '../../database/database.service';
import { constraintName, sqlState, UNIQUE_VIOLATION } from '../../database/pg-errors';
import { ApiError } from '../errors/api-error';
import { markBusinessRejection } from '../errors/business-rejection';
import { IdempotencyContext, Outcome } from '../idempotency/idempotency-context';
import { IDEMPOTENT_ANSWERS, IdempotentAnswers } from '../idempotency/idempotent-answers';

/** A concurrent request with the same key committed first: the retry will find and replay its answer. */
class ConcurrentIdempotentRequest extends Error {
  readonly code = '40001';
}

/**
 * One SERIALIZABLE transaction per call, starting from nothing: every read and decision is made
 * inside it, so a retry repeats all of them on fresh data. With an Idempotency-Key, the stored
 * answer is looked up first and the new answer is written in the same transaction as the change
 * (IdempotentAnswers, implemented by the idempotency module).
 */
@Injectable()
export class UnitOfWork {
  constructor(
    private readonly database: Database,
    @Inject(IDEMPOTENT_ANSWERS) private readonly answers: IdempotentAnswers,
  ) {}

  /** `serializeOn`: ids (authorizations) whose transactions must not overlap across instances. */
  async run<T>(work: (tx: Sql) => Promise<T>, idempotency?: IdempotencyContext, serializeOn: string[] = []): Promise<Outcome<T>> {
    try {
      return await this.database.serializable(async (tx) => {
        if (idempotency) {
          const stored = await this.answers.findAnswer(tx, idempotency);
          if (stored !== undefined) return { value: stored as T, replayed: true };
        }
        const value = await work(tx);
        if (idempotency) await this.answers.saveAnswers(tx, [{ idempotency, body: value }]);
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
