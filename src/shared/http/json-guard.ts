/** Names an object already has (`__proto__`, `constructor`, `toString`, …): never a field of ours. */
export const isObjectMemberName = (key: string): boolean => key === 'prototype' || key in Object.prototype;

/**
 * Text PostgreSQL cannot store as sent: a NUL character, or a lone UTF-16 surrogate (which
 * would silently become U+FFFD). Returns the reason, or undefined when the text is fine.
 */
export function unstorableText(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character';
  if (!text.isWellFormed()) return 'contains an unpaired surrogate';
  return undefined;
}

/** No object of any request has more keys; 9,000 unknown keys would otherwise cost the validator ~90 ms. */
export const MAX_OBJECT_KEYS = 64;

/**
 * The first field of a parsed JSON body that no code should see: a key named like an object
 * member (`__proto__`, `constructor`, `toString`, …), text that cannot be stored as sent, or an
 * object with more than MAX_OBJECT_KEYS keys. JSON.parse makes such keys plain own properties,
 * so walking the result is safe.
 */
export function unacceptableJson(value: unknown, path = ''): { field: string; message: string } | undefined {
  const field = path || 'body';
  if (typeof value === 'string') {
    const problem = unstorableText(value);
    return problem ? { field, message: `${field} ${problem}` } : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const keys = Object.keys(value).length;
  if (!Array.isArray(value) && keys > MAX_OBJECT_KEYS) return { field, message: `${field} has ${keys} keys; at most ${MAX_OBJECT_KEYS} are accepted` };
  for (const [key, item] of Object.entries(value)) {
    const itemField = path ? `${path}.${key}` : key;
    if (isObjectMemberName(key)) return { field: itemField, message: `property ${key} should not exist` };
    const problem = unacceptableJson(item, itemField);
    if (problem) return problem;
  }
  return undefined;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** No request of this API nests deeper than a few levels; parsing 10,000 levels would only burn stack. */
export const MAX_JSON_DEPTH = 32;

const malformed = (message: string) => Object.assign(new Error(message), { status: 400, type: 'entity.verify.failed' });

/** Deepest nesting of arrays/objects in JSON text, ignoring brackets inside strings. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) max = Math.max(max, ++depth);
    else if (c === 93 || c === 125) depth--;
  }
  return max;
}

/**
 * body-parser `verify`, before JSON.parse: bytes that are not valid UTF-8 and absurdly deep
 * nesting are a malformed body (400), not silently replaced characters or a stack overflow.
 */
export function checkBodyBytes(_req: unknown, _res: unknown, body: Buffer): void {
  let text: string;
  try {
    text = strictUtf8.decode(body);
  } catch {
    throw malformed('Request body is not valid UTF-8');
  }
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw malformed(`Request body nests deeper than ${MAX_JSON_DEPTH} levels`);
}
