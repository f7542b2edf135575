import { randomUUID } from 'node:crypto';

/**
 * UUID version 7: time-ordered, so ordering by id is ordering by creation (to the millisecond),
 * which keeps cursor pagination on the primary key index. The 48-bit timestamp replaces the first
 * 12 hex digits of a random (v4) UUID — whose variant bits are already v7's — and the version
 * digit becomes 7; randomUUID() draws from a buffered entropy pool, much cheaper per id than
 * randomBytes(16).
 */
export function newId(): string {
  const ms = Date.now().toString(16).padStart(12, '0');
  return `${ms.slice(0, 8)}-${ms.slice(8)}-7${randomUUID().slice(15)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string): boolean => UUID.test(value);
