/** What one request's Idempotency-Key means: whose key, which request it names, which answer it stores. */
export interface IdempotencyContext {
  userId: string;
  key: string;
  /** sha256 of method, path and canonical body: a repeat must match it. */
  fingerprint: string;
  successStatus: number;
}

/** A unit of work's result, and whether it is a stored answer replayed for a repeated key. */
export interface Outcome<T> {
  value: T;
  replayed: boolean;
}

/** Keys are scoped to their user: the pair names one stored answer. */
export const answerKey = (ctx: { userId: string; key: string }): string => `${ctx.userId}\u0000${ctx.key}`;
