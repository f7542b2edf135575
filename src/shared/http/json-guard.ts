const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * JSON.parse reviver: a body carrying a prototype-pollution key is refused as malformed (400)
 * before any code sees it, rather than silently dropped.
 */
export function refusePrototypeKeys(key: string, value: unknown): unknown {
  if (FORBIDDEN_KEYS.has(key)) throw new SyntaxError(`Forbidden key "${key}" in JSON body`);
  return value;
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
