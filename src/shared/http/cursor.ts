import { ValidationFailedError } from '../errors/api-error';

/** Cursors are opaque to clients: the last item's sort key, base64url-encoded. */
export function encodeCursor(lastKey: string | number): string {
  return Buffer.from(String(lastKey)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined, isValid: (key: string) => boolean): string | undefined {
  if (cursor === undefined) return undefined;
  const key = /^[A-Za-z0-9_-]{1,200}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString() : '';
  if (!isValid(key)) throw new ValidationFailedError([{ field: 'cursor', message: 'cursor is not valid' }]);
  return key;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Queries fetch limit + 1 rows: the extra one tells whether a next page exists. */
export function toPage<T>(rows: T[], limit: number, keyOf: (item: T) => string | number): Page<T> {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? encodeCursor(keyOf(items[items.length - 1])) : null };
}
