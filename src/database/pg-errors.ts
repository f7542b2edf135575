/** SQLSTATE codes the service reacts to; MikroORM keeps the driver's `code` on its wrapped errors. */
export const SERIALIZATION_FAILURE = '40001';
export const DEADLOCK_DETECTED = '40P01';
export const UNIQUE_VIOLATION = '23505';
export const CHECK_VIOLATION = '23514';

const CONNECTION_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH',
  '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006', '53300',
]);

/** Only a serialization failure or a deadlock means "the same work may succeed if done again". */
export function isRetryable(error: unknown): boolean {
  const code = sqlState(error);
  return code === SERIALIZATION_FAILURE || code === DEADLOCK_DETECTED;
}

export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function constraintName(error: unknown): string | undefined {
  const name = (error as { constraint?: unknown } | null)?.constraint;
  return typeof name === 'string' ? name : undefined;
}

/** The database went away or refused us: the client should come back later (503), not see a 500. */
export function isConnectionError(error: unknown): boolean {
  const code = sqlState(error);
  if (code && CONNECTION_CODES.has(code)) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|not currently accepting connections|does not exist|connection timeout|Timeout acquiring a connection|timeout exceeded when trying to connect|terminating connection|Client has encountered a connection error|not queryable/i.test(message);
}
