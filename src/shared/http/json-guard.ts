const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * JSON.parse reviver: a body carrying a prototype-pollution key is refused as malformed (400)
 * before any code sees it, rather than silently dropped.
 */
export function refusePrototypeKeys(key: string, value: unknown): unknown {
  if (FORBIDDEN_KEYS.has(key)) throw new SyntaxError(`Forbidden key "${key}" in JSON body`);
  return value;
}
