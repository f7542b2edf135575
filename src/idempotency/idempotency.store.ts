import { EntityManager } from '@mikro-orm/postgresql';
import { IdempotencyKeyMismatchError } from '../shared/errors/business-errors';
import { IdempotencyContext } from './idempotency-context';

/** Stored answers live inside the caller's transaction: the answer commits with the change, or neither does. */
export const idempotencyStore = {
  async findAnswer(tx: EntityManager, ctx: IdempotencyContext): Promise<unknown | undefined> {
    const rows = await tx.execute<{ fingerprint: string; body: unknown }[]>(
      'select request_fingerprint as fingerprint, response_body as body from idempotency_keys where user_id = ? and key = ?',
      [ctx.userId, ctx.key],
    );
    if (rows.length === 0) return undefined;
    if (rows[0].fingerprint !== ctx.fingerprint) throw new IdempotencyKeyMismatchError();
    return rows[0].body;
  },

  async saveAnswer(tx: EntityManager, ctx: IdempotencyContext, body: unknown): Promise<void> {
    await tx.execute(
      'insert into idempotency_keys (user_id, key, request_fingerprint, status_code, response_body) values (?, ?, ?, ?, ?::jsonb)',
      [ctx.userId, ctx.key, ctx.fingerprint, ctx.successStatus, JSON.stringify(body)],
    );
  },
};
