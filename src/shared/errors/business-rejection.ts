import { ApiError } from './api-error';

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
