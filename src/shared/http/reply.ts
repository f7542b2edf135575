import type { Response } from 'express';
import { Outcome } from '../idempotency/idempotency-context';

/** Unwraps a unit of work's outcome, marking stored answers replayed for a repeated Idempotency-Key. */
export function reply<T>(res: Response, outcome: Outcome<T>): T {
  if (outcome.replayed) res.setHeader('Idempotent-Replayed', 'true');
  return outcome.value;
}
