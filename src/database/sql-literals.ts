// Parameters written into SQL text, for statements that travel in the simple query protocol (which
// takes no parameters): a transaction's first statement with its BEGIN, its last with its COMMIT.

/**
 * A string as an SQL literal: exactly what pg's escapeLiteral writes (quotes doubled; with a
 * backslash, an E'' literal with backslashes doubled), with two native replaces instead of its loop
 * over every character — the write of a batch carries each event's JSON, thousands of characters.
 */
export function quoteLiteral(text: string): string {
  const quoted = `'${text.replace(/'/g, "''")}'`;
  return text.includes('\\') ? ` E${quoted.replace(/\\/g, '\\\\')}` : quoted;
}

/** A parameter as SQL text, or undefined when it cannot be written in. */
export function literal(value: unknown): string | undefined {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'string') return quoteLiteral(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return "'{}'";
    const items = value.map((item) => (typeof item === 'string' || typeof item === 'number' ? literal(item) : undefined));
    return items.every((item) => item !== undefined) ? `array[${items.join(', ')}]` : undefined;
  }
  return undefined;
}

/** `text` with its `?` parameters written in as literals; undefined when one cannot be. */
export function inlined(text: string, params: unknown[]): string | undefined {
  const literals = params.map(literal);
  if (literals.some((l) => l === undefined)) return undefined;
  let n = 0;
  return text.replace(/\?/g, () => literals[n++]!);
}

/**
 * A parameter of EXECUTE as an untyped literal, which PostgreSQL converts to the prepared
 * statement's parameter type (an `array[…]` would be text[], which converts to no uuid[]).
 */
export function executeLiteral(value: unknown): string | undefined {
  if (!Array.isArray(value)) return literal(value);
  const items = value.map((item) =>
    item === null ? 'NULL' : typeof item === 'string' || typeof item === 'number' ? `"${String(item).replace(/[\\"]/g, '\\$&')}"` : undefined,
  );
  return items.every((item) => item !== undefined) ? quoteLiteral(`{${items.join(',')}}`) : undefined;
}
