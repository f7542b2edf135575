// Moved to idempotency.repository.ts; this re-export goes once its last importers move.
import { idempotencyRepository } from './idempotency.repository';
export { answerColumns } from './idempotency.repository';
export type { Answer, StoredAnswer } from './idempotency.repository';
export const idempotencyStore = idempotencyRepository;
