import { EntityManager } from '@mikro-orm/postgresql';
import { Sql, SqlFragment } from '../database/database.service';
import { IdempotencyKeyMismatchError } from '../shared/errors/business-errors';
import { answerKey, IdempotencyContext } from '../shared/idempotency/idempotency-context';
import { Answer } from '../shared/idempotency/idempotent-answers';

import { IdempotencyKey } from './idempotency-key.entity';

export type { Answer } from '../shared/idempotency/idempotent-answers';

const ANSWERS_KEPT_MS = 25 * 3600_000;

// Every SQL string of the idempotency_keys table: stored answers are read and written inside the
// caller's transaction (the answer commits with the change, or neither does). Old answers are
// forgotten through the IdempotencyKey entity.

export interface StoredAnswer {
  fingerprint: string;
  body: unknown;
}


/** Answers as column arrays for `select * from unnest(?::uuid[], ?::text[], ?::text[], ?::int[], ?::jsonb[])`. */
export function answerColumns(answers: Answer[]): unknown[] {
  return [
    answers.map((a) => a.idempotency.userId),
    answers.map((a) => a.idempotency.key),
    answers.map((a) => a.idempotency.fingerprint),
    answers.map((a) => a.idempotency.successStatus),
    answers.map((a) => JSON.stringify(a.body)),
  ];
}

export const idempotencyRepository = {
  /** Stored answers for several keys at once, by answerKey. */
  async findAnswers(tx: Sql, contexts: IdempotencyContext[]): Promise<Map<string, StoredAnswer>> {
    const found = new Map<string, StoredAnswer>();
    if (contexts.length === 0) return found;
    const rows = await tx.query<{ userId: string; key: string; fingerprint: string; body: unknown }>(
      `select user_id as "userId", key, request_fingerprint as fingerprint, response_body as body from idempotency_keys
       where (user_id, key) in (select * from unnest(?::uuid[], ?::text[]))`,
      [contexts.map((c) => c.userId), contexts.map((c) => c.key)],
      { prepare: true },
    );
    for (const row of rows) found.set(answerKey(row), { fingerprint: row.fingerprint, body: row.body });
    return found;
  },

  /** The stored answer for one key; a different request under the same key is a 422. */
  async findAnswer(tx: Sql, ctx: IdempotencyContext): Promise<unknown | undefined> {
    const stored = (await this.findAnswers(tx, [ctx])).get(answerKey(ctx));
    if (stored && stored.fingerprint !== ctx.fingerprint) throw new IdempotencyKeyMismatchError();
    return stored?.body;
  },

  async saveAnswers(tx: Sql, answers: Answer[]): Promise<void> {
    if (answers.length === 0) return;
    await tx.query(
      `insert into idempotency_keys (user_id, key, request_fingerprint, status_code, response_body)
       select * from unnest(?::uuid[], ?::text[], ?::text[], ?::int[], ?::jsonb[])`,
      answerColumns(answers),
      { prepare: true },
    );
  },

  /** The part of a batch's write (one statement with several parts) that stores its answers. */
  answersPart(answers: Answer[]): SqlFragment {
    return {
      sql: `answers as (insert into idempotency_keys (user_id, key, request_fingerprint, status_code, response_body)
          select * from unnest(?::uuid[], ?::text[], ?::text[], ?::int[], ?::jsonb[]))`,
      params: answerColumns(answers),
    };
  },

  /** Forgets answers older than 25 hours (SPEC §5 keeps them 24 hours), through the entity: a repeat after that is a new request. */
  async deleteExpired(em: EntityManager): Promise<void> {
    await em.nativeDelete(IdempotencyKey, { createdAt: { $lt: new Date(Date.now() - ANSWERS_KEPT_MS) } });
  },
};
