// Moved to src/shared/idempotency/idempotency-context.ts; this re-export goes once the last importer is updated.
export * from '../shared/idempotency/idempotency-context';
