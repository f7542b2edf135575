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

/** body-parser `verify`: bytes that are not valid UTF-8 are a malformed body (400), not silently replaced. */
export function refuseInvalidUtf8(_req: unknown, _res: unknown, body: Buffer): void {
  try {
    strictUtf8.decode(body);
  } catch {
    throw Object.assign(new Error('Request body is not valid UTF-8'), { status: 400, type: 'encoding.invalid' });
  }
}
