import { EntityManager } from '@mikro-orm/postgresql';
import { IdempotencyKeyMismatchError } from '../shared/errors/business-errors';
import { answerKey, IdempotencyContext } from './idempotency-context';

export interface StoredAnswer {
  fingerprint: string;
  body: unknown;
}

/** Stored answers live inside the caller's transaction: the answer commits with the change, or neither does. */
export const idempotencyStore = {
  /** Stored answers for several keys at once, by answerKey. */
  async findAnswers(tx: EntityManager, contexts: IdempotencyContext[]): Promise<Map<string, StoredAnswer>> {
    const found = new Map<string, StoredAnswer>();
    if (contexts.length === 0) return found;
    const rows = await tx.execute<{ userId: string; key: string; fingerprint: string; body: unknown }[]>(
      `select user_id as "userId", key, request_fingerprint as fingerprint, response_body as body from idempotency_keys
       where (user_id, key) in (${contexts.map(() => '(?::uuid, ?)').join(', ')})`,
      contexts.flatMap((c) => [c.userId, c.key]),
    );
    for (const row of rows) found.set(answerKey(row), { fingerprint: row.fingerprint, body: row.body });
    return found;
  },

  /** The stored answer for one key; a different request under the same key is a 422. */
  async findAnswer(tx: EntityManager, ctx: IdempotencyContext): Promise<unknown | undefined> {
    const stored = (await this.findAnswers(tx, [ctx])).get(answerKey(ctx));
    if (stored && stored.fingerprint !== ctx.fingerprint) throw new IdempotencyKeyMismatchError();
    return stored?.body;
  },

  async saveAnswers(tx: EntityManager, answers: { idempotency: IdempotencyContext; body: unknown }[]): Promise<void> {
    if (answers.length === 0) return;
    await tx.execute(
      `insert into idempotency_keys (user_id, key, request_fingerprint, status_code, response_body)
       values ${answers.map(() => '(?, ?, ?, ?, ?::jsonb)').join(', ')}`,
      answers.flatMap(({ idempotency: c, body }) => [c.userId, c.key, c.fingerprint, c.successStatus, JSON.stringify(body)]),
    );
  },
};
